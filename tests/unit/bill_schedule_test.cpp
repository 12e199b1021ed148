// The daemon's bill schedule (service/bill_schedule.h): Beijing days and times, whatever TZ the
// process has (tests/run.sh runs unit_tests under several TZ values; every expectation here is
// a constant instant).
#include <catch2/catch.hpp>

#include "service/bill_schedule.h"

using namespace wx;
using std::chrono::minutes;

namespace {

// A Beijing wall-clock instant.
TimePoint bj(int y, int mo, int d, int h, int mi) {
  return beijingDayStart({y, mo, d}) + std::chrono::hours(h) + minutes(mi);
}

LastBillAttempt attempt(CivilDate day, BillAttemptResult r, TimePoint at, int failures = 0) {
  return LastBillAttempt{day, r, failures, at};
}

}  // namespace

TEST_CASE("the first bill attempt is yesterday's bill at bill_time Beijing", "[bill_schedule]") {
  BillSchedulePolicy p;  // 10:30
  struct Case {
    const char* why;
    TimePoint now;
    CivilDate day;
    TimePoint at;
  };
  const Case cases[] = {
      {"started in the morning: wait for 10:30", bj(2026, 11, 28, 7, 0), {2026, 11, 27},
       bj(2026, 11, 28, 10, 30)},
      {"00:30 Beijing is still the previous UTC day (16:30 UTC): the Beijing day counts",
       bj(2026, 11, 28, 0, 30), {2026, 11, 27}, bj(2026, 11, 28, 10, 30)},
      {"started after 10:30: due at once (at lies in the past)", bj(2026, 11, 28, 15, 0),
       {2026, 11, 27}, bj(2026, 11, 28, 10, 30)},
      {"23:59 Beijing", bj(2026, 11, 28, 23, 59), {2026, 11, 27}, bj(2026, 11, 28, 10, 30)},
      {"1 March in a leap year: yesterday is 29 February", bj(2028, 3, 1, 9, 0), {2028, 2, 29},
       bj(2028, 3, 1, 10, 30)},
      {"1 January: yesterday is in the previous year", bj(2027, 1, 1, 12, 0), {2026, 12, 31},
       bj(2027, 1, 1, 10, 30)},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto plan = nextBillAttempt(c.now, std::nullopt, p);
    CHECK(plan.bill_date == c.day);
    CHECK(plan.at == c.at);
  }
  // 10:30 Beijing is 02:30 UTC.
  CHECK(formatUtcSql(bj(2026, 11, 28, 10, 30)) == "2026-11-28 02:30:00.000");
}

TEST_CASE("bill_time is configurable", "[bill_schedule]") {
  BillSchedulePolicy p;
  p.bill_hour = 9;
  p.bill_minute = 5;
  auto plan = nextBillAttempt(bj(2026, 11, 28, 1, 0), std::nullopt, p);
  CHECK(plan.at == bj(2026, 11, 28, 9, 5));
}

TEST_CASE("a finished bill runs once per day: the next plan is tomorrow", "[bill_schedule]") {
  BillSchedulePolicy p;
  const CivilDate d{2026, 11, 27};
  auto last = attempt(d, BillAttemptResult::kDone, bj(2026, 11, 28, 10, 30));
  for (TimePoint now : {bj(2026, 11, 28, 10, 31), bj(2026, 11, 28, 23, 59)}) {
    auto plan = nextBillAttempt(now, last, p);
    CHECK(plan.bill_date == CivilDate{2026, 11, 28});
    CHECK(plan.at == bj(2026, 11, 29, 10, 30));
  }
  // The next morning the same plan stands; after 10:30 it is due.
  auto plan = nextBillAttempt(bj(2026, 11, 29, 10, 31), last, p);
  CHECK(plan.bill_date == CivilDate{2026, 11, 28});
  CHECK(plan.at == bj(2026, 11, 29, 10, 30));
}

TEST_CASE("NOT_READY is retried every 30 minutes until 23:30 Beijing", "[bill_schedule]") {
  BillSchedulePolicy p;
  const CivilDate d{2026, 11, 27};
  auto plan = nextBillAttempt(bj(2026, 11, 28, 10, 31),
                              attempt(d, BillAttemptResult::kNotReady, bj(2026, 11, 28, 10, 30)), p);
  CHECK(plan.bill_date == d);
  CHECK(plan.at == bj(2026, 11, 28, 11, 0));
  // The last retry allowed is at 23:30 exactly.
  plan = nextBillAttempt(bj(2026, 11, 28, 23, 1),
                         attempt(d, BillAttemptResult::kNotReady, bj(2026, 11, 28, 23, 0)), p);
  CHECK(plan.bill_date == d);
  CHECK(plan.at == bj(2026, 11, 28, 23, 30));
  // After that: give up on the day, tomorrow's bill next.
  plan = nextBillAttempt(bj(2026, 11, 28, 23, 31),
                         attempt(d, BillAttemptResult::kNotReady, bj(2026, 11, 28, 23, 30)), p);
  CHECK(plan.bill_date == CivilDate{2026, 11, 28});
  CHECK(plan.at == bj(2026, 11, 29, 10, 30));
}

TEST_CASE("FAILED backs off 5, 10, 20, 40, then 60 minutes", "[bill_schedule]") {
  BillSchedulePolicy p;
  const CivilDate d{2026, 11, 27};
  const TimePoint t0 = bj(2026, 11, 28, 10, 30);
  std::optional<LastBillAttempt> last;
  BillAttemptPlan plan{d, t0};
  const int expected_gap_min[] = {5, 10, 20, 40, 60, 60};
  for (int gap : expected_gap_min) {
    last = recordBillAttempt(last, plan, plan.at, BillAttemptResult::kFailed);
    auto next = nextBillAttempt(plan.at, last, p);
    CHECK(next.bill_date == d);
    CHECK(next.at - plan.at == minutes(gap));
    plan = next;
  }
  CHECK(last->consecutive_failures == 6);
  // A NOT_READY answer in between restarts the failure count.
  last = recordBillAttempt(last, plan, plan.at, BillAttemptResult::kNotReady);
  last = recordBillAttempt(last, plan, plan.at, BillAttemptResult::kFailed);
  CHECK(last->consecutive_failures == 1);
  // A failure near the cutoff gives up on the day.
  auto late = nextBillAttempt(bj(2026, 11, 28, 23, 29),
                              attempt(d, BillAttemptResult::kFailed, bj(2026, 11, 28, 23, 29), 5), p);
  CHECK(late.bill_date == CivilDate{2026, 11, 28});
}

TEST_CASE("a daemon down for days attempts only yesterday's bill", "[bill_schedule]") {
  BillSchedulePolicy p;
  auto last = attempt({2026, 11, 20}, BillAttemptResult::kDone, bj(2026, 11, 21, 10, 30));
  auto plan = nextBillAttempt(bj(2026, 11, 28, 12, 0), last, p);
  CHECK(plan.bill_date == CivilDate{2026, 11, 27});
  CHECK(plan.at == bj(2026, 11, 28, 10, 30));
}

TEST_CASE("bill exit codes map to attempt results", "[bill_schedule]") {
  CHECK(billAttemptResultOf(0) == BillAttemptResult::kDone);
  CHECK(billAttemptResultOf(3) == BillAttemptResult::kDone);
  CHECK(billAttemptResultOf(4) == BillAttemptResult::kNotReady);
  CHECK(billAttemptResultOf(1) == BillAttemptResult::kFailed);
  CHECK(billAttemptResultOf(2) == BillAttemptResult::kFailed);
}
