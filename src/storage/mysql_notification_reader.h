// A read-only NotificationStore over payment_notification (service/stores.h): what the sweep
// needs to reconcile an order with the notifications received. The notify-server's own store
// (storage/mysql_notification_store.*) writes the rows; this reader only selects them, so the
// sweep does not depend on the notify-server's write path.
#pragma once

#include "service/stores.h"

namespace wx {

class Database;

class MySqlNotificationReader final : public NotificationStore {
 public:
  explicit MySqlNotificationReader(Database& db) : db_(db) {}
  // Every row naming (mch_id, out_trade_no) by its parsed columns, oldest first (idx
  // idx_notification_order). kUnavailable when the database is unreachable.
  Result<std::vector<StoredNotification>> forOrder(const std::string& mch_id,
                                                   const std::string& out_trade_no) override;
  // The rows of many orders in two statements per 500 orders of a merchant, whatever their
  // number: an index-only read of the ids (usually none), then the rows by id.
  Result<std::vector<StoredNotification>> forOrders(const std::vector<OrderKey>& orders) override;

 private:
  Database& db_;
};

}  // namespace wx
