#include "service/bill_schedule.h"

#include <algorithm>

namespace wx {

namespace {

TimePoint beijingClock(const CivilDate& day, int hour, int minute) {
  return beijingDayStart(day) + std::chrono::hours(hour) + std::chrono::minutes(minute);
}

// The first attempt of day D's bill: D+1 at bill_time.
TimePoint firstAttempt(const CivilDate& bill_date, const BillSchedulePolicy& p) {
  return beijingClock(addDays(bill_date, 1), p.bill_hour, p.bill_minute);
}

}  // namespace

BillAttemptResult billAttemptResultOf(int exit_code) {
  if (exit_code == 0 || exit_code == 3) return BillAttemptResult::kDone;
  if (exit_code == 4) return BillAttemptResult::kNotReady;
  return BillAttemptResult::kFailed;
}

const char* billAttemptResultName(BillAttemptResult r) {
  switch (r) {
    case BillAttemptResult::kDone: return "done";
    case BillAttemptResult::kNotReady: return "not_ready";
    case BillAttemptResult::kFailed: return "failed";
  }
  return "?";
}

BillAttemptPlan nextBillAttempt(TimePoint now, const std::optional<LastBillAttempt>& last,
                                const BillSchedulePolicy& p) {
  const CivilDate yesterday = addDays(beijingDate(now), -1);
  if (!last || last->bill_date < yesterday) {
    // Nothing attempted for yesterday yet: at bill_time today, or at once when that passed.
    return {yesterday, firstAttempt(yesterday, p)};
  }
  const CivilDate next_day = addDays(last->bill_date, 1);
  const BillAttemptPlan tomorrow{next_day, firstAttempt(next_day, p)};
  TimePoint retry_at;
  switch (last->result) {
    case BillAttemptResult::kDone:
      return tomorrow;
    case BillAttemptResult::kNotReady:
      retry_at = last->at + p.not_ready_retry;
      break;
    case BillAttemptResult::kFailed: {
      const std::size_t n = static_cast<std::size_t>(std::max(1, last->consecutive_failures));
      retry_at = last->at + (p.failed_backoff.empty()
                                 ? p.not_ready_retry
                                 : p.failed_backoff[std::min(n, p.failed_backoff.size()) - 1]);
      break;
    }
  }
  const TimePoint cutoff = beijingClock(next_day, p.last_retry_hour, p.last_retry_minute);
  if (retry_at > cutoff) return tomorrow;  // give up on this day: `rerun` is the way back
  return {last->bill_date, retry_at};
}

LastBillAttempt recordBillAttempt(const std::optional<LastBillAttempt>& last,
                                  const BillAttemptPlan& plan, TimePoint at,
                                  BillAttemptResult result) {
  LastBillAttempt r{plan.bill_date, result, 0, at};
  if (result == BillAttemptResult::kFailed) {
    const bool same_day = last && last->bill_date == plan.bill_date &&
                          last->result == BillAttemptResult::kFailed;
    r.consecutive_failures = same_day ? last->consecutive_failures + 1 : 1;
  }
  return r;
}

}  // namespace wx
