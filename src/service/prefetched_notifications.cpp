#include "service/prefetched_notifications.h"

namespace wx {

Status PrefetchedNotifications::prefetch(const std::vector<OrderKey>& orders) {
  if (orders.empty()) return Status::ok();
  auto rows = source_.forOrders(orders);
  if (!rows) return rows.status();
  std::map<Key, std::vector<StoredNotification>> batch;
  for (const auto& k : orders) batch[Key(k.mch_id, k.out_trade_no)];
  for (auto& n : *rows) {
    auto it = batch.find(Key(n.mch_id, n.out_trade_no));
    // A row the source returned for an order not asked for is not this batch's.
    if (it != batch.end()) it->second.push_back(std::move(n));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, list] : batch) rows_[key] = std::move(list);
  return Status::ok();
}

Result<std::vector<StoredNotification>> PrefetchedNotifications::forOrder(
    const std::string& mch_id, const std::string& out_trade_no) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rows_.find(Key(mch_id, out_trade_no));
    if (it != rows_.end()) {
      std::vector<StoredNotification> out = std::move(it->second);
      rows_.erase(it);
      return out;
    }
  }
  return source_.forOrder(mch_id, out_trade_no);
}

std::size_t PrefetchedNotifications::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rows_.size();
}

}  // namespace wx
