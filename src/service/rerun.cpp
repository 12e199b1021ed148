#include "service/rerun.h"

namespace wx {

namespace {

bool billFailed(int code) { return code == 1; }
bool billConfigFailure(int code) { return code == 2; }

std::string billText(const BillStepResult& b) {
  switch (b.exit_code) {
    case 0: return "bill reconciled";
    case 3: return "bill reconciled, new HIGH discrepancies";
    case 4: return "bill not ready at WeChat";
    case 2: return "bill not done";
    default: return "bill failed";
  }
}

}  // namespace

int RerunSummary::exitCode() const {
  bool config = false, failed = interrupted, not_ready = false, high = false;
  for (const auto& d : days) {
    config = config || d.recheck_config_failure || billConfigFailure(d.bill.exit_code);
    failed = failed || (!d.recheck_error.empty() && !d.recheck_config_failure) ||
             billFailed(d.bill.exit_code) || !d.report_error.empty() || d.recheck.failures > 0;
    not_ready = not_ready || d.bill.exit_code == 4;
    high = high || d.bill.exit_code == 3 || d.recheck.discrepancies_high_new > 0;
  }
  // The bill command's order (service/bill_run.h), so a one-day rerun exits like its bill.
  if (failed) return 1;
  if (not_ready) return 4;
  if (config) return 2;
  return high ? 3 : 0;
}

std::int64_t RerunSummary::discrepanciesNew() const {
  std::int64_t n = 0;
  for (const auto& d : days) n += d.recheck.discrepancies_new + d.bill.discrepancies_new;
  return n;
}

std::int64_t RerunSummary::discrepanciesHighNew() const {
  std::int64_t n = 0;
  for (const auto& d : days) n += d.recheck.discrepancies_high_new + d.bill.discrepancies_high_new;
  return n;
}

std::string RerunSummary::render() const {
  std::string s = "rerun: " + formatIsoDate(range.from) + " .. " + formatIsoDate(range.to) +
                  " (" + std::to_string(range.days) + (range.days == 1 ? " day" : " days") +
                  ")" + (dry_run ? ", dry run: nothing written" : "") +
                  (interrupted ? ", INTERRUPTED" : "") + "\n";
  std::vector<std::string> paths;
  for (const auto& d : days) {
    s += "  " + formatIsoDate(d.day) + " " + d.mch_id + ": ";
    if (!d.recheck_error.empty()) {
      s += "re-decide failed: " + d.recheck_error + " (bill and reports not run)\n";
      continue;
    }
    const auto& r = d.recheck;
    s += std::to_string(r.orders) + " orders re-decided";
    if (r.skipped_leased > 0) s += " (" + std::to_string(r.skipped_leased) + " leased, skipped)";
    s += ", " + std::to_string(r.transitions) + " transitions" + (dry_run ? " (would write)" : "");
    if (r.failures > 0) s += ", " + std::to_string(r.failures) + " failed";
    s += "; " + billText(d.bill) + (d.bill.note.empty() ? "" : " (" + d.bill.note + ")");
    if (dry_run) {
      s += "; reports not rewritten\n";
    } else {
      s += d.report_error.empty() ? "; reports written\n" : "; reports failed: " + d.report_error + "\n";
    }
    paths.insert(paths.end(), d.report_paths.begin(), d.report_paths.end());
  }
  s += std::string("  new discrepancies") + (dry_run ? " (would open)" : "") + ": " +
       std::to_string(discrepanciesNew()) + " (HIGH " + std::to_string(discrepanciesHighNew()) +
       ")\n";
  for (const auto& p : paths) s += "  report: " + p + "\n";
  return s;
}

RerunSummary runRerun(RerunSteps& steps, const RerunOptions& o, const std::atomic<bool>& stop) {
  RerunSummary summary;
  summary.range = o.range;
  summary.dry_run = o.dry_run;
  CivilDate day = o.range.from;
  for (int i = 0; i < o.range.days; ++i, day = addDays(day, 1)) {
    if (o.progress) o.progress(i, o.range.days, day);
    for (const auto& mch : o.mch_ids) {
      if (stop.load()) {
        summary.interrupted = true;
        return summary;
      }
      RerunDayResult d;
      d.mch_id = mch;
      d.day = day;
      auto recheck = steps.recheckOrders(mch, day, o.recheck_final);
      if (!recheck) {
        d.recheck_error = recheck.status().message();
        d.recheck_config_failure = recheck.status().code() == StatusCode::kFailedPrecondition;
        summary.days.push_back(std::move(d));
        continue;
      }
      d.recheck = *recheck;
      d.bill = steps.reconcileBill(mch, day, o.redownload);
      if (o.dry_run) {
        summary.days.push_back(std::move(d));
        continue;
      }
      // The reports show the database whatever the bill step concluded (a failed download
      // leaves the day's previous figures, which the page then shows as they are).
      auto paths = steps.writeReports(mch, day);
      if (paths) {
        d.report_paths = *paths;
      } else {
        d.report_error = paths.status().message();
      }
      summary.days.push_back(std::move(d));
    }
  }
  if (o.progress) o.progress(o.range.days, o.range.days, o.range.to);
  return summary;
}

}  // namespace wx
