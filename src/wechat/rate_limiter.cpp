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

void TokenBucket::throttle(TimePoint now, Millis window) {
  refill(now);
  throttled_until_ = std::max(throttled_until_, now + window);
  tokens_ = std::min(tokens_, burstAt(rateAt(now)));
}

RequestLimiter::RequestLimiter(const Clock& clock, Sleeper& sleeper, int max_in_flight)
    : clock_(clock), sleeper_(sleeper), max_in_flight_(std::max(1, max_in_flight)) {}

RequestLimiter::Permit::~Permit() {
  if (owner_) owner_->release();
}

RequestLimiter::Permit RequestLimiter::acquire(const std::string& mch_id, int qps) {
  const double rate = std::max(1, qps);
  Millis wait{0};
  {
    std::lock_guard<std::mutex> lock(mu_);
    const TimePoint now = clock_.now();
    auto it = buckets_.find(mch_id);
    if (it == buckets_.end()) it = buckets_.emplace(mch_id, TokenBucket(rate, now)).first;
    it->second.setRate(rate);
    wait = it->second.reserve(now);
  }
  // The token is ours; wait for its time without holding anything.
  sleeper_.sleepFor(wait);
  std::unique_lock<std::mutex> lock(mu_);
  ++waiting_;
  slot_free_.wait(lock, [this] { return in_flight_ < max_in_flight_; });
  --waiting_;
  ++in_flight_;
  return Permit(this);
}

void RequestLimiter::release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
  }
  slot_free_.notify_one();
}

void RequestLimiter::frequencyLimited(const std::string& mch_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(mch_id);
  if (it != buckets_.end()) it->second.throttle(clock_.now(), kThrottleWindow);
}

double RequestLimiter::currentRate(const std::string& mch_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(mch_id);
  return it == buckets_.end() ? 0.0 : it->second.rateAt(clock_.now());
}

int RequestLimiter::inFlight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

int RequestLimiter::waitingForSlot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

}  // namespace wx
