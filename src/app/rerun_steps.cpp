#include "app/rerun_steps.h"

#include "common/clock.h"

namespace wx {

Result<std::vector<std::string>> AppRerunSteps::writeReports(const std::string& mch_id,
                                                             const CivilDate& day) {
  auto paths = writeDayReports(reports_, SystemClock::instance(), reports_dir_, mch_id, day, false);
  if (!paths) return paths.status();
  return std::vector<std::string>{paths->csv, paths->html, paths->index};
}

}  // namespace wx
