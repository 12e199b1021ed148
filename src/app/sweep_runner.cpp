#include "app/sweep_runner.h"

#include <Poco/Environment.h>
#include <Poco/Process.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ostream>
#include <random>

#include "common/clock.h"
#include "common/log.h"
#include "net/poco_http_transport.h"
#include "service/run_metrics.h"
#include "service/sweep.h"
#include "storage/database.h"
#include "storage/health_checks.h"
#include "storage/mysql_notification_reader.h"
#include "storage/mysql_stores.h"
#include "wechat/nonce_source.h"
#include "wechat/pay_client.h"

namespace wx {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_stop_signals{0};
std::atomic<bool> g_hup{false};

extern "C" void onStopSignal(int) {
  if (g_stop_signals.fetch_add(1) >= 1) _exit(1);  // the second signal: at once
  g_stop.store(true);
}
extern "C" void onHupSignal(int) { g_hup.store(true); }

void printProgress(const SweepProgress& p) {
  // \r rewrites one line on the terminal; stderr so stdout keeps only the summary.
  std::fprintf(stderr, "\rsweep: %lld examined / %lld claimed, %lld WeChat calls, %.0f s   ",
               static_cast<long long>(p.examined), static_cast<long long>(p.claimed),
               static_cast<long long>(p.wechat_calls), p.elapsed_s);
  std::fflush(stderr);
}

}  // namespace

const std::atomic<bool>& installStopSignals(bool handle_hup) {
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  if (handle_hup) {
    struct sigaction hup {};
    hup.sa_handler = onHupSignal;
    sigemptyset(&hup.sa_mask);
    ::sigaction(SIGHUP, &hup, nullptr);
  }
  return g_stop;
}

bool takeHup() { return g_hup.exchange(false); }

std::optional<std::string> checkSweepOptions(const Config& config, const SweepCliOptions& options) {
  if (config.merchants.empty()) return std::string("no [merchant.*] section in the config");
  if (!options.mch.empty() && config.findMerchant(options.mch) == nullptr) {
    return "--mch " + options.mch + ": no [merchant.*] section has this mch_id";
  }
  if (options.limit < 0) return std::string("--limit must be a positive number");
  return std::nullopt;
}

int runOneSweep(const Config& config, Database& db, const SweepCliOptions& options,
                const std::atomic<bool>& stop, std::ostream& out) {
  try {
    // A warning only: the data belongs to the merchant's application.
    if (auto n = warnOnFutureCreatedAt(db); !n) {
      logError("sweep.db_unavailable", {{"error", n.status().message()}});
      out << "sweep: database unreachable: " << n.status().message() << "\n";
      return 1;
    }
    PocoHttpTransportOptions topt;
    topt.ca_file = config.wechat.ca_file;
    topt.max_idle_per_host = static_cast<std::size_t>(std::max(1, config.wechat.max_in_flight));
    auto transport = PocoHttpTransport::create(topt);
    if (!transport) {
      out << "sweep: " << transport.status().message() << "\n";
      return 2;
    }
    RandomNonceSource nonces;
    PayClient client(config.wechat, **transport, nonces, SystemClock::instance());
    MySqlOrderStore orders(db);
    MySqlNotificationReader notifications(db);
    MySqlRunStore runs(db);
    MySqlDiscrepancyStore discrepancies(db);

    SweepOptions so;
    for (const auto& m : config.merchants) {
      so.all_mch_ids.push_back(m.mch_id);
      if (options.mch.empty() || m.mch_id == options.mch) so.merchants.push_back(m);
    }
    so.policy = config.policy;
    so.lease_s = config.schedule.lease_s;
    so.workers = std::max(1, config.wechat.max_in_flight);
    so.dry_run = options.dry_run;
    so.limit = options.limit;
    so.owner_prefix = Poco::Environment::nodeName() + ":" + std::to_string(Poco::Process::id());
    so.seed =
        std::random_device{}() ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    so.params = std::string("mch=") + (options.mch.empty() ? "*" : options.mch) +
                " limit=" + std::to_string(options.limit) + (options.dry_run ? " dry-run" : "");
    if (options.progress) so.progress = printProgress;

    Sweep sweep(
        SweepDeps{orders, notifications, runs, client, SystemClock::instance(), &discrepancies},
        std::move(so));
    SweepSummary s = sweep.run(stop);
    recordSweep(s);
    if (options.progress) std::fputs("\n", stderr);
    out << s.render();
    out.flush();
    return s.exitCode();
  } catch (const std::exception& e) {
    logError("sweep.failed", {{"error", e.what()}});
    out << "sweep: failed: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace wx
