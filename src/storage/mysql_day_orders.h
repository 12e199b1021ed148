// MySQL implementation of DayOrderSource (src/service/day_orders.h).
#pragma once

#include "service/day_orders.h"

namespace wx {

class Database;

class MySqlDayOrderSource final : public DayOrderSource {
 public:
  explicit MySqlDayOrderSource(Database& db) : db_(db) {}
  Result<std::vector<std::int64_t>> dayOrderIds(const DayOrderQuery& query) override;

 private:
  Database& db_;
};

}  // namespace wx
