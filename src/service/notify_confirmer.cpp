#include "service/notify_confirmer.h"

#include <random>

#include "common/log.h"

namespace wx {

namespace {

double jitter() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace

NotifyConfirmer::NotifyConfirmer(const Config& config, OrderStore& orders,
                                 NotificationStore& notifications, ConfirmStorage storage,
                                 PayClient& client, const Clock& clock, std::int64_t run_id,
                                 std::string owner, std::size_t capacity, int workers)
    : config_(config),
      orders_(orders),
      storage_(std::move(storage)),
      run_id_(run_id),
      owner_(std::move(owner)),
      capacity_(capacity),
      checker_(notifications, client, clock, config.merchants, config.policy,
               static_cast<std::size_t>(config.notify.max_body_bytes)) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
  handover_ = std::thread([this] { handOver(); });
}

NotifyConfirmer::~NotifyConfirmer() { stop(); }

NotifyConfirmer::Enqueued NotifyConfirmer::enqueue(const std::string& mch_id,
                                                   const std::string& out_trade_no) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    ++stats_.overflow;
    lock.unlock();
    markDueNow({{mch_id, out_trade_no}});
    return Enqueued::kStopped;
  }
  Key key{mch_id, out_trade_no};
  if (queued_.count(key)) {
    ++stats_.already_queued;
    return Enqueued::kAlreadyQueued;
  }
  if (queue_.size() >= capacity_) {
    ++stats_.overflow;
    overflowed_.push_back({mch_id, out_trade_no});
    if (overflowed_.size() == 1) handover_cv_.notify_one();
    return Enqueued::kFull;
  }
  queued_.insert(key);
  queue_.push_back(std::move(key));
  ++stats_.enqueued;
  cv_.notify_one();
  return Enqueued::kQueued;
}

void NotifyConfirmer::stop() {
  std::deque<Key> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    left.swap(queue_);
    queued_.clear();
    cv_.notify_all();
    handover_cv_.notify_all();
  }
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  // The hand-over thread writes what overflowed before it ends.
  if (handover_.joinable()) handover_.join();
  // Hand what was not confirmed to the sweep: due now.
  std::vector<OrderKey> orders;
  for (auto& k : left) orders.push_back({std::move(k.first), std::move(k.second)});
  markDueNow(orders);
  if (!orders.empty())
    logInfo("notify.confirm.handed_to_sweep", {{"orders", std::to_string(orders.size())}});
}

void NotifyConfirmer::handOver() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    handover_cv_.wait(lock, [&] { return stopping_ || !overflowed_.empty(); });
    if (overflowed_.empty()) return;  // stopping, nothing left
    std::vector<OrderKey> orders;
    orders.swap(overflowed_);
    lock.unlock();
    markDueNow(orders);
    lock.lock();
  }
}

void NotifyConfirmer::markDueNow(const std::vector<OrderKey>& orders) {
  if (orders.empty()) return;
  Status st = storage_.mark_due_now(orders);
  if (!st.isOk()) {
    // They keep their schedule: the sweep checks them then (the notification is stored).
    logWarning("notify.confirm.handoff_failed", {{"orders", std::to_string(orders.size())},
                                                 {"first_out_trade_no", orders.front().out_trade_no},
                                                 {"error", st.message()}});
  }
}

ConfirmStats NotifyConfirmer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::size_t NotifyConfirmer::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void NotifyConfirmer::work() {
  for (;;) {
    Key key;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      key = std::move(queue_.front());
      queue_.pop_front();
      queued_.erase(key);
    }
    try {
      confirm(key);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.failures;
      logError("notify.confirm.failed",
               {{"mch_id", key.first}, {"out_trade_no", key.second}, {"error", e.what()}});
    }
  }
}

void NotifyConfirmer::confirm(const Key& key) {
  const MerchantConfig* merchant = config_.findMerchant(key.first);
  if (merchant == nullptr) return;
  auto fail = [&](const std::string& what, const Status& st) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.failures;
    logWarning("notify.confirm.failed", {{"mch_id", key.first},
                                         {"out_trade_no", key.second},
                                         {"step", what},
                                         {"error", st.message()}});
  };
  // Claimed like the sweep, whatever its schedule; skipped when finished or leased elsewhere.
  auto claimed =
      orders_.claimByKeys({{key.first, key.second}}, owner_, config_.schedule.lease_s, false);
  if (!claimed) return fail("claim", claimed.status());
  if (claimed->empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.skipped_leased;  // finished meanwhile, or leased by a sweep: it decides
    return;
  }
  const Order order = claimed->front();

  CheckOptions options;
  options.source = TransitionSource::kNotify;
  options.allow_close = false;  // closing is the sweep's job
  CheckResult r = checker_.check(order, *merchant, options, jitter());
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.wechat_calls += static_cast<std::uint64_t>(r.wechat_calls);
  }
  if (r.end == CheckEnd::kNotificationsUnreadable) {
    (void)orders_.release(order, owner_);
    return fail("notifications", Status::unavailable(r.error));
  }
  if (r.end != CheckEnd::kDecided) {
    // Closing is the sweep's job; a configuration failure stops nothing here but this order.
    Status st = orders_.release(order, owner_);
    if (!st.isOk()) fail("release", st);
    if (r.end == CheckEnd::kMerchantStopped) {
      logError("notify.confirm.config_failure",
               {{"mch_id", key.first}, {"detail", r.stop_reason}});
    }
    return;
  }
  const Decision& d = r.decision;
  auto applied = orders_.apply(order, d, run_id_, owner_);
  if (!applied) return fail("apply", applied.status());
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.confirmed;
  stats_.transitions += static_cast<std::uint64_t>(applied->transitions);
  logInfo("notify.confirm.done",
          {{"mch_id", key.first}, {"out_trade_no", key.second}, {"outcome", d.outcome}});
}

}  // namespace wx
