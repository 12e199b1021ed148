// Confirmation of genuine notifications (DESIGN.md §5 evidence rule, §9): a verified
// notification for an unfinished order triggers an orderquery, never a state by itself (unless
// policy.notification_is_evidence). Work goes through a bounded in-process queue — each order at
// most once in it — served by a few worker threads:
//   claim the order like the sweep (skipped when leased elsewhere), check it with the shared
//   OrderChecker (source kNotify; never closeorder from here: such an order is released for
//   the sweep), OrderStore::apply.
// When the queue is full, the order is left due now (next_check_at = NULL, version bumped) for
// the next sweep: overflowed orders are collected and written by one hand-over thread, all that
// gathered meanwhile in one transaction (at 500 queries/s, thousands of orders a second
// overflow; one autocommitted UPDATE each cost a durable commit each).
// enqueue() never blocks on the network or the database.
// Thread-safe. stop(): workers finish the order in hand; orders still queued or overflowed are
// left due now before it returns.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app/config.h"
#include "common/clock.h"
#include "service/order_checker.h"
#include "service/stores.h"
#include "wechat/pay_client.h"

namespace wx {

// The storage call the confirmation needs beyond OrderStore/NotificationStore.
struct ConfirmStorage {
  // Leaves the unfinished ones of these orders due now for the sweep, in one transaction.
  std::function<Status(const std::vector<OrderKey>& orders)> mark_due_now;
};

struct ConfirmStats {
  std::uint64_t enqueued = 0, already_queued = 0, overflow = 0, confirmed = 0, skipped_leased = 0,
                transitions = 0, failures = 0, wechat_calls = 0;
};

class NotifyConfirmer {
 public:
  // References must outlive the confirmer. `owner` names this process in leases.
  NotifyConfirmer(const Config& config, OrderStore& orders, NotificationStore& notifications,
                  ConfirmStorage storage, PayClient& client, const Clock& clock,
                  std::int64_t run_id, std::string owner, std::size_t capacity, int workers);
  ~NotifyConfirmer();
  NotifyConfirmer(const NotifyConfirmer&) = delete;
  NotifyConfirmer& operator=(const NotifyConfirmer&) = delete;

  enum class Enqueued { kQueued, kAlreadyQueued, kFull, kStopped };
  // Queues (mch_id, out_trade_no) unless already queued. kFull: the hand-over thread leaves the
  // order due now shortly; kStopped (after stop()): left due now before this returns.
  Enqueued enqueue(const std::string& mch_id, const std::string& out_trade_no);

  // Stops accepting, lets workers finish the order in hand, leaves queued orders due now.
  void stop();
  ConfirmStats stats() const;
  std::size_t queued() const;

 private:
  using Key = std::pair<std::string, std::string>;
  void work();
  void confirm(const Key& key);
  // The hand-over thread: writes the overflowed orders due now, a batch at a time.
  void handOver();
  void markDueNow(const std::vector<OrderKey>& orders);

  const Config& config_;
  OrderStore& orders_;
  ConfirmStorage storage_;
  const std::int64_t run_id_;
  const std::string owner_;
  const std::size_t capacity_;
  const OrderChecker checker_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Key> queue_;
  std::set<Key> queued_;
  std::vector<OrderKey> overflowed_;  // to be left due now by the hand-over thread
  std::condition_variable handover_cv_;
  bool stopping_ = false;
  ConfirmStats stats_;
  std::vector<std::thread> workers_;
  std::thread handover_;
};

}  // namespace wx
