#include "storage/mysql_day_orders.h"

#include "storage/database.h"

namespace wx {

using namespace Poco::Data::Keywords;

Result<std::vector<std::int64_t>> MySqlDayOrderSource::dayOrderIds(const DayOrderQuery& q) {
  std::vector<std::int64_t> ids;
  // The Beijing day as a UTC half-open range, computed here (never by the server's TZ).
  std::string from = formatUtcSql(beijingDayStart(q.day));
  std::string to = formatUtcSql(beijingDayStart(addDays(q.day, 1)));
  std::string mch = q.mch_id;
  Status st = db_.run("day-orders", [&](Poco::Data::Session& s) {
    ids.clear();
    // Created on D (idx_order_created): unfinished ones, and with include_final every other
    // order without a payment. An unfinished order's day is its creation day even if a
    // paid_at was written (it is not paid until a state says so).
    const std::string created =
        "SELECT id FROM merchant_order WHERE created_at >= ? AND created_at < ? AND mch_id = ? "
        "AND (state IN ('NOTPAY','USERPAYING')" +
        std::string(q.include_final ? " OR paid_at IS NULL" : "") + ")";
    if (!q.include_final) {
      s << created + " ORDER BY id", use(from), use(to), use(mch), into(ids), now;
      return;
    }
    // Paid on D (idx_order_paid (mch_id, paid_at)), whatever day they were created.
    s << created +
             " UNION SELECT id FROM merchant_order WHERE mch_id = ? AND paid_at >= ? AND "
             "paid_at < ? AND state NOT IN ('NOTPAY','USERPAYING') ORDER BY id",
        use(from), use(to), use(mch), use(mch), use(from), use(to), into(ids), now;
  }, {false, 3});
  if (!st.isOk()) return st;
  return ids;
}

}  // namespace wx
