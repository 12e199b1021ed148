#include "common/time.h"

#include <cstdio>

namespace wx {

std::int64_t daysFromCivil(const CivilDate& d) {
  std::int64_t y = d.year;
  const unsigned m = static_cast<unsigned>(d.month);
  const unsigned dd = static_cast<unsigned>(d.day);
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + dd - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilDate civilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

CivilDate addDays(const CivilDate& d, std::int64_t n) { return civilFromDays(daysFromCivil(d) + n); }

bool isValidDate(const CivilDate& d) {
  if (d.year < 1000 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  const int max = kDays[d.month - 1] + (d.month == 2 && leap ? 1 : 0);
  return d.day <= max;
}

namespace {

// Reads exactly n ASCII digits at text[pos]; false if any is not a digit.
bool readDigits(std::string_view text, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

struct Civil {
  CivilDate date;
  int hour = 0, minute = 0, second = 0, millis = 0;
};

Status checkCivil(const Civil& c, std::string_view text) {
  if (!isValidDate(c.date) || c.hour > 23 || c.minute > 59 || c.second > 59) {
    return Status::invalidArgument("\"" + std::string(text.substr(0, 40)) +
                                   "\" is not a valid date and time");
  }
  return Status::ok();
}

TimePoint fromCivil(const Civil& c, Millis offset) {
  const std::int64_t secs = daysFromCivil(c.date) * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  return TimePoint(Millis(secs * 1000 + c.millis)) - offset;
}

Civil toCivil(TimePoint t, Millis offset) {
  const std::int64_t ms = (t + offset).time_since_epoch().count();
  std::int64_t days = ms / 86400000;
  std::int64_t rem = ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  Civil c;
  c.date = civilFromDays(days);
  c.hour = static_cast<int>(rem / 3600000);
  c.minute = static_cast<int>(rem / 60000 % 60);
  c.second = static_cast<int>(rem / 1000 % 60);
  c.millis = static_cast<int>(rem % 1000);
  return c;
}

// "YYYY-MM-DD HH:MM:SS" with `sep` between date and time; `colon` may be ':' or the
// UTF-8 full-width colon (3 bytes). Returns bytes consumed, 0 on mismatch.
std::size_t readDashed(std::string_view text, char sep, Civil& c, bool allow_fullwidth_colon) {
  if (!readDigits(text, 0, 4, c.date.year) || text.size() < 10 || text[4] != '-' ||
      !readDigits(text, 5, 2, c.date.month) || text[7] != '-' || !readDigits(text, 8, 2, c.date.day) ||
      text.size() < 11 || text[10] != sep) {
    return 0;
  }
  std::size_t pos = 11;
  int* parts[] = {&c.hour, &c.minute, &c.second};
  for (int k = 0; k < 3; ++k) {
    if (k > 0) {
      if (pos < text.size() && text[pos] == ':') {
        pos += 1;
      } else if (allow_fullwidth_colon && text.substr(pos, 3) == "\xEF\xBC\x9A") {
        pos += 3;
      } else {
        return 0;
      }
    }
    if (!readDigits(text, pos, 2, *parts[k])) return 0;
    pos += 2;
  }
  return pos;
}

std::string bad(std::string_view what, std::string_view text) {
  return "\"" + std::string(text.substr(0, 40)) + "\" is not " + std::string(what);
}

}  // namespace

Result<CivilDate> parseIsoDate(std::string_view text) {
  CivilDate d;
  if (text.size() != 10 || !readDigits(text, 0, 4, d.year) || text[4] != '-' ||
      !readDigits(text, 5, 2, d.month) || text[7] != '-' || !readDigits(text, 8, 2, d.day) ||
      !isValidDate(d)) {
    return Status::invalidArgument(bad("a date (YYYY-MM-DD)", text));
  }
  return d;
}

std::string formatIsoDate(const CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::string formatCompactDate(const CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", d.year, d.month, d.day);
  return buf;
}

Result<TimePoint> parseBeijingCompact(std::string_view text) {
  Civil c;
  if (text.size() != 14 || !readDigits(text, 0, 4, c.date.year) ||
      !readDigits(text, 4, 2, c.date.month) || !readDigits(text, 6, 2, c.date.day) ||
      !readDigits(text, 8, 2, c.hour) || !readDigits(text, 10, 2, c.minute) ||
      !readDigits(text, 12, 2, c.second)) {
    return Status::invalidArgument(bad("a Beijing time (yyyyMMddHHmmss)", text));
  }
  if (auto s = checkCivil(c, text); !s.isOk()) return s;
  return fromCivil(c, kBeijingOffset);
}

std::string formatBeijingCompact(TimePoint t) {
  const Civil c = toCivil(t, kBeijingOffset);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", c.date.year, c.date.month, c.date.day,
                c.hour, c.minute, c.second);
  return buf;
}

Result<TimePoint> parseBeijingDateTime(std::string_view text) {
  Civil c;
  const std::size_t n = readDashed(text, ' ', c, true);
  if (n == 0 || n != text.size()) {
    return Status::invalidArgument(bad("a Beijing time (yyyy-MM-dd HH:mm:ss)", text));
  }
  if (auto s = checkCivil(c, text); !s.isOk()) return s;
  return fromCivil(c, kBeijingOffset);
}

std::string formatBeijingDateTime(TimePoint t) {
  const Civil c = toCivil(t, kBeijingOffset);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", c.date.year, c.date.month,
                c.date.day, c.hour, c.minute, c.second);
  return buf;
}

CivilDate beijingDate(TimePoint t) { return toCivil(t, kBeijingOffset).date; }

TimePoint beijingDayStart(const CivilDate& d) {
  Civil c;
  c.date = d;
  return fromCivil(c, kBeijingOffset);
}

std::string formatUtcSql(TimePoint t) {
  const Civil c = toCivil(t, Millis(0));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", c.date.year, c.date.month,
                c.date.day, c.hour, c.minute, c.second, c.millis);
  return buf;
}

namespace {
// Parses an optional ".fff…" (up to 6 digits; milliseconds kept) at text[pos].
bool readFraction(std::string_view text, std::size_t& pos, int& millis) {
  millis = 0;
  if (pos >= text.size() || text[pos] != '.') return true;
  ++pos;
  int digits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (digits < 3) millis = millis * 10 + (text[pos] - '0');
    ++digits;
    ++pos;
  }
  if (digits == 0 || digits > 6) return false;
  for (int k = digits; k < 3; ++k) millis *= 10;
  return true;
}
}  // namespace

Result<TimePoint> parseUtcSql(std::string_view text) {
  Civil c;
  std::size_t pos = readDashed(text, ' ', c, false);
  if (pos == 0 || !readFraction(text, pos, c.millis) || pos != text.size()) {
    return Status::invalidArgument(bad("a UTC DATETIME", text));
  }
  if (auto s = checkCivil(c, text); !s.isOk()) return s;
  return fromCivil(c, Millis(0));
}

std::string formatIso8601Utc(TimePoint t) {
  std::string s = formatUtcSql(t);
  s[10] = 'T';
  return s + "Z";
}

Result<TimePoint> parseIso8601Utc(std::string_view text) {
  Civil c;
  std::size_t pos = readDashed(text, 'T', c, false);
  if (pos == 0 || !readFraction(text, pos, c.millis) || pos + 1 != text.size() || text[pos] != 'Z') {
    return Status::invalidArgument(bad("an ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SSZ)", text));
  }
  if (auto s = checkCivil(c, text); !s.isOk()) return s;
  return fromCivil(c, Millis(0));
}

}  // namespace wx
