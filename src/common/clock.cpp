#include "common/clock.h"

namespace wx {

TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

const SystemClock& SystemClock::instance() {
  static const SystemClock kClock;
  return kClock;
}

}  // namespace wx
