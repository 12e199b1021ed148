// Which orders `wxrecon rerun` re-decides for one merchant and Beijing day (DESIGN.md §1, §5).
// Every order falls on exactly one day:
//  - an order without paid_at falls on the Beijing day of its created_at;
//  - an order with paid_at (SUCCESS, REFUND, REVIEW with a payment) on the Beijing day of
//    paid_at, whatever day it was created (the day its money is in the bill).
// Without `include_final` only unfinished orders (NOTPAY, USERPAYING) are returned; with it
// (`--recheck-final`) every state, finished and REVIEW ones included.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace wx {

struct DayOrderQuery {
  std::string mch_id;
  CivilDate day;  // Beijing
  bool include_final = false;
};

class DayOrderSource {
 public:
  virtual ~DayOrderSource() = default;
  // The ids of the day's orders, ascending (8 bytes per order: a day of 1,000,000 orders is
  // 8 MB). kUnavailable when the database is.
  virtual Result<std::vector<std::int64_t>> dayOrderIds(const DayOrderQuery& query) = 0;
};

}  // namespace wx
