#include "service/report_writer.h"

#include <algorithm>

#include "common/atomic_file.h"
#include "report/csv_report.h"
#include "report/html_report.h"

namespace wx {

namespace {

// mch_id is a path component: anything but WeChat's digits (and the letters some sandboxes use)
// could climb out of reports_dir.
bool safePathComponent(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '-';
  });
}

IndexEntry entryFor(const DayReport& r) {
  IndexEntry e;
  e.day = r.day;
  e.totals = r.totals;
  e.discrepancies = static_cast<std::int64_t>(r.discrepancies.size());
  for (const auto& d : r.discrepancies) {
    if (d.severity == "HIGH" && d.status == "OPEN") ++e.open_high;
  }
  return e;
}

}  // namespace

std::string merchantReportDir(const std::string& reports_dir, const std::string& mch_id,
                              bool dry_run) {
  return reports_dir + (dry_run ? "/dry-run/" : "/") + mch_id;
}

Result<ReportPaths> writeDayReportFiles(const DayReport& report, std::vector<IndexEntry> index,
                                        const Clock& clock, const std::string& reports_dir,
                                        bool dry_run) {
  if (reports_dir.empty()) return Status::invalidArgument("[reports] dir is not set");
  if (!safePathComponent(report.mch_id)) {
    return Status::invalidArgument("mch_id '" + report.mch_id + "' cannot name a report directory");
  }
  const std::string mch_dir = merchantReportDir(reports_dir, report.mch_id, dry_run);
  const std::string day_dir = mch_dir + "/" + formatIsoDate(report.day);
  if (Status st = makeDirectories(day_dir); !st.isOk()) return st;

  const TimePoint now = clock.now();
  ReportPaths paths{day_dir + "/reconciliation.csv", day_dir + "/reconciliation.html",
                    mch_dir + "/index.html"};
  if (Status st = writeFileAtomically(paths.csv, renderReconciliationCsv(report)); !st.isOk()) {
    return st;
  }
  if (Status st = writeFileAtomically(paths.html, renderReconciliationHtml(report, now));
      !st.isOk()) {
    return st;
  }

  // The day just written is described from the report itself (the same data, and the one
  // source a dry run has).
  index.erase(std::remove_if(index.begin(), index.end(),
                             [&](const IndexEntry& e) { return e.day == report.day; }),
              index.end());
  index.push_back(entryFor(report));
  for (IndexEntry& e : index) {
    e.has_page = fileExists(mch_dir + "/" + formatIsoDate(e.day) + "/reconciliation.html");
  }
  if (Status st = writeFileAtomically(paths.index, renderIndexHtml(report.mch_id, index, now));
      !st.isOk()) {
    return st;
  }
  return paths;
}

Result<ReportPaths> writeDayReports(ReportReader& reader, const Clock& clock,
                                    const std::string& reports_dir, const std::string& mch_id,
                                    CivilDate day, bool dry_run) {
  auto report = reader.loadDay(mch_id, day);
  if (!report) return report.status();
  auto index = reader.loadIndex(mch_id);
  if (!index) return index.status();
  return writeDayReportFiles(*report, std::move(*index), clock, reports_dir, dry_run);
}

}  // namespace wx
