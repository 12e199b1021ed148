// The clock interface (Envoy's TimeSource): code that needs "now" takes a Clock, so tests use
// a fake and never sleep. The database clock is separate: leases and due times are compared
// with NOW(3) inside SQL (DESIGN.md §4).
#pragma once

#include <atomic>

#include "common/time.h"

namespace wx {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
  // A process-wide instance.
  static const SystemClock& instance();
};

// A settable clock for tests and the simulator. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : ms_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(Millis(ms_.load())); }
  void set(TimePoint t) { ms_.store(t.time_since_epoch().count()); }
  void advance(Millis d) { ms_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace wx
