// A NotificationStore over another one that serves a claimed batch's rows read ahead in one
// call (NotificationStore::forOrders): the sweep's per-order read then costs no round trip.
//
//   PrefetchedNotifications notes(store);
//   notes.prefetch(keys_of_the_batch);          // one read for the whole batch
//   notes.forOrder(mch_id, out_trade_no);       // from memory, once per order
//
// Each prefetched order's rows are handed out once and then forgotten (a later call reads the
// source again, so a re-check sees rows stored since). An order not prefetched, or whose
// prefetch failed, reads the source. Thread-safe; `source` must outlive it.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "service/stores.h"

namespace wx {

class PrefetchedNotifications final : public NotificationStore {
 public:
  explicit PrefetchedNotifications(NotificationStore& source) : source_(source) {}

  // Reads the rows of these orders in one forOrders() call and keeps them (also the empty
  // result of an order with none). On failure nothing is kept and the error is returned: those
  // orders then read the source one by one.
  Status prefetch(const std::vector<OrderKey>& orders);

  Result<std::vector<StoredNotification>> forOrder(const std::string& mch_id,
                                                   const std::string& out_trade_no) override;

  std::size_t pending() const;  // orders prefetched and not asked for yet

 private:
  using Key = std::pair<std::string, std::string>;
  NotificationStore& source_;
  mutable std::mutex mu_;
  std::map<Key, std::vector<StoredNotification>> rows_;  // guarded by mu_
};

}  // namespace wx
