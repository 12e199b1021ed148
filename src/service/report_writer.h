// Writing the finance reports of one merchant and Beijing day (DESIGN.md §6). The one entry
// point that `wxrecon report`, the bill run and rerun all call; no database types here.
//
//   <reports_dir>/<mch_id>/<YYYY-MM-DD>/reconciliation.csv
//   <reports_dir>/<mch_id>/<YYYY-MM-DD>/reconciliation.html
//   <reports_dir>/<mch_id>/index.html                  (every day, newest first)
// A dry run writes the same tree under <reports_dir>/dry-run/. Each file is replaced
// atomically (common/atomic_file.h): a crash leaves the previous version or the new one.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "report/day_report.h"

namespace wx {

// Reads what the reports show. Implemented over MySQL in storage/mysql_report_reader.h.
class ReportReader {
 public:
  virtual ~ReportReader() = default;
  // The bill_day row (if any) and every discrepancy touching `day` (DESIGN.md §6).
  virtual Result<DayReport> loadDay(const std::string& mch_id, CivilDate day) = 0;
  // One entry per day with a bill_day row or a discrepancy touching it (has_page unset).
  virtual Result<std::vector<IndexEntry>> loadIndex(const std::string& mch_id) = 0;
};

struct ReportPaths {
  std::string csv;
  std::string html;
  std::string index;
};

// The directory a merchant's reports go to ("<dir>/<mch>" or "<dir>/dry-run/<mch>").
std::string merchantReportDir(const std::string& reports_dir, const std::string& mch_id,
                              bool dry_run);

// Loads the day and the index from `reader`, then writes the three files. On failure returns
// the reader's Status or the file system's (kUnavailable, naming the path); files already
// replaced stay replaced (each is whole).
Result<ReportPaths> writeDayReports(ReportReader& reader, const Clock& clock,
                                    const std::string& reports_dir, const std::string& mch_id,
                                    CivilDate day, bool dry_run);

// The same from data in hand (a dry-run bill has no rows in the database to read). `index`
// lists the days known to the caller; `report.day` is added to it when missing.
Result<ReportPaths> writeDayReportFiles(const DayReport& report, std::vector<IndexEntry> index,
                                        const Clock& clock, const std::string& reports_dir,
                                        bool dry_run);

}  // namespace wx
