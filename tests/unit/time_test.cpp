// Time conversions must not depend on the process TZ: tests/run.sh runs this binary under
// several TZ values (UTC, Asia/Shanghai, America/New_York) and the expectations are constants.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>

#include "common/time.h"

using namespace wx;

namespace {
TimePoint utc(int y, int mo, int d, int h, int mi, int s) {
  const std::int64_t secs = daysFromCivil({y, mo, d}) * 86400 + h * 3600 + mi * 60 + s;
  return TimePoint(Millis(secs * 1000));
}
}  // namespace

TEST_CASE("civil date arithmetic round-trips", "[time]") {
  CHECK(daysFromCivil({1970, 1, 1}) == 0);
  CHECK(daysFromCivil({2000, 3, 1}) == 11017);
  for (std::int64_t d = -800000; d < 800000; d += 997) {
    CHECK(daysFromCivil(civilFromDays(d)) == d);
  }
  CHECK(addDays({2024, 2, 28}, 1) == CivilDate{2024, 2, 29});
  CHECK(addDays({2023, 12, 31}, 1) == CivilDate{2024, 1, 1});
  CHECK(addDays({2024, 3, 1}, -1) == CivilDate{2024, 2, 29});
}

TEST_CASE("Beijing compact time converts to UTC at the codec edge", "[time]") {
  // time_end 20141030133525 Beijing = 05:35:25 UTC.
  auto t = parseBeijingCompact("20141030133525");
  REQUIRE(t.isOk());
  CHECK(*t == utc(2014, 10, 30, 5, 35, 25));
  CHECK(formatBeijingCompact(*t) == "20141030133525");
  // Just after midnight Beijing is the previous UTC day.
  auto m = parseBeijingCompact("20240501001000");
  REQUIRE(m.isOk());
  CHECK(*m == utc(2024, 4, 30, 16, 10, 0));
  CHECK(beijingDate(*m) == CivilDate{2024, 5, 1});
}

TEST_CASE("Beijing compact time rejects malformed values", "[time]") {
  for (const char* bad : {"", "2014103013352", "201410301335255", "20141330133525",
                          "20140230120000", "20141030243525", "2014103013352a", "20141030 33525"}) {
    INFO(bad);
    CHECK_FALSE(parseBeijingCompact(bad).isOk());
  }
}

TEST_CASE("bill times: dashed Beijing time, full-width colon accepted", "[time]") {
  auto t = parseBeijingDateTime("2024-05-01 08:35:41");
  REQUIRE(t.isOk());
  CHECK(*t == utc(2024, 5, 1, 0, 35, 41));
  auto fw = parseBeijingDateTime("2024-05-01 16\xEF\xBC\x9A" "33\xEF\xBC\x9A" "45");
  REQUIRE(fw.isOk());
  CHECK(*fw == utc(2024, 5, 1, 8, 33, 45));
  CHECK(formatBeijingDateTime(*fw) == "2024-05-01 16:33:45");
  CHECK_FALSE(parseBeijingDateTime("2024-05-01T08:35:41").isOk());
  CHECK_FALSE(parseBeijingDateTime("2024-05-01 08:35").isOk());
  CHECK_FALSE(parseBeijingDateTime("2024-05-01 08:35:41 ").isOk());
}

TEST_CASE("Beijing day boundaries", "[time]") {
  const CivilDate d{2024, 5, 1};
  CHECK(beijingDayStart(d) == utc(2024, 4, 30, 16, 0, 0));
  CHECK(beijingDate(utc(2024, 4, 30, 15, 59, 59)) == CivilDate{2024, 4, 30});
  CHECK(beijingDate(utc(2024, 4, 30, 16, 0, 0)) == CivilDate{2024, 5, 1});
  CHECK(beijingDate(utc(2024, 5, 1, 15, 59, 59)) == CivilDate{2024, 5, 1});
  CHECK(beijingDate(TimePoint(Millis(-1))) == CivilDate{1970, 1, 1});  // 07:59:59.999 Beijing
}

TEST_CASE("UTC SQL and ISO-8601 formats round-trip", "[time]") {
  const TimePoint t = utc(2026, 11, 28, 1, 2, 3) + Millis(45);
  CHECK(formatUtcSql(t) == "2026-11-28 01:02:03.045");
  CHECK(*parseUtcSql("2026-11-28 01:02:03.045") == t);
  CHECK(*parseUtcSql("2026-11-28 01:02:03") == t - Millis(45));
  CHECK(*parseUtcSql("2026-11-28 01:02:03.045000") == t);
  CHECK(formatIso8601Utc(t) == "2026-11-28T01:02:03.045Z");
  CHECK(*parseIso8601Utc("2026-11-28T01:02:03.045Z") == t);
  CHECK(*parseIso8601Utc("2026-11-28T01:02:03Z") == t - Millis(45));
  CHECK_FALSE(parseIso8601Utc("2026-11-28T01:02:03").isOk());
  CHECK_FALSE(parseIso8601Utc("2026-11-28T01:02:03+08:00").isOk());
}

TEST_CASE("dates parse strictly", "[time]") {
  CHECK(*parseIsoDate("2024-02-29") == CivilDate{2024, 2, 29});
  CHECK_FALSE(parseIsoDate("2023-02-29").isOk());
  CHECK_FALSE(parseIsoDate("2024-2-29").isOk());
  CHECK_FALSE(parseIsoDate("20240229").isOk());
  CHECK(formatCompactDate({2024, 5, 1}) == "20240501");
  CHECK(formatIsoDate({2024, 5, 1}) == "2024-05-01");
}

TEST_CASE("results are the same whatever TZ the process has", "[time]") {
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  for (const char* tz : {"UTC", "Asia/Shanghai", "America/New_York", "Pacific/Chatham"}) {
    setenv("TZ", tz, 1);
    tzset();
    INFO(tz);
    CHECK(*parseBeijingCompact("20240310020000") == utc(2024, 3, 9, 18, 0, 0));  // US DST day
    CHECK(beijingDate(utc(2024, 3, 10, 16, 30, 0)) == CivilDate{2024, 3, 11});
  }
  if (old) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
}
