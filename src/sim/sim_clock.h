// The simulator's clock: real time (plus an offset), or frozen at a set instant and moved only
// through the control API (`POST /sim/clock`). Listeners (the notifier) are woken on every change
// so that advancing the clock triggers due resends. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "common/clock.h"

namespace wx::sim {

class SimClock final : public Clock {
 public:
  SimClock() = default;
  TimePoint now() const override;

  // Freezes the clock at `t`.
  void set(TimePoint t);
  // Moves the clock forward (or back, for negative `d`); keeps the current mode.
  void advance(Millis d);
  // Back to real time (the offset is dropped).
  void setReal();
  bool frozen() const;

  // Called after every change (outside the clock's lock).
  void onChange(std::function<void()> listener);

 private:
  void notify();
  mutable std::mutex mu_;
  bool frozen_ = false;
  TimePoint frozen_at_{};
  Millis offset_{0};
  std::vector<std::function<void()>> listeners_;
};

}  // namespace wx::sim
