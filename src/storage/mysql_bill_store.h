// MySQL implementation of BillStore (service/stores.h) and the bill run's per-day lock.
#pragma once

#include <memory>
#include <string>

#include "service/stores.h"
#include "storage/database.h"

namespace wx {

class MySqlBillStore final : public BillStore {
 public:
  explicit MySqlBillStore(Database& db) : db_(db) {}
  Result<std::int64_t> saveFile(const BillFileRecord& file, std::int64_t run_id) override;
  Result<std::optional<BillFileRecord>> newestUsable(const std::string& mch_id,
                                                     const CivilDate& day,
                                                     const std::string& bill_type) override;
  Status saveDay(const BillDayRecord& day) override;
  Result<std::vector<Order>> paidBetween(const std::string& mch_id, TimePoint from, TimePoint to,
                                         const Order* after, int limit) override;
  Result<std::vector<Order>> findByKeys(const std::vector<OrderKey>& keys) override;
  Result<std::vector<StoredNotification>> notificationsReceived(const std::string& mch_id,
                                                                TimePoint from, TimePoint to,
                                                                std::int64_t after_id,
                                                                int limit) override;

 private:
  Database& db_;
};

// GET_LOCK(name, 0) held on a dedicated pooled connection until destruction (RELEASE_LOCK, and
// the connection is discarded so a lost RELEASE can never leak the lock to the pool).
class NamedDbLock {
 public:
  // acquired() is false when another session holds the lock; kUnavailable when the database
  // cannot be reached.
  static Result<std::unique_ptr<NamedDbLock>> tryAcquire(Database& db, const std::string& name);
  ~NamedDbLock();
  bool acquired() const { return acquired_; }

 private:
  NamedDbLock(Database::Conn conn, std::string name, bool acquired)
      : conn_(std::move(conn)), name_(std::move(name)), acquired_(acquired) {}
  Database::Conn conn_;
  std::string name_;
  bool acquired_;
};

}  // namespace wx
