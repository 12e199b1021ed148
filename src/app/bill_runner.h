// Wiring of one `wxrecon bill` run (service/bill_run.h) to the real stores, WeChat client and
// GET_LOCK; shared by the bill command and the daemon's daily bill job.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "app/config.h"
#include "common/time.h"

namespace wx {

class Database;
struct BillRunSummary;

struct BillCliOptions {
  CivilDate day;        // Beijing day
  std::string mch;      // empty: every configured merchant
  bool dry_run = false;
  bool redownload = true;  // false: reuse the newest archived OK/EMPTY bill (rerun)
  // Write each reconciled day's reports (DESIGN.md §6) under [reports] dir when it is set; a
  // dry run writes them under <dir>/dry-run/ with the findings it would open. rerun turns this
  // off: it rewrites the reports itself after the bill.
  bool write_reports = true;
};

// Checks --date against today (Beijing): refused when not a date, today or later (the day is
// not over), or older than WeChat's 3-month window (92 days). nullopt: fine (sets `day`).
std::optional<std::string> checkBillDate(const std::string& text, const CivilDate& today,
                                         CivilDate& day);

// Whether WeChat still serves the bill of Beijing day `day` (its 3-month window), today being
// `today` (Beijing).
bool inBillWindow(const CivilDate& day, const CivilDate& today);

// Runs the bill for one day; prints the summary on `out`; returns the exit code (DESIGN.md §1).
// `summary` (when set) receives the run's summary (rerun adds up its new discrepancies).
int runBillDay(const Config& config, Database& db, const BillCliOptions& options,
               std::ostream& out, BillRunSummary* summary = nullptr);

}  // namespace wx
