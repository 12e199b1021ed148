// Step (a) of `wxrecon rerun`: re-decide one merchant's orders of one Beijing day
// (service/day_orders.h) ignoring their schedule. Each batch is claimed with a lease like the
// sweep's (OrderStore::claimByIds; orders under a live lease are skipped — their worker decides
// them), checked through the shared decide -> act loop (service/order_checker.h) and written by
// OrderStore::apply (compare-and-set, fenced by the lease). Transitions have source `query`.
// closeorder is never called here: an expired order that needs closing is released due now,
// and the sweep closes it. A dry run reads the same orders without a lease and writes nothing.
// With include_final, finished and REVIEW orders are re-verified too;
// decide() moves them only along DESIGN.md §5's table (a CLOSED order WeChat says is paid
// becomes REVIEW with PAID_AFTER_CLOSE).
#pragma once

#include <atomic>
#include <string>

#include "app/config.h"
#include "service/day_orders.h"
#include "service/order_checker.h"
#include "service/rerun.h"
#include "service/stores.h"

namespace wx {

struct DayRecheckOptions {
  std::string owner;  // the lease owner: "host:pid:run"
  int lease_s = 60;
  std::int64_t run_id = 0;
  int batch = 100;  // orders claimed at once
  // rerun --dry-run: orders are read (peekByIds), not claimed; decisions are counted, never
  // applied; `discrepancies` (when set) says which findings would open a new discrepancy.
  bool dry_run = false;
  DiscrepancyStore* discrepancies = nullptr;
};

class DayRechecker {
 public:
  DayRechecker(DayOrderSource& days, OrderStore& orders, const OrderChecker& checker,
               const std::vector<MerchantConfig>& merchants, DayRecheckOptions options);

  // Errors: kFailedPrecondition when the merchant has no [merchant.*] section or WeChat
  // refused our requests (configuration failure: the rest of its orders are released
  // untouched), kUnavailable when the database failed before anything was decided. Orders whose
  // check or write failed are counted in `failures` and left as they were.
  Result<RecheckCounts> recheck(const std::string& mch_id, const CivilDate& day,
                                bool include_final, const std::atomic<bool>& stop) const;

 private:
  void release(const Order& o) const;  // not in a dry run: nothing was claimed
  // A dry run's counts: the transitions and new discrepancies `d` would write.
  void countWouldWrite(const Decision& d, RecheckCounts& c) const;

  DayOrderSource& days_;
  OrderStore& orders_;
  const OrderChecker& checker_;
  const std::vector<MerchantConfig>& merchants_;
  DayRecheckOptions options_;
};

}  // namespace wx
