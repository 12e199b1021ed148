#include "service/notify_confirmer.h"

#include <random>

#include "common/log.h"
#include "service/notification_verifier.h"
#include "service/sweep.h"  // the one PayClient answer -> outcome mapping

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
      notifications_(notifications),
      storage_(std::move(storage)),
      client_(client),
      clock_(clock),
      run_id_(run_id),
      owner_(std::move(owner)),
      capacity_(capacity) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

NotifyConfirmer::~NotifyConfirmer() { stop(); }

NotifyConfirmer::Enqueued NotifyConfirmer::enqueue(const std::string& mch_id,
                                                   const std::string& out_trade_no) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Enqueued::kStopped;
  Key key{mch_id, out_trade_no};
  if (queued_.count(key)) {
    ++stats_.already_queued;
    return Enqueued::kAlreadyQueued;
  }
  if (queue_.size() >= capacity_) {
    ++stats_.overflow;
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
  }
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  // Hand what was not confirmed to the sweep: due now.
  for (const auto& k : left) {
    Status st = storage_.mark_due_now(k.first, k.second);
    if (!st.isOk()) {
      logWarning("notify.confirm.handoff_failed",
                 {{"mch_id", k.first}, {"out_trade_no", k.second}, {"error", st.message()}});
    }
  }
  if (!left.empty())
    logInfo("notify.confirm.handed_to_sweep", {{"orders", std::to_string(left.size())}});
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
  auto claimed = storage_.claim_one(key.first, key.second, owner_, config_.schedule.lease_s);
  if (!claimed) return fail("claim", claimed.status());
  if (!claimed->has_value()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.skipped_leased;  // finished meanwhile, or leased by a sweep: it decides
    return;
  }
  const Order order = **claimed;

  // The verified notifications of this order, re-verified from the raw bytes (DESIGN.md §4).
  std::vector<NotificationFact> facts;
  auto stored = notifications_.forOrder(order.mch_id, order.out_trade_no);
  if (!stored) {
    (void)orders_.release(order, owner_);
    return fail("notifications", stored.status());
  }
  for (const auto& row : *stored) {
    VerifiedNotification v = verifyNotification(
        row.raw_body, config_.merchants, static_cast<std::size_t>(config_.notify.max_body_bytes));
    const NotificationVerdict verdict = checkAgainstOrder(v, order);
    if (verdict != NotificationVerdict::kAccepted &&
        verdict != NotificationVerdict::kAmountMismatch) {
      continue;
    }
    NotificationFact f = v.fact();
    f.body_sha256 = row.body_sha256;
    facts.push_back(std::move(f));
  }

  DecisionInput in;
  in.order = &order;
  in.notifications = &facts;
  in.policy = &config_.policy;
  in.source = TransitionSource::kNotify;
  in.jitter = jitter();
  Decision d;
  bool decided = false;
  if (config_.policy.notification_is_evidence && !facts.empty()) {
    in.step = Step::kNotification;
    in.notification = facts.front();
    in.now = clock_.now();
    d = decide(in);
    decided = d.action == Action::kNone;
  }
  QueryOutcome last_query;
  for (int round = 0; !decided && round < 3; ++round) {
    OrderQueryRequest req;
    req.appid = order.appid;
    req.out_trade_no = order.out_trade_no;
    OrderQueryAnswer a = client_.orderQuery(*merchant, req);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.wechat_calls;
    }
    last_query = toQueryOutcome(a);
    in.step = Step::kCheck;
    in.query = last_query;
    in.now = clock_.now();
    d = decide(in);
    if (d.action == Action::kRefundQuery) {
      RefundQueryRequest r;
      r.appid = order.appid;
      r.out_trade_no = order.out_trade_no;
      RefundQueryAnswer ra = client_.refundQuery(*merchant, r);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.wechat_calls;
      }
      in.step = Step::kRefundQuery;
      in.refund = toRefundOutcome(ra);
      in.now = clock_.now();
      d = decide(in);
    }
    if (d.action != Action::kQuery) decided = true;
  }
  if (!decided || d.action == Action::kCloseOrder || d.action == Action::kStopMerchant ||
      d.action == Action::kRefundQuery) {
    // Closing is the sweep's job; a configuration failure stops nothing here but this order.
    Status st = orders_.release(order, owner_);
    if (!st.isOk()) fail("release", st);
    if (d.action == Action::kStopMerchant) {
      logError("notify.confirm.config_failure",
               {{"mch_id", key.first}, {"detail", last_query.detail}});
    }
    return;
  }
  auto applied = orders_.apply(order, d, run_id_, owner_);
  if (!applied) return fail("apply", applied.status());
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.confirmed;
  stats_.transitions += static_cast<std::uint64_t>(applied->transitions);
  logInfo("notify.confirm.done",
          {{"mch_id", key.first}, {"out_trade_no", key.second}, {"outcome", d.outcome}});
}

}  // namespace wx
