// `wxrecon rerun --from D1 --to D2` (DESIGN.md §1) as a loop over Beijing days and merchants,
// each merchant-day in three steps behind RerunSteps:
//   (a) re-decide the day's orders (service/day_orders.h) ignoring their schedule — claimed
//       like the sweep (leased ones skipped: a sweep is on them), through the shared checker;
//   (b) bill-reconcile the day (the archived OK/EMPTY bill unless --redownload);
//   (c) rewrite the day's reports from the database.
// Days run oldest first; one merchant-day's failure is recorded and the rest go on. The loop
// writes nothing itself: the steps do, and the caller owns the recon_run row.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "service/rerun_plan.h"

namespace wx {

struct RecheckCounts {
  std::int64_t orders = 0;          // the day's orders selected
  std::int64_t skipped_leased = 0;  // under a live lease: their worker decides them
  std::int64_t transitions = 0;
  std::int64_t wechat_calls = 0;
  std::int64_t failures = 0;  // orders whose check or write failed (left as they were)
  std::int64_t discrepancies_new = 0;
  std::int64_t discrepancies_high_new = 0;
};

// What step (b) did: `wxrecon bill`'s exit code for the day (DESIGN.md §1: 0, 3 new HIGH, 4
// not ready, 1 failed, 2 configuration) and one line for the summary (e.g. "OK from the
// archive, 1,203 rows, 2 new discrepancies").
struct BillStepResult {
  int exit_code = 0;
  std::string note;
  std::int64_t discrepancies_new = 0;
  std::int64_t discrepancies_high_new = 0;
};

class RerunSteps {
 public:
  virtual ~RerunSteps() = default;
  // (a) Errors: kFailedPrecondition for a merchant-level configuration failure, kUnavailable
  // for the database.
  virtual Result<RecheckCounts> recheckOrders(const std::string& mch_id, const CivilDate& day,
                                              bool include_final) = 0;
  // (b) Never fails: failures are exit codes.
  virtual BillStepResult reconcileBill(const std::string& mch_id, const CivilDate& day,
                                       bool redownload) = 0;
  // (c) The paths written (not called in a dry run).
  virtual Result<std::vector<std::string>> writeReports(const std::string& mch_id,
                                                        const CivilDate& day) = 0;
};

struct RerunOptions {
  RerunRange range;
  std::vector<std::string> mch_ids;  // in this order
  bool recheck_final = false;
  bool redownload = false;
  // Decide and report, write nothing: the steps are built for a dry run (orders read, not
  // claimed; the bill step a bill dry run, whose reports go to the dry-run path) and step (c)
  // is skipped — the real reports stay as they are.
  bool dry_run = false;
  // Called before each day (done = days finished) and once at the end (done = total).
  std::function<void(int done, int total, const CivilDate& day)> progress;
};

struct RerunDayResult {
  std::string mch_id;
  CivilDate day;
  RecheckCounts recheck;
  std::string recheck_error;  // (a) failed: (b) and (c) were not run
  bool recheck_config_failure = false;
  BillStepResult bill;
  std::vector<std::string> report_paths;
  std::string report_error;
};

struct RerunSummary {
  RerunRange range;
  std::vector<RerunDayResult> days;
  bool interrupted = false;  // a stop signal arrived: the remaining days were not run
  bool dry_run = false;

  // DESIGN.md §1, in the bill command's order: 1 a failure or an interruption; 4 a bill not
  // ready (only yesterday's can be); 2 a configuration failure; 3 new HIGH discrepancies; 0.
  int exitCode() const;
  std::int64_t discrepanciesNew() const;
  std::int64_t discrepanciesHighNew() const;
  // One screen: a line per merchant-day, the totals, the report paths.
  std::string render() const;
};

// Runs the days (oldest first) and, within a day, the merchants. Checks `stop` between
// merchant-days.
RerunSummary runRerun(RerunSteps& steps, const RerunOptions& options,
                      const std::atomic<bool>& stop);

}  // namespace wx
