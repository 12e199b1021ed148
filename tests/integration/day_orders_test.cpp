// MySqlDayOrderSource against the real MariaDB: rerun's orders of a Beijing day, with the day
// boundaries at 16:00 UTC, each order on exactly one day.
#include <catch2/catch.hpp>

#include <map>

#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/mysql_day_orders.h"
#include "support/test_db.h"

using namespace wx;
using namespace wx::test;
using namespace Poco::Data::Keywords;

TEST_CASE("rerun's day orders: unfinished by creation day, paid by payment day",
          "[integration][rerun]") {
  TestDatabase tdb;
  auto opened = Database::open(tdb.config());
  REQUIRE(opened);
  auto db = std::move(*opened);
  REQUIRE(migrate(*db, embeddedMigrations()));
  std::map<std::string, std::int64_t> id;
  auto add = [&](const std::string& no, const std::string& state, const std::string& created_utc,
                 const std::string& paid_utc, const std::string& mch = "10000100") {
    auto s = tdb.session();
    s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, created_at, "
         "expire_at, state, paid_at) VALUES ('" + mch + "', 'wxapp', '" + no + "', 100, '" +
             created_utc + "', '" + created_utc + "' + INTERVAL 2 HOUR, '" + state + "', " +
             (paid_utc.empty() ? std::string("NULL") : "'" + paid_utc + "'") + ")",
        now;
    std::int64_t v = 0;
    s << "SELECT LAST_INSERT_ID()", into(v), now;
    id[no] = v;
  };
  // Beijing 2026-11-27 is [2026-11-26 16:00, 2026-11-27 16:00) UTC.
  add("OPEN_FIRST_MS", "NOTPAY", "2026-11-26 16:00:00.000", "");
  add("OPEN_LAST_MS", "USERPAYING", "2026-11-27 15:59:59.999", "");
  add("OPEN_DAY_BEFORE", "NOTPAY", "2026-11-26 15:59:59.999", "");
  add("OPEN_DAY_AFTER", "NOTPAY", "2026-11-27 16:00:00.000", "");
  add("OPEN_OTHER_MCH", "NOTPAY", "2026-11-27 01:00:00.000", "", "10000200");
  add("CLOSED_ON_D", "CLOSED", "2026-11-27 01:00:00.000", "");
  add("REVIEW_UNPAID_ON_D", "REVIEW", "2026-11-27 02:00:00.000", "");
  add("PAID_ON_D", "SUCCESS", "2026-11-27 03:00:00.000", "2026-11-27 03:01:00.000");
  add("CREATED_BEFORE_PAID_ON_D", "REFUND", "2026-11-26 15:50:00.000", "2026-11-26 16:00:00.000");
  add("CREATED_ON_D_PAID_AFTER", "SUCCESS", "2026-11-27 15:59:00.000", "2026-11-27 16:00:30.000");
  add("REVIEW_PAID_ON_D", "REVIEW", "2026-11-27 04:00:00.000", "2026-11-27 04:00:05.000");

  MySqlDayOrderSource source(*db);
  auto names = [&](const std::vector<std::int64_t>& ids) {
    std::vector<std::string> out;
    for (auto v : ids) {
      for (auto& [k, i] : id) {
        if (i == v) out.push_back(k);
      }
    }
    return out;
  };
  auto unfinished = source.dayOrderIds({"10000100", {2026, 11, 27}, false});
  REQUIRE(unfinished);
  CHECK(names(*unfinished) == std::vector<std::string>{"OPEN_FIRST_MS", "OPEN_LAST_MS"});

  auto all = source.dayOrderIds({"10000100", {2026, 11, 27}, true});
  REQUIRE(all);
  CHECK(names(*all) ==
        std::vector<std::string>{"OPEN_FIRST_MS", "OPEN_LAST_MS", "CLOSED_ON_D",
                                 "REVIEW_UNPAID_ON_D", "PAID_ON_D", "CREATED_BEFORE_PAID_ON_D",
                                 "REVIEW_PAID_ON_D"});

  // Every order of the merchant falls on exactly one of the three days.
  std::map<std::int64_t, int> seen;
  for (CivilDate d : {CivilDate{2026, 11, 26}, CivilDate{2026, 11, 27}, CivilDate{2026, 11, 28}}) {
    auto ids = source.dayOrderIds({"10000100", d, true});
    REQUIRE(ids);
    for (auto v : *ids) ++seen[v];
  }
  CHECK(seen.size() == id.size() - 1);  // all but the other merchant's
  for (auto& [v, n] : seen) CHECK(n == 1);
  CHECK(names({seen.rbegin()->first}) == std::vector<std::string>{"REVIEW_PAID_ON_D"});
}
