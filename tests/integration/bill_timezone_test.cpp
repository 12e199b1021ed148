// RELIABILITY.md T13: the same Beijing day reconciled by `wxrecon bill` under TZ=UTC,
// Asia/Shanghai and America/New_York (in the child's environment) gives identical bill_day and
// discrepancy rows (ids and run bookkeeping aside), and orders paid between 00:00 and 08:00
// Beijing (the previous UTC day) land on D; once more against a MariaDB server started with
// --default-time-zone=+08:00 (wxrecon's sessions set +00:00 themselves).
#include <catch2/catch.hpp>

#include <cstdlib>

#include "integration/bill_env.h"
#include "support/private_mariadb.h"

using namespace wx;
using namespace wx::test;
using Catch::Matchers::Contains;
using namespace Poco::Data::Keywords;

namespace {

// E1/E2 paid 00:10 and 07:59 Beijing on D (16:10 and 23:59 UTC of D-1): D's bill and D's local
// day. E3 paid 23:50 Beijing on D-1 (15:50 UTC of D-1): neither (NOTIFY_MISSING of D-1). E4 paid
// 00:05 Beijing on D+1 (16:05 UTC of D): D+1. L1 paid locally at 03:00 Beijing on D, unknown to
// WeChat: LOCAL_ONLY.
void plant(BillEnv& env) {
  const CivilDate d = env.day;
  env.paidAtSim("E1", 101, d, 0, 10);
  env.paidAtSim("E2", 102, d, 7, 59);
  env.paidAtSim("E3", 103, addDays(d, -1), 23, 50);
  env.paidAtSim("E4", 104, addDays(d, 1), 0, 5);
  auto swept = env.sweep();
  INFO(swept.out << swept.err);
  REQUIRE(swept.exit_code == 0);
  env.localPaid("L1", 105, d, 3, 0);
}

// The rows a bill run writes, without ids and run bookkeeping.
std::vector<std::string> snapshot(BillEnv& env) {
  std::vector<std::string> rows, more;
  auto s = env.db().session();
  s << "SELECT CONCAT_WS('|', mch_id, bill_date, local_count, local_amount_fen, bill_count, "
       "bill_order_amount_fen, bill_settlement_fen, bill_refund_fen, bill_fee, bill_net_fen, "
       "matched_count, matched_amount_fen, unmatched_local_count, unmatched_bill_count, "
       "not_managed_count, bill_status) FROM bill_day ORDER BY mch_id, bill_date",
      into(rows), now;
  s << "SELECT CAST(CONCAT_WS('|', kind, severity, mch_id, COALESCE(out_trade_no, '-'), "
       "COALESCE(transaction_id, '-'), COALESCE(bill_date, '-'), local_value, remote_value, "
       "COALESCE(detail, '-'), status) AS CHAR(4000)) FROM discrepancy ORDER BY kind, "
       "out_trade_no",
      into(more), now;
  rows.insert(rows.end(), more.begin(), more.end());
  return rows;
}

void checkDay(BillEnv& env, const ProcessResult& r) {
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);  // LOCAL_ONLY is HIGH
  CHECK(env.discrepancies() ==
        std::vector<std::string>{"LOCAL_ONLY:L1:OPEN", "NOTIFY_MISSING:E3:OPEN"});
  std::vector<std::string> dates;
  env.db().session() << "SELECT CONCAT(out_trade_no, '@', bill_date) FROM discrepancy ORDER BY "
                        "out_trade_no",
      into(dates), now;
  CHECK(dates == std::vector<std::string>{"E3@" + formatIsoDate(addDays(env.day, -1)),
                                          "L1@" + formatIsoDate(env.day)});
  std::int64_t local = 0, amount = 0, matched = 0, bill_count = 0;
  env.db().session() << "SELECT local_count, local_amount_fen, matched_count, bill_count FROM "
                        "bill_day",
      into(local), into(amount), into(matched), into(bill_count), now;
  CHECK(local == 3);  // E1 E2 L1
  CHECK(amount == 101 + 102 + 105);
  CHECK(matched == 2);     // E1 E2
  CHECK(bill_count == 2);  // E3 is D-1's, E4 D+1's
}

void clearRun(BillEnv& env) {
  auto s = env.db().session();
  for (const char* t : {"discrepancy", "bill_day", "bill_file", "recon_run"}) {
    s << std::string("DELETE FROM ") + t, now;
  }
}

}  // namespace

TEST_CASE(
    "bill (T13): TZ=UTC, Asia/Shanghai, America/New_York give identical rows: early "
    "Beijing hours land on D",
    "[bill][integration][tz]") {
  BillEnv env(6);  // a day of its own (bill_env.h)
  plant(env);
  std::vector<std::string> first;
  for (const char* tz : {"UTC", "Asia/Shanghai", "America/New_York"}) {
    INFO("TZ=" << tz);
    clearRun(env);
    auto r = env.bill({}, {{"TZ", tz}});
    checkDay(env, r);
    const auto rows = snapshot(env);
    if (first.empty()) {
      first = rows;
      REQUIRE(first.size() == 3);
    } else {
      CHECK(rows == first);
    }
  }
}

TEST_CASE("bill (T13): a MariaDB server at --default-time-zone=+08:00 changes nothing",
          "[bill][integration][tz]") {
  const char* old = std::getenv("WXRECON_DB_TIME_ZONE");
  ::setenv("WXRECON_DB_TIME_ZONE", "+08:00", 1);
  RestartableMariaDb server;
  if (old != nullptr) {
    ::setenv("WXRECON_DB_TIME_ZONE", old, 1);
  } else {
    ::unsetenv("WXRECON_DB_TIME_ZONE");
  }
  ScopedDbEnv scoped(server);
  BillEnv env;
  std::string zone;
  {
    Poco::Data::Session s("MySQL",
                          "host=127.0.0.1;port=" + std::to_string(server.port()) +
                              ";user=root;password=" + server.password() + ";db=mysql",
                          5);
    s << "SELECT @@global.time_zone", into(zone), now;
  }
  REQUIRE(zone == "+08:00");
  plant(env);
  auto r = env.bill({}, {{"TZ", "America/New_York"}});
  checkDay(env, r);
}
