// `wxrecon daemon`: the long-running scheduler (DESIGN.md §1). Runs one sweep every
// schedule.sweep_interval_s, one after the other (never overlapping itself; several daemons or
// cron sweeps on other hosts are kept apart by the leases). A failed run is logged and the next
// one scheduled. SIGTERM/SIGINT: the running sweep stops claiming, finishes what it started,
// releases the rest, and the daemon exits 0; a second signal exits at once. SIGHUP is logged
// and ignored: nothing is reloaded (a changed config needs a restart, so a half-reloaded
// config can never mix two key sets).
#include <chrono>
#include <memory>
#include <ostream>
#include <thread>

#include "app/commands.h"
#include "app/sweep_runner.h"
#include "common/clock.h"
#include "common/log.h"
#include "storage/database.h"

namespace wx {

namespace {

// The seam for the daily bill job (DESIGN.md §1: `bill` at schedule.bill_time Beijing for
// yesterday, retrying a NOT_READY bill). Called after every sweep with the current time; it
// will run the bill once per Beijing day when bill_time has passed. Today it only says so, once.
void maybeRunBill(const Config& config, TimePoint now) {
  (void)now;
  static bool told = false;
  if (told) return;
  told = true;
  logInfo("daemon.bill_pending",
          {{"bill_time", std::to_string(config.schedule.bill_hour) + ":" +
                             (config.schedule.bill_minute < 10 ? "0" : "") +
                             std::to_string(config.schedule.bill_minute)},
           {"note", "the daily bill job arrives with issue 7; the daemon runs sweeps only"}});
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
  logInfo("daemon.start", {{"sweep_interval_s", std::to_string(interval.count())}});

  std::unique_ptr<Database> db;
  while (!stop.load()) {
    const auto started = std::chrono::steady_clock::now();
    if (!db) {
      // Opened lazily and retried every interval: a database down at start is one failed run.
      auto opened = Database::open(config->db);
      if (opened) {
        db = std::move(*opened);
      } else {
        logError("daemon.run_failed", {{"error", opened.status().message()}});
      }
    }
    if (db) {
      const int code = runOneSweep(*config, *db, options, stop, ctx.out());
      if (code == kExitOk || code == kExitHighDiscrepancies) {
        logInfo("daemon.sweep_done", {{"exit", std::to_string(code)}});
      } else {
        logError("daemon.run_failed",
                 {{"exit", std::to_string(code)}, {"next_in_s", std::to_string(interval.count())}});
      }
    }
    maybeRunBill(*config, SystemClock::instance().now());
    // Sleep until the next slot in small steps, so a signal is noticed at once.
    while (!stop.load() && std::chrono::steady_clock::now() - started < interval) {
      if (takeHup()) {
        logWarning("daemon.sighup",
                   {{"note", "nothing is reloaded; restart the service to apply a new config"}});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  logInfo("daemon.stop", {{"reason", "signal"}});
  return kExitOk;
}

}  // namespace wx
