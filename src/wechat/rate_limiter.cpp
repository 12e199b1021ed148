#include "wechat/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace wx {

void SystemSleeper::sleepFor(Millis d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

SystemSleeper& SystemSleeper::instance() {
  static SystemSleeper sleeper;
  return sleeper;
}

namespace {
double burstAt(double rate_per_s) {
  return std::max(1.0, rate_per_s * std::chrono::duration<double>(TokenBucket::kBurst).count());
}
}  // namespace

TokenBucket::TokenBucket(double rate_per_s, TimePoint now)
    : rate_(rate_per_s), tokens_(burstAt(rate_per_s)), last_(now) {}

void TokenBucket::refill(TimePoint now) {
  if (now <= last_) return;  // a clock stepping back refills nothing
  // The throttled part of [last_, now) earns tokens at half the rate.
  const TimePoint split = std::clamp(throttled_until_, last_, now);
  const double slow_s = std::chrono::duration<double>(split - last_).count();
  const double fast_s = std::chrono::duration<double>(now - split).count();
  tokens_ = std::min(burstAt(rateAt(now)), tokens_ + slow_s * rate_ / 2 + fast_s * rate_);
  last_ = now;
}

Millis TokenBucket::reserve(TimePoint now) {
  refill(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return Millis(0);
  const double wait_ms = std::ceil(-tokens_ / rateAt(now) * 1000.0);
  return Millis(static_cast<Millis::rep>(wait_ms));
}

bool TokenBucket::tryTake(TimePoint now) {
  refill(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

double TokenBucket::available(TimePoint now) {
  refill(now);
  return tokens_;
}

double TokenBucket::burst(TimePoint now) const { return burstAt(rateAt(now)); }

void TokenBucket::throttle(TimePoint now, Millis window) {
  refill(now);
  throttled_until_ = std::max(throttled_until_, now + window);
  tokens_ = std::min(tokens_, burstAt(rateAt(now)));
}

RequestLimiter::RequestLimiter(const Clock& clock, Sleeper& sleeper, int max_in_flight,
                               Millis max_park)
    : clock_(clock),
      sleeper_(sleeper),
      max_in_flight_(std::max(1, max_in_flight)),
      max_park_(max_park) {}

RequestLimiter::Permit::~Permit() {
  if (owner_) owner_->release(merchant_);
}

void RequestLimiter::maybeUnpark(Merchant& m, TimePoint now) {
  if (m.parked > 0 && m.bucket.available(now) >= std::max(1.0, m.bucket.burst(now) / 10)) {
    m.unpark.notify_one();
  }
}

RequestLimiter::Permit RequestLimiter::acquire(const std::string& mch_id, int qps) {
  const double rate = std::max(1, qps);
  std::unique_lock<std::mutex> lock(mu_);
  auto it = merchants_.find(mch_id);
  if (it == merchants_.end()) {
    it = merchants_.try_emplace(mch_id, TokenBucket(rate, clock_.now())).first;
  }
  Merchant& m = it->second;
  m.bucket.setRate(rate);
  Millis wait{0};
  if (m.bucket.tryTake(clock_.now())) {
    maybeUnpark(m, clock_.now());
  } else {
    if (m.in_flight > 0) {
      // The merchant's calls in flight come back for tokens as fast as they arrive: step aside
      // until tokens pile up.
      ++m.parked;
      ++parks_;
      m.unpark.wait_for(lock, max_park_, [&] { return m.bucket.available(clock_.now()) >= 1; });
      --m.parked;
    }
    // Nobody of this merchant will come back for a token soon, or we parked long enough: take
    // the next token, borrowed from the future when there is none.
    if (!m.bucket.tryTake(clock_.now())) wait = m.bucket.reserve(clock_.now());
  }
  // Wait for the token's time without holding anything (0: at once).
  lock.unlock();
  sleeper_.sleepFor(wait);
  lock.lock();
  ++m.in_flight;
  ++waiting_;
  slot_free_.wait(lock, [this] { return in_flight_ < max_in_flight_; });
  --waiting_;
  ++in_flight_;
  return Permit(this, &m);
}

void RequestLimiter::release(Merchant* m) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    --m->in_flight;
    maybeUnpark(*m, clock_.now());
  }
  slot_free_.notify_one();
}

void RequestLimiter::frequencyLimited(const std::string& mch_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = merchants_.find(mch_id);
  if (it != merchants_.end()) it->second.bucket.throttle(clock_.now(), kThrottleWindow);
}

double RequestLimiter::currentRate(const std::string& mch_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = merchants_.find(mch_id);
  return it == merchants_.end() ? 0.0 : it->second.bucket.rateAt(clock_.now());
}

int RequestLimiter::inFlight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

int RequestLimiter::waitingForSlot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

std::int64_t RequestLimiter::parks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parks_;
}

}  // namespace wx
