#include "service/rerun_plan.h"

#include <algorithm>
#include <cstdio>

namespace wx {

Result<RerunRange> parseDayRange(const std::string& from, const std::string& to) {
  auto d1 = parseIsoDate(from);
  if (!d1) return Status::invalidArgument("--from: " + d1.status().message());
  auto d2 = parseIsoDate(to);
  if (!d2) return Status::invalidArgument("--to: " + d2.status().message());
  if (*d2 < *d1) {
    return Status::invalidArgument("--to " + formatIsoDate(*d2) + " is before --from " +
                                   formatIsoDate(*d1));
  }
  const std::int64_t days = daysFromCivil(*d2) - daysFromCivil(*d1) + 1;
  if (days > kMaxRerunDays) {
    return Status::invalidArgument("--from " + formatIsoDate(*d1) + " --to " +
                                   formatIsoDate(*d2) + " is " + std::to_string(days) +
                                   " days; at most " + std::to_string(kMaxRerunDays) +
                                   " per run (split the range)");
  }
  return RerunRange{*d1, *d2, static_cast<int>(days)};
}

Result<RerunRange> parseRerunRange(const std::string& from, const std::string& to,
                                   const CivilDate& today) {
  auto range = parseDayRange(from, to);
  if (!range) return range;
  const CivilDate yesterday = addDays(today, -1);
  if (yesterday < range->to) {
    return Status::invalidArgument(
        "--to " + formatIsoDate(range->to) + " is not over yet in Beijing (today is " +
        formatIsoDate(today) + "): the last day a rerun takes is " + formatIsoDate(yesterday));
  }
  return range;
}

std::string rerunProgressLine(int done, int total, const CivilDate& day, double elapsed_s,
                              int width) {
  total = std::max(total, 1);
  done = std::clamp(done, 0, total);
  width = std::max(width, 1);
  const int filled = static_cast<int>(static_cast<long long>(done) * width / total);
  const std::string total_text = std::to_string(total);
  std::string done_text = std::to_string(done);
  done_text.insert(0, total_text.size() - done_text.size(), ' ');
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.0f s", std::max(0.0, elapsed_s));
  return "rerun: [" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '.') + "]  " + done_text + "/" +
         total_text + " days  " + formatIsoDate(day) + "  " + seconds;
}

}  // namespace wx
