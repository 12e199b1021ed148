// Request pacing for WeChat calls (DESIGN.md §8 "QPS rule", RELIABILITY.md invariant 17):
// a token bucket per merchant at `qps` with a burst of 50 ms worth of tokens (at least one),
// halved for 60 s after a FREQUENCY_LIMITED answer, plus a process-wide cap of `max_in_flight`
// concurrent requests. The small burst keeps every one-second window within 1.05 x qps: with a
// second of burst, the first second could send 2 x qps, and a server counting requests per
// second (WeChat, wxpay-sim) answers FREQUENCY_LIMITED, which halves the rate for a minute.
// Time comes from a Clock and waiting goes through a Sleeper, so unit tests use a ManualClock and
// a fake Sleeper that advances it: they never sleep.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/time.h"

namespace wx {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleepFor(Millis d) = 0;
};

class SystemSleeper final : public Sleeper {
 public:
  void sleepFor(Millis d) override;
  static SystemSleeper& instance();
};

// A reservation-based token bucket. Not thread-safe by itself (RequestLimiter locks it).
class TokenBucket {
 public:
  static constexpr Millis kBurst{50};  // tokens kept at most: this long at the rate (>= 1)

  explicit TokenBucket(double rate_per_s, TimePoint now);
  // Takes one token (possibly borrowed from the future) and returns how long the caller must
  // wait before using it: 0 when one was available.
  Millis reserve(TimePoint now);
  // Halves the rate until now + window.
  void throttle(TimePoint now, Millis window);
  void setRate(double rate_per_s) { rate_ = rate_per_s; }
  double rateAt(TimePoint now) const { return now < throttled_until_ ? rate_ / 2 : rate_; }

 private:
  void refill(TimePoint now);
  double rate_;
  double tokens_;
  TimePoint last_;
  TimePoint throttled_until_{};
};

class RequestLimiter {
 public:
  static constexpr Millis kThrottleWindow{60000};

  RequestLimiter(const Clock& clock, Sleeper& sleeper, int max_in_flight);
  RequestLimiter(const RequestLimiter&) = delete;
  RequestLimiter& operator=(const RequestLimiter&) = delete;

  // Holds one in-flight slot until destroyed.
  class Permit {
   public:
    Permit(Permit&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Permit& operator=(Permit&&) = delete;
    ~Permit();

   private:
    friend class RequestLimiter;
    explicit Permit(RequestLimiter* owner) : owner_(owner) {}
    RequestLimiter* owner_;
  };

  // Waits (through the Sleeper) for the merchant's next token at `qps` (< 1 means 1), then
  // blocks until an in-flight slot is free. Thread-safe.
  Permit acquire(const std::string& mch_id, int qps);
  // A FREQUENCY_LIMITED answer: halves the merchant's rate for kThrottleWindow from now.
  void frequencyLimited(const std::string& mch_id);

  double currentRate(const std::string& mch_id) const;  // tokens per second now; 0 if unknown
  int inFlight() const;
  int waitingForSlot() const;

 private:
  void release();

  const Clock& clock_;
  Sleeper& sleeper_;
  const int max_in_flight_;
  mutable std::mutex mu_;
  std::condition_variable slot_free_;
  std::map<std::string, TokenBucket> buckets_;  // guarded by mu_
  int in_flight_ = 0;                           // guarded by mu_
  int waiting_ = 0;                             // guarded by mu_
};

}  // namespace wx
