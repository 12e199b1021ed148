// `wxrecon rerun --from D1 --to D2 [--recheck-final] [--redownload] [--dry-run] [--mch M]`
// (DESIGN.md §1): for each Beijing day, re-decide the day's orders (service/day_rechecker.h),
// bill-reconcile the day, rewrite its reports (service/rerun.h). Safe while sweeps run: every
// order is claimed with a lease, leased ones are skipped. One recon_run row (kind rerun); each
// day's bill step is a bill run (app/bill_runner.h) with its own row (kind bill) and summary.
// --dry-run: orders are read, not claimed, and decided without a write; the bill step is a bill
// dry run (its reports under <reports>/dry-run/); the day's reports are not rewritten.
#include <Poco/Environment.h>
#include <Poco/Process.h>
#include <unistd.h>

#include <cstdio>
#include <ostream>

#include "app/bill_runner.h"
#include "app/commands.h"
#include "app/rerun_steps.h"
#include "service/bill_run.h"
#include "app/sweep_runner.h"
#include "common/clock.h"
#include "common/log.h"
#include "net/poco_http_transport.h"
#include "service/rerun_plan.h"
#include "service/run_metrics.h"
#include "storage/database.h"
#include "storage/mysql_day_orders.h"
#include "storage/mysql_notification_reader.h"
#include "storage/mysql_report_reader.h"
#include "storage/mysql_stores.h"
#include "wechat/nonce_source.h"
#include "wechat/pay_client.h"

namespace wx {


int runRerun(CommandContext& ctx) {
  auto usage = [&](const std::string& message) {
    ctx.err() << "wxrecon rerun: " << message << "\n";
    return kExitUsage;
  };
  if (!ctx.has("from") || !ctx.has("to")) return usage("--from and --to (YYYY-MM-DD) are required");
  const TimePoint started = SystemClock::instance().now();
  auto range = parseRerunRange(ctx.get("from"), ctx.get("to"), beijingDate(started));
  if (!range) return usage(range.status().message());
  const Config* config = ctx.config();
  if (config == nullptr) return kExitUsage;
  if (config->reports_dir.empty()) {
    return usage(config->path + ": [reports] dir is required (where the reports are written)");
  }
  SweepCliOptions check;
  check.mch = ctx.get("mch");
  if (auto error = checkSweepOptions(*config, check)) return usage(*error);
  std::vector<std::string> merchants;
  for (const auto& m : config->merchants) {
    if (check.mch.empty() || m.mch_id == check.mch) merchants.push_back(m.mch_id);
  }
  const bool dry_run = ctx.has("dry-run");
  const std::atomic<bool>& stop = installStopSignals(false);
  Database* db = ctx.database();
  if (db == nullptr) return kExitFailed;  // printed: database unreachable

  MySqlRunStore runs(*db);
  const std::string params =
      "from=" + formatIsoDate(range->from) + " to=" + formatIsoDate(range->to) +
      " mch=" + (check.mch.empty() ? "*" : check.mch) +
      (ctx.has("recheck-final") ? " recheck-final" : "") +
      (ctx.has("redownload") ? " redownload" : "") + (dry_run ? " dry-run" : "");
  auto run_id = runs.start(RunKind::kRerun, params, dry_run);
  if (!run_id) {
    ctx.err() << "wxrecon rerun: database unreachable: " << run_id.status().message() << "\n";
    return kExitFailed;
  }
  setLogRunId(*run_id);

  PocoHttpTransportOptions topt;
  topt.ca_file = config->wechat.ca_file;
  auto transport = PocoHttpTransport::create(topt);
  if (!transport) return usage(transport.status().message());
  RandomNonceSource nonces;
  PayClient client(config->wechat, **transport, nonces, SystemClock::instance());
  MySqlNotificationReader notifications(*db);
  MySqlOrderStore orders(*db);
  MySqlDayOrderSource days(*db);
  MySqlReportReader reports(*db);
  MySqlDiscrepancyStore discrepancies(*db);
  OrderChecker checker(notifications, client, SystemClock::instance(), config->merchants,
                       config->policy);
  DayRecheckOptions ro;
  ro.owner = Poco::Environment::nodeName() + ":" + std::to_string(Poco::Process::id()) + ":" +
             std::to_string(*run_id);
  ro.lease_s = config->schedule.lease_s;
  ro.run_id = *run_id;
  ro.dry_run = dry_run;
  ro.discrepancies = &discrepancies;
  DayRechecker rechecker(days, orders, checker, config->merchants, ro);
  const CivilDate today = beijingDate(started);
  BillDayReconciler bill = [&](const std::string& mch, const CivilDate& day, bool redownload) {
    BillCliOptions bo;
    bo.day = day;
    bo.mch = mch;
    // WeChat serves only the last 3 months: older days are always read from the archive.
    bo.redownload = redownload && inBillWindow(day, today);
    bo.dry_run = dry_run;
    // Step (c) rewrites the day's reports after the bill; a dry run skips (c), and its bill
    // step writes the dry-run reports (with the findings it would open) instead.
    bo.write_reports = dry_run;
    BillStepResult r;
    BillRunSummary bill_summary;
    r.exit_code = runBillDay(*config, *db, bo, ctx.out(), &bill_summary);
    for (const auto& m : bill_summary.merchants) {
      for (const auto& [kind, n] : m.new_by_kind) r.discrepancies_new += n;
      r.discrepancies_high_new += m.new_high;
    }
    setLogRunId(*run_id);  // the bill run logged under its own id
    r.note = redownload && !bo.redownload
                 ? "beyond WeChat's 3-month window: from the archive, not downloaded again"
                 : (bo.redownload ? "downloaded again" : "the archived bill when there is one");
    return r;
  };
  AppRerunSteps steps(rechecker, bill, reports, config->reports_dir, stop);

  RerunOptions options;
  options.range = *range;
  options.mch_ids = merchants;
  options.recheck_final = ctx.has("recheck-final");
  options.redownload = ctx.has("redownload");
  options.dry_run = dry_run;
  if (::isatty(STDERR_FILENO) == 1) {
    options.progress = [&](int done, int total, const CivilDate& day) {
      const double s = static_cast<double>((SystemClock::instance().now() - started).count()) / 1e3;
      // \r rewrites one line on the terminal; stderr, so stdout keeps only the summary.
      std::fprintf(stderr, "\r%s   %s", rerunProgressLine(done, total, day, s).c_str(),
                   done == total ? "\n" : "");
      std::fflush(stderr);
    };
  }
  RerunSummary summary = runRerun(steps, options, stop);
  recordRerun(summary);
  const std::string text = summary.render();
  ctx.out() << "rerun: run " << *run_id << "\n" << text;
  ctx.out().flush();

  RunCounters c;
  for (const auto& d : summary.days) {
    c.orders_examined += d.recheck.orders;
    c.transitions += d.recheck.transitions;
    c.wechat_calls += d.recheck.wechat_calls;
    c.failures += d.recheck.failures + (d.recheck_error.empty() ? 0 : 1) +
                  (d.report_error.empty() ? 0 : 1);
  }
  c.discrepancies_new = summary.discrepanciesNew();
  c.discrepancies_high_new = summary.discrepanciesHighNew();
  const int code = summary.exitCode();
  const std::string status = summary.interrupted ? "INTERRUPTED"
                             : dry_run              ? "DRY_RUN"
                             : (code == kExitOk || code == kExitHighDiscrepancies) ? "OK"
                                                                                  : "FAILED";
  if (Status st = runs.finish(*run_id, status, c, text); !st.isOk()) {
    logError("rerun.finish_failed", {{"error", st.message()}});
  }
  logInfo("rerun.done", {{"from", formatIsoDate(range->from)},
                         {"to", formatIsoDate(range->to)},
                         {"status", status},
                         {"exit", std::to_string(code)},
                         {"merchant_days", std::to_string(summary.days.size())},
                         {"orders", std::to_string(c.orders_examined)},
                         {"transitions", std::to_string(c.transitions)},
                         {"new_discrepancies", std::to_string(c.discrepancies_new)},
                         {"new_high", std::to_string(c.discrepancies_high_new)}});
  return code;
}

}  // namespace wx
