// `wxrecon report --from D1 --to D2 [--mch M]`: rewrites the finance reports of those Beijing
// days from the database only (no WeChat call, no archive read), DESIGN.md §1 and §6.
#include <ostream>

#include "app/commands.h"
#include "common/log.h"
#include "service/report_writer.h"
#include "service/rerun_plan.h"
#include "storage/database.h"
#include "storage/mysql_report_reader.h"
#include "storage/mysql_stores.h"

namespace wx {

int runReport(CommandContext& ctx) {
  if (!ctx.has("from") || !ctx.has("to")) {
    ctx.err() << "wxrecon report: --from and --to (YYYY-MM-DD) are required\n";
    return kExitUsage;
  }
  auto range = parseDayRange(ctx.get("from"), ctx.get("to"));
  if (!range) {
    ctx.err() << "wxrecon report: " << range.status().message() << "\n";
    return kExitUsage;
  }
  const Config* config = ctx.config();
  if (config == nullptr) return kExitUsage;
  if (config->reports_dir.empty()) {
    ctx.err() << "wxrecon report: " << config->path
              << ": [reports] dir is required (where the reports are written)\n";
    return kExitUsage;
  }
  std::vector<std::string> merchants;
  for (const auto& m : config->merchants) {
    if (ctx.get("mch").empty() || m.mch_id == ctx.get("mch")) merchants.push_back(m.mch_id);
  }
  if (merchants.empty()) {
    ctx.err() << "wxrecon report: "
              << (ctx.has("mch")
                      ? "--mch " + ctx.get("mch") + ": no [merchant.*] section has this mch_id"
                      : std::string("no [merchant.*] section in the config"))
              << "\n";
    return kExitUsage;
  }
  Database* db = ctx.database();
  if (db == nullptr) return kExitFailed;  // the error is printed: database unreachable

  MySqlRunStore runs(*db);
  const std::string params = "from=" + formatIsoDate(range->from) + " to=" + formatIsoDate(range->to) +
                             " mch=" + (ctx.get("mch").empty() ? "*" : ctx.get("mch"));
  auto run_id = runs.start(RunKind::kReport, params, false);
  if (!run_id) {
    ctx.err() << "wxrecon report: database unreachable: " << run_id.status().message() << "\n";
    return kExitFailed;
  }
  setLogRunId(*run_id);

  MySqlReportReader reader(*db);
  RunCounters counters;
  std::int64_t written = 0;
  std::string first_error;
  std::ostream& out = ctx.out();
  for (const std::string& mch : merchants) {
    for (CivilDate day = range->from; day <= range->to; day = addDays(day, 1)) {
      auto paths =
          writeDayReports(reader, SystemClock::instance(), config->reports_dir, mch, day, false);
      if (!paths) {
        ++counters.failures;
        if (first_error.empty()) first_error = paths.status().message();
        logError(
            "report.failed",
            {{"mch_id", mch}, {"day", formatIsoDate(day)}, {"error", paths.status().message()}});
        out << "  " << mch << " " << formatIsoDate(day) << ": FAILED " << paths.status().message()
            << "\n";
        continue;
      }
      ++written;
      logInfo("report.written",
              {{"mch_id", mch}, {"day", formatIsoDate(day)}, {"csv", paths->csv}});
      out << "  " << paths->csv << "\n  " << paths->html << "\n";
    }
    out << "  " << merchantReportDir(config->reports_dir, mch, false) << "/index.html\n";
  }
  const std::string status = counters.failures == 0 ? "OK" : "FAILED";
  const std::string summary = std::to_string(written) + " day reports written, " +
                              std::to_string(counters.failures) + " failed";
  out << "report: run " << *run_id << ", " << status << ", " << summary << "\n";
  if (!first_error.empty()) out << "  first error: " << first_error << "\n";
  if (Status st = runs.finish(*run_id, status, counters, summary); !st.isOk()) {
    logError("report.finish_failed", {{"error", st.message()}});
  }
  return counters.failures == 0 ? kExitOk : kExitFailed;
}

}  // namespace wx
