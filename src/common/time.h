// Time values and conversions, independent of the process's TZ (RELIABILITY.md invariant 13).
//
// Inside wxrecon every instant is a TimePoint: milliseconds since the Unix epoch, UTC.
// WeChat speaks Beijing time (UTC+8, no DST); the database stores UTC DATETIME(3).
// All conversions here are pure arithmetic on civil dates: no localtime(), no TZ.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace wx {

using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Millis>;

constexpr Millis kBeijingOffset = std::chrono::hours(8);

// A calendar date (no time zone attached; which zone it is a day of is up to the caller).
struct CivilDate {
  int year = 1970;
  int month = 1;
  int day = 1;
  friend bool operator==(const CivilDate& a, const CivilDate& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day;
  }
  friend bool operator!=(const CivilDate& a, const CivilDate& b) { return !(a == b); }
  friend bool operator<(const CivilDate& a, const CivilDate& b) {
    if (a.year != b.year) return a.year < b.year;
    if (a.month != b.month) return a.month < b.month;
    return a.day < b.day;
  }
  friend bool operator<=(const CivilDate& a, const CivilDate& b) { return !(b < a); }
};

// Days since 1970-01-01 for a proleptic Gregorian date, and back (H. Hinnant's algorithms).
std::int64_t daysFromCivil(const CivilDate& d);
CivilDate civilFromDays(std::int64_t days);
CivilDate addDays(const CivilDate& d, std::int64_t n);
bool isValidDate(const CivilDate& d);

// "YYYY-MM-DD" <-> CivilDate; "YYYYMMDD" for downloadbill's bill_date.
Result<CivilDate> parseIsoDate(std::string_view text);
std::string formatIsoDate(const CivilDate& d);
std::string formatCompactDate(const CivilDate& d);

// Beijing wall-clock strings <-> UTC instants.
// "yyyyMMddHHmmss" (time_end, time_expire).
Result<TimePoint> parseBeijingCompact(std::string_view text);
std::string formatBeijingCompact(TimePoint t);
// "yyyy-MM-dd HH:mm:ss" (bill 交易时间, refund_success_time); the full-width colon "：" seen
// in old samples is accepted too.
Result<TimePoint> parseBeijingDateTime(std::string_view text);
std::string formatBeijingDateTime(TimePoint t);

// The Beijing day an instant falls on, and the UTC instant a Beijing day starts at.
CivilDate beijingDate(TimePoint t);
TimePoint beijingDayStart(const CivilDate& beijing_day);

// UTC "YYYY-MM-DD HH:MM:SS.mmm" as the database stores DATETIME(3); parse accepts 0–6 decimals.
std::string formatUtcSql(TimePoint t);
Result<TimePoint> parseUtcSql(std::string_view text);
// ISO-8601 UTC "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (simulator control API).
std::string formatIso8601Utc(TimePoint t);
Result<TimePoint> parseIso8601Utc(std::string_view text);

}  // namespace wx
