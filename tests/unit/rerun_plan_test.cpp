// rerun's day range and progress line (service/rerun_plan.h).
#include <catch2/catch.hpp>

#include "service/rerun_plan.h"

using namespace wx;
using Catch::Contains;

TEST_CASE("rerun takes a range of finished Beijing days, at most 366", "[rerun_plan]") {
  const CivilDate today{2026, 11, 28};
  struct Ok {
    const char* why;
    const char* from;
    const char* to;
    int days;
  };
  const Ok oks[] = {
      {"one day: yesterday", "2026-11-27", "2026-11-27", 1},
      {"a month", "2026-10-28", "2026-11-27", 31},
      {"across a leap day: 366 days is the most", "2025-11-27", "2026-11-27", 366},
      {"an old range", "2024-02-28", "2024-03-01", 3},
  };
  for (const auto& c : oks) {
    INFO(c.why);
    auto r = parseRerunRange(c.from, c.to, today);
    REQUIRE(r.isOk());
    CHECK(formatIsoDate(r->from) == c.from);
    CHECK(formatIsoDate(r->to) == c.to);
    CHECK(r->days == c.days);
  }
  struct Bad {
    const char* why;
    const char* from;
    const char* to;
    const char* says;
  };
  const Bad bads[] = {
      {"D2 before D1", "2026-11-20", "2026-11-19", "--to 2026-11-19 is before --from 2026-11-20"},
      {"today is not over", "2026-11-27", "2026-11-28", "not over yet in Beijing"},
      {"a future day", "2026-12-01", "2026-12-02", "the last day a rerun takes is 2026-11-27"},
      {"367 days", "2025-11-26", "2026-11-27", "is 367 days; at most 366 per run"},
      {"a malformed --from", "2026-13-01", "2026-11-27", "--from:"},
      {"a malformed --to", "2026-11-01", "27.11.2026", "--to:"},
  };
  for (const auto& c : bads) {
    INFO(c.why);
    auto r = parseRerunRange(c.from, c.to, today);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Contains(c.says));
  }
}

TEST_CASE("report takes any range of Beijing days, today and later included, at most 366",
          "[rerun_plan]") {
  auto future = parseDayRange("2099-01-01", "2099-01-02");
  REQUIRE(future.isOk());
  CHECK(future->days == 2);
  auto year = parseDayRange("2025-11-27", "2026-11-27");
  REQUIRE(year.isOk());
  CHECK(year->days == 366);
  auto too_long = parseDayRange("2016-11-27", "2026-11-27");  // a typo in a year
  REQUIRE_FALSE(too_long.isOk());
  CHECK_THAT(too_long.status().message(), Contains("at most 366 per run"));
  auto reversed = parseDayRange("2026-11-02", "2026-11-01");
  REQUIRE_FALSE(reversed.isOk());
  CHECK_THAT(reversed.status().message(), Contains("is before --from"));
}

TEST_CASE("rerun's progress line fills a bar across the days", "[rerun_plan]") {
  const CivilDate day{2026, 11, 9};
  CHECK(rerunProgressLine(0, 20, day, 0.2) ==
        "rerun: [....................]   0/20 days  2026-11-09  0 s");
  CHECK(rerunProgressLine(9, 20, day, 12.4) ==
        "rerun: [#########...........]   9/20 days  2026-11-09  12 s");
  CHECK(rerunProgressLine(20, 20, day, 61) ==
        "rerun: [####################]  20/20 days  2026-11-09  61 s");
  CHECK(rerunProgressLine(1, 3, day, 1, 6) == "rerun: [##....]  1/3 days  2026-11-09  1 s");
  // Out-of-range input is clamped, never a negative repeat count.
  CHECK(rerunProgressLine(5, 3, day, -1, 4) == "rerun: [####]  3/3 days  2026-11-09  0 s");
}
