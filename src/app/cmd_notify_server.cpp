// `wxrecon notify-server` (DESIGN.md §1): receive WeChat's payment notifications — verify,
// store, acknowledge, confirm. Wiring only: the HTTP side is net/notify_server, storage
// storage/mysql_notification_store, confirmation service/notify_confirmer.
//
// Signals: SIGTERM/SIGINT stop it gracefully (stop accepting, finish requests in flight, let the
// confirmation workers finish the order in hand, leave queued orders due now for the sweep,
// close the recon_run row) and exit 0. SIGHUP is logged and ignored (it must not kill it).
// Signals are blocked in every thread and taken by sigwait() in this one.
#include <Poco/Environment.h>
#include <Poco/Process.h>
#include <signal.h>

#include <memory>
#include <ostream>

#include "app/commands.h"
#include "common/clock.h"
#include "common/log.h"
#include "net/notify_server.h"
#include "net/poco_http_transport.h"
#include "service/notify_confirmer.h"
#include "storage/database.h"
#include "storage/mysql_notification_store.h"
#include "storage/mysql_stores.h"
#include "wechat/nonce_source.h"
#include "wechat/pay_client.h"

namespace wx {

namespace {
// Orders waiting for their confirming query, and the threads that query (each holds one
// WeChat call at a time; PayClient's per-merchant qps and in-flight caps still apply).
constexpr std::size_t kConfirmQueueCapacity = 4096;
constexpr int kConfirmWorkers = 4;
constexpr int kStopGraceMs = 5000;
}  // namespace

int runNotifyServer(CommandContext& ctx) {
  // Before any thread exists, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const Config* config = ctx.config();
  if (config == nullptr) return kExitUsage;
  if (config->notify.listen.empty()) {
    ctx.err() << "wxrecon notify-server: configuration error: [notify] missing required key "
                 "'listen'\n";
    return kExitUsage;
  }
  Database* db = ctx.database();
  if (db == nullptr) return kExitFailed;

  MySqlRunStore runs(*db);
  auto run_id = runs.start(
      RunKind::kNotify, "listen=" + config->notify.listen + " path=" + config->notify.path, false);
  if (!run_id) {
    ctx.err() << "wxrecon notify-server: " << run_id.status().message() << "\n";
    return kExitFailed;
  }
  setLogRunId(*run_id);

  PocoHttpTransportOptions topts;
  topts.ca_file = config->wechat.ca_file;
  auto transport = PocoHttpTransport::create(topts);
  if (!transport) {
    ctx.err() << "wxrecon notify-server: " << transport.status().message() << "\n";
    (void)runs.finish(*run_id, "FAILED", {}, transport.status().message());
    return kExitUsage;
  }
  RandomNonceSource nonces;
  PayClient client(config->wechat, **transport, nonces, SystemClock::instance());
  MySqlOrderStore orders(*db);
  MySqlNotificationStore store(*db, *run_id);
  ConfirmStorage storage;
  storage.mark_due_now = [&store](const std::vector<OrderKey>& o) { return store.markDueNow(o); };
  const std::string owner = Poco::Environment::nodeName() + ":" +
                            std::to_string(Poco::Process::id()) + ":notify-" +
                            std::to_string(*run_id);
  // [notify] confirm = false: store and acknowledge only (the sweep confirms at its next check).
  std::unique_ptr<NotifyConfirmer> confirmer;
  if (config->notify.confirm) {
    confirmer = std::make_unique<NotifyConfirmer>(*config, orders, store, storage, client,
                                                  SystemClock::instance(), *run_id, owner,
                                                  kConfirmQueueCapacity, kConfirmWorkers);
  }
  NotifyServer server(*config, *db, store, confirmer.get());
  try {
    server.start();
  } catch (const Poco::Exception& e) {
    ctx.err() << "wxrecon notify-server: cannot listen: " << e.displayText() << "\n";
    if (confirmer) confirmer->stop();
    (void)runs.finish(*run_id, "FAILED", {}, "cannot listen: " + e.displayText());
    return kExitFailed;
  }
  ctx.out() << "notify-server listening on "
            << (config->notify.tls_cert_file.empty() ? "http://" : "https://")
            << server.listenAddress() << config->notify.path
            << " (admin http://" << server.adminAddress() << ")"
            << (confirmer ? "" : " [confirmation off]") << std::endl;
  logInfo("notify.start", {{"listen", server.listenAddress()}, {"admin", server.adminAddress()}});

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      logInfo("notify.sighup", {{"action", "ignored"}});
      continue;
    }
    logInfo("notify.stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  server.stop(kStopGraceMs);
  ConfirmStats c;
  if (confirmer) {
    confirmer->stop();
    c = confirmer->stats();
  }
  RunCounters counters;
  counters.orders_examined = static_cast<std::int64_t>(c.confirmed + c.skipped_leased);
  counters.transitions = static_cast<std::int64_t>(c.transitions);
  counters.wechat_calls = static_cast<std::int64_t>(c.wechat_calls);
  counters.failures = static_cast<std::int64_t>(c.failures);
  (void)runs.finish(*run_id, "OK", counters, "stopped by signal");
  logInfo("notify.stopped", {{"confirmed", std::to_string(c.confirmed)}});
  return kExitOk;
}

}  // namespace wx
