#include "storage/health_checks.h"

#include <Poco/Data/Session.h>
#include <Poco/Nullable.h>

#include "common/log.h"
#include "storage/database.h"

namespace wx {

using namespace Poco::Data::Keywords;

Result<std::int64_t> warnOnFutureCreatedAt(Database& db) {
  std::int64_t count = 0;
  Poco::Nullable<std::string> latest;
  // Uses idx_order_created: a range scan over the (few) future rows only.
  Status st = db.run("future-created-at", [&](Poco::Data::Session& s) {
    s << "SELECT COUNT(*), CAST(MAX(created_at) AS CHAR) FROM merchant_order "
         "WHERE created_at > NOW(3) + INTERVAL 5 MINUTE",
        into(count), into(latest), now;
  }, {false, 3});
  if (!st.isOk()) return st;
  if (count > 0) {
    logWarning("orders.created_at_in_future",
               {{"count", std::to_string(count)},
                {"latest", latest.isNull() ? "" : latest.value()},
                {"hint", "merchant_order.created_at must be UTC; is the application writing local "
                         "time?"}});
  }
  return count;
}

}  // namespace wx
