// When the daemon runs the daily bill (DESIGN.md §1: `bill` for yesterday, Beijing, at
// schedule.bill_time Beijing, retrying a NOT_READY bill later that day). Pure arithmetic on
// instants and Beijing days: no clock, no TZ. One schedule per merchant.
//
// - The bill of Beijing day D is attempted from D+1 at bill_time (Beijing). A daemon started
//   later that day attempts it at once; days it was down for are left to `wxrecon rerun`.
// - NOT_READY (WeChat has not published it): again every `not_ready_retry` (30 min).
// - FAILED (download failed, database down, merchant configuration failure): again after
//   `failed_backoff` (5, 10, 20, 40, then every 60 min).
// - Retries stop at `last_retry` (23:30 Beijing) of D+1; the next plan is D+1's bill on D+2.
// - DONE (OK, EMPTY, REJECTED bill — the run finished, with or without discrepancies): once per
//   day, the next plan is D+1's bill.
#pragma once

#include <optional>
#include <vector>

#include "common/time.h"

namespace wx {

enum class BillAttemptResult { kDone, kNotReady, kFailed };

// Maps a `wxrecon bill` exit code (DESIGN.md §1): 0/3 done, 4 not ready, anything else failed.
BillAttemptResult billAttemptResultOf(int exit_code);
const char* billAttemptResultName(BillAttemptResult r);

struct LastBillAttempt {
  CivilDate bill_date;  // the Beijing day whose bill was attempted
  BillAttemptResult result = BillAttemptResult::kDone;
  int consecutive_failures = 0;  // FAILED attempts in a row for bill_date (1 after the first)
  TimePoint at;                  // when that attempt started
};

struct BillSchedulePolicy {
  int bill_hour = 10;  // schedule.bill_time, Beijing
  int bill_minute = 30;
  Millis not_ready_retry = std::chrono::minutes(30);
  std::vector<Millis> failed_backoff = {std::chrono::minutes(5), std::chrono::minutes(10),
                                        std::chrono::minutes(20), std::chrono::minutes(40),
                                        std::chrono::minutes(60)};
  int last_retry_hour = 23;  // Beijing
  int last_retry_minute = 30;
};

struct BillAttemptPlan {
  CivilDate bill_date;  // which Beijing day's bill
  TimePoint at;         // run at or after this instant (at <= now: due now)
};

// The next attempt, given the current instant and the last attempt made (none yet: nullopt).
BillAttemptPlan nextBillAttempt(TimePoint now, const std::optional<LastBillAttempt>& last,
                                const BillSchedulePolicy& policy);

// The record of an attempt of `plan` that started at `at` and ended with `result`.
LastBillAttempt recordBillAttempt(const std::optional<LastBillAttempt>& last,
                                  const BillAttemptPlan& plan, TimePoint at,
                                  BillAttemptResult result);

}  // namespace wx
