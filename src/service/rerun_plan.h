// The pure parts of `wxrecon rerun --from D1 --to D2` (DESIGN.md §1): which Beijing days it
// covers and the progress line it draws across them. No clock: `today` is given.
#pragma once

#include <string>

#include "common/status.h"
#include "common/time.h"

namespace wx {

// At most this many days per rerun or report run (a year, leap day included).
constexpr int kMaxRerunDays = 366;

struct RerunRange {
  CivilDate from;
  CivilDate to;
  int days = 0;  // to - from + 1
};

// Validates --from/--to ("YYYY-MM-DD", Beijing days) as `wxrecon report` takes them. Errors
// (kInvalidArgument) name the flag and the reason: a malformed date, D2 before D1, more than
// kMaxRerunDays days (a typo in a year should not quietly mean ten years).
Result<RerunRange> parseDayRange(const std::string& from, const std::string& to);

// The same for rerun, also against today (Beijing). The last day
// allowed is yesterday: today's bill cannot exist before tomorrow and today's unfinished
// orders are the sweep's. Errors (kInvalidArgument) name the flag and the reason: a malformed
// date, D2 before D1, a day not yet over (today or later), more than kMaxRerunDays days.
Result<RerunRange> parseRerunRange(const std::string& from, const std::string& to,
                                   const CivilDate& today);

// "rerun: [#########...........]  9/20 days  2026-11-09  12 s" — `done` days finished of
// `total`, `day` the one in progress (or the last one when done == total). `width` is the
// number of bar cells.
std::string rerunProgressLine(int done, int total, const CivilDate& day, double elapsed_s,
                              int width = 20);

}  // namespace wx
