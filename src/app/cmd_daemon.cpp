// `wxrecon daemon`: the long-running scheduler (DESIGN.md §1). Runs one sweep every
// schedule.sweep_interval_s, one after the other (never overlapping itself; several daemons or
// cron sweeps on other hosts are kept apart by the leases). A failed run is logged and the next
// one scheduled. SIGTERM/SIGINT: the running sweep stops claiming, finishes what it started,
// releases the rest, and the daemon exits 0; a second signal exits at once. SIGHUP is logged
// and ignored: nothing is reloaded (a changed config needs a restart, so a half-reloaded
// config can never mix two key sets).
//
// The daily bill (app/daemon_bill.h, service/bill_schedule.h): after each sweep, every
// merchant's bill attempt that is due runs, on the same thread — yesterday's bill (Beijing) at
// schedule.bill_time Beijing, NOT_READY retried every 30 min and FAILED with backoff until
// 23:30 Beijing, once per day. A bill run delays the next sweep by its duration; it never runs
// beside one of this daemon's sweeps.
//
// [daemon] admin_listen (none by default): GET /metrics (service/run_metrics.h: each sweep and
// bill attempt is a run) and GET /healthz (200 while the last sweep did its work, else 503 with
// the reason: "no sweep finished yet" until the first one has, so a readiness probe never sees a
// daemon that has not swept as healthy, then "last sweep failed") on net/admin_server.h's
// listener; "daemon: admin http://HOST:PORT" on stdout once it listens.
#include <Poco/Exception.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "app/bill_runner.h"
#include "app/commands.h"
#include "app/daemon_bill.h"
#include "app/sweep_runner.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "net/admin_server.h"
#include "service/run_metrics.h"
#include "storage/database.h"

namespace wx {

namespace {

// What GET /healthz reports: the outcome of the last sweep, none until the first has finished.
enum class SweepHealth { kNoneFinished, kOk, kFailed };

// AdminHandlers::unhealthy_reason: empty when healthy.
std::string unhealthyReason(SweepHealth health) {
  switch (health) {
    case SweepHealth::kNoneFinished:
      return "no sweep finished yet";
    case SweepHealth::kFailed:
      return "last sweep failed";
    case SweepHealth::kOk:
      break;
  }
  return "";
}

double secondsSince(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

int runDaemon(CommandContext& ctx) {
  const Config* config = ctx.config();
  if (config == nullptr) return kExitUsage;
  SweepCliOptions options;
  options.mch = ctx.get("mch");
  if (auto error = checkSweepOptions(*config, options)) {
    ctx.err() << "wxrecon daemon: " << *error << "\n";
    return kExitUsage;
  }
  const std::atomic<bool>& stop = installStopSignals(true);
  const auto interval = std::chrono::seconds(std::max(1, config->schedule.sweep_interval_s));
  BillSchedulePolicy bill_policy;
  bill_policy.bill_hour = config->schedule.bill_hour;
  bill_policy.bill_minute = config->schedule.bill_minute;
  std::vector<std::string> bill_mch_ids;
  for (const auto& m : config->merchants) {
    if (options.mch.empty() || m.mch_id == options.mch) bill_mch_ids.push_back(m.mch_id);
  }
  std::unique_ptr<Database> db;
  // One merchant's bill (app/bill_runner.h), on the daemon's database (opened when needed).
  BillRunner run_bill = [&](const std::string& mch, const CivilDate& day) {
    if (!db) {
      auto opened = Database::open(config->db);
      if (!opened) {
        logError("daemon.bill_db_unavailable", {{"error", opened.status().message()}});
        return static_cast<int>(kExitFailed);
      }
      db = std::move(*opened);
    }
    BillCliOptions bo;
    bo.day = day;
    bo.mch = mch;
    const auto started = std::chrono::steady_clock::now();
    const int code = runBillDay(*config, *db, bo, ctx.out());
    recordRunEnd("bill", code, secondsSince(started), SystemClock::instance().now());
    return code;
  };
  DaemonBillJob bill(bill_mch_ids, bill_policy, run_bill);
  // GET /metrics and /healthz ([daemon] admin_listen): healthy once a sweep has finished and while
  // the last one did its work.
  registerRunMetrics();
  std::atomic<SweepHealth> sweep_health{SweepHealth::kNoneFinished};
  std::unique_ptr<AdminServer> admin;
  if (!config->daemon_admin_listen.empty()) {
    admin = std::make_unique<AdminServer>(
        config->daemon_admin_listen,
        AdminHandlers{[&sweep_health] { return unhealthyReason(sweep_health.load()); },
                      [] { return MetricsRegistry::process().render(); }});
    try {
      admin->start();
    } catch (const Poco::Exception& e) {
      ctx.err() << "wxrecon daemon: [daemon] admin_listen " << config->daemon_admin_listen
                << ": " << e.displayText() << "\n";
      return kExitUsage;
    }
    ctx.out() << "daemon: admin http://" << admin->address() << " (/metrics, /healthz)\n";
    ctx.out().flush();
  }
  const TimePoint start_time = SystemClock::instance().now();
  logInfo("daemon.start",
          {{"sweep_interval_s", std::to_string(interval.count())},
           {"admin", admin ? admin->address() : "none"},
           {"next_bill", beijingIso(bill.plan(bill_mch_ids.front(), start_time).at)}});

  while (!stop.load()) {
    const auto started = std::chrono::steady_clock::now();
    if (!db) {
      // Opened lazily and retried every interval: a database down at start is one failed run.
      auto opened = Database::open(config->db);
      if (opened) {
        db = std::move(*opened);
      } else {
        logError("daemon.run_failed", {{"error", opened.status().message()}});
        recordRunEnd("sweep", kExitFailed, secondsSince(started), SystemClock::instance().now());
        sweep_health = SweepHealth::kFailed;
      }
    }
    if (db) {
      const int code = runOneSweep(*config, *db, options, stop, ctx.out());
      recordRunEnd("sweep", code, secondsSince(started), SystemClock::instance().now());
      sweep_health = runSucceeded(code) ? SweepHealth::kOk : SweepHealth::kFailed;
      if (code == kExitOk || code == kExitHighDiscrepancies) {
        logInfo("daemon.sweep_done", {{"exit", std::to_string(code)}});
      } else {
        logError("daemon.run_failed",
                 {{"exit", std::to_string(code)}, {"next_in_s", std::to_string(interval.count())}});
      }
    }
    bill.runDue(SystemClock::instance().now(), stop);
    const auto noteHup = [] {
      if (takeHup()) {
        logWarning("daemon.sighup",
                   {{"note", "nothing is reloaded; restart the service to apply a new config"}});
      }
    };
    // Also when the runs took the whole interval and there is no sleep (the SIGHUP test found
    // it: under ThreadSanitizer every loop outlasted its 1 s interval and nothing was logged).
    noteHup();
    // Sleep until the next slot in small steps, so a signal is noticed at once.
    while (!stop.load() && std::chrono::steady_clock::now() - started < interval) {
      noteHup();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  logInfo("daemon.stop", {{"reason", "signal"}});
  return kExitOk;
}

}  // namespace wx
