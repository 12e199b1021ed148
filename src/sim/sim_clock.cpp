#include "sim/sim_clock.h"

namespace wx::sim {

TimePoint SimClock::now() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (frozen_) return frozen_at_;
  return SystemClock::instance().now() + offset_;
}

void SimClock::set(TimePoint t) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    frozen_ = true;
    frozen_at_ = t;
  }
  notify();
}

void SimClock::advance(Millis d) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (frozen_) {
      frozen_at_ += d;
    } else {
      offset_ += d;
    }
  }
  notify();
}

void SimClock::setReal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    frozen_ = false;
    offset_ = Millis(0);
  }
  notify();
}

bool SimClock::frozen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return frozen_;
}

void SimClock::onChange(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.push_back(std::move(listener));
}

void SimClock::notify() {
  std::vector<std::function<void()>> copy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    copy = listeners_;
  }
  for (auto& l : copy) l();
}

}  // namespace wx::sim
