// Request pacing for WeChat calls (DESIGN.md §8 "QPS rule", RELIABILITY.md invariant 17):
// a token bucket per merchant at `qps` with a burst of 50 ms worth of tokens (at least one),
// halved for 60 s after a FREQUENCY_LIMITED answer, plus a process-wide cap of `max_in_flight`
// concurrent requests. The small burst keeps every one-second window within 1.05 x qps: with a
// second of burst, the first second could send 2 x qps, and a server counting requests per
// second (WeChat, wxpay-sim) answers FREQUENCY_LIMITED, which halves the rate for a minute.
// Time comes from a Clock and waiting goes through a Sleeper, so unit tests use a ManualClock and
// a fake Sleeper that advances it: they never sleep.
//
// Parking: with more callers than the rate needs (64 in flight at 50 ms is 1,280/s for a qps of
// 1,000), every call used to sleep for a token borrowed from the future: one context switch per
// request on top of the one blocking in recv — a third of the sweep's CPU per order on this
// machine, where a switch costs ~20 us of kernel time. Instead, a caller that finds no token while
// other requests of the merchant are in flight parks on the merchant's condition variable: it is
// woken when tokens pile up (a tenth of the burst: the callers still running no longer use the
// whole rate), or after kMaxPark, when it borrows a token and sleeps as before. The callers that
// keep running then find a token at once; the rate and the burst bound are those of the bucket.
#pragma once

#include <condition_variable>
#include <cstdint>
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
  // Takes one token only if one is available now.
  bool tryTake(TimePoint now);
  // Tokens available now (negative while tokens are borrowed).
  double available(TimePoint now);
  // The burst at the current rate, in tokens.
  double burst(TimePoint now) const;
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
  // The longest a caller stays parked (real time) before it borrows a token and sleeps for it.
  static constexpr Millis kMaxPark{200};

  RequestLimiter(const Clock& clock, Sleeper& sleeper, int max_in_flight,
                 Millis max_park = kMaxPark);
  RequestLimiter(const RequestLimiter&) = delete;
  RequestLimiter& operator=(const RequestLimiter&) = delete;

  struct Merchant;

  // Holds one in-flight slot until destroyed.
  class Permit {
   public:
    Permit(Permit&& other) noexcept : owner_(other.owner_), merchant_(other.merchant_) {
      other.owner_ = nullptr;
    }
    Permit& operator=(Permit&&) = delete;
    ~Permit();

   private:
    friend class RequestLimiter;
    Permit(RequestLimiter* owner, Merchant* merchant) : owner_(owner), merchant_(merchant) {}
    RequestLimiter* owner_;
    Merchant* merchant_;
  };

  // Takes the merchant's next token at `qps` (< 1 means 1) — at once when one is available, else
  // after parking (see above) or waiting for it through the Sleeper — then blocks until an
  // in-flight slot is free. Thread-safe.
  Permit acquire(const std::string& mch_id, int qps);
  // A FREQUENCY_LIMITED answer: halves the merchant's rate for kThrottleWindow from now.
  void frequencyLimited(const std::string& mch_id);

  double currentRate(const std::string& mch_id) const;  // tokens per second now; 0 if unknown
  int inFlight() const;
  int waitingForSlot() const;
  // Times a caller parked, over the limiter's life (the benchmark reports it).
  std::int64_t parks() const;

  struct Merchant {
    explicit Merchant(TokenBucket b) : bucket(b) {}
    TokenBucket bucket;
    int in_flight = 0;  // this merchant's requests between acquire and release
    int parked = 0;
    std::condition_variable unpark;
  };

 private:
  void release(Merchant* m);
  // With mu_ held: wakes one parked caller of `m` when tokens piled up.
  void maybeUnpark(Merchant& m, TimePoint now);

  const Clock& clock_;
  Sleeper& sleeper_;
  const int max_in_flight_;
  const Millis max_park_;
  mutable std::mutex mu_;
  std::condition_variable slot_free_;
  std::map<std::string, Merchant> merchants_;  // guarded by mu_; nodes never move
  int in_flight_ = 0;                          // guarded by mu_
  int waiting_ = 0;                            // guarded by mu_
  std::int64_t parks_ = 0;                     // guarded by mu_
};

}  // namespace wx
