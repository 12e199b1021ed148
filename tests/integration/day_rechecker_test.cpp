// rerun's step (a) (service/day_rechecker.h) against a real MariaDB and wxpay-sim: a day's
// orders re-decided whatever their schedule, leased ones skipped, finished ones only with
// include_final and only along DESIGN.md §5 (CLOSED + paid at WeChat -> REVIEW with
// PAID_AFTER_CLOSE), and a second pass changing nothing.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <thread>

#include "common/clock.h"
#include "net/poco_http_transport.h"
#include "service/day_rechecker.h"
#include "storage/database.h"
#include "storage/mysql_day_orders.h"
#include "storage/mysql_notification_reader.h"
#include "storage/mysql_stores.h"
#include "support/sweep_env.h"
#include "wechat/nonce_source.h"
#include "wechat/pay_client.h"

using wx::test::SweepEnv;

TEST_CASE("rerun re-decides a day's orders ignoring their schedule", "[integration][rerun]") {
  using namespace std::chrono;
  // Orders are created 2 minutes ago and paid now: both on one Beijing day unless a Beijing
  // midnight (16:00 UTC) falls in between — then wait it out.
  const auto t0 = time_point_cast<wx::Millis>(system_clock::now());
  if (wx::beijingDate(t0 - seconds(130)) != wx::beijingDate(t0 + seconds(60))) {
    std::this_thread::sleep_for(seconds(200));
  }
  SweepEnv env;
  for (auto& [k, v] : env.env()) ::setenv(k.c_str(), v.c_str(), 1);
  auto config = wx::loadConfig(env.iniPath());
  REQUIRE(config);
  auto opened = wx::Database::open(config->db);
  REQUIRE(opened);
  wx::Database& db = **opened;

  // Unfinished, paid at WeChat, not due for an hour: the rerun checks it anyway.
  env.order(0, "U_PAID", 100, -120, 3600);
  env.simPay(0, "U_PAID");
  // Unfinished and unpaid: stays NOTPAY.
  env.order(0, "U_OPEN", 100, -120, 3600);
  // Paid at WeChat but leased by a running sweep: skipped.
  env.order(0, "U_LEASED", 100, -120, 3600);
  env.simPay(0, "U_LEASED");
  // Closed locally, paid at WeChat: a PAID_AFTER_CLOSE only --recheck-final finds.
  env.order(0, "C_PAID", 100, -120, 3600);
  env.simPay(0, "C_PAID");
  // Another merchant's order of the same day: not this merchant-day's.
  env.order(1, "OTHER", 100, -120, 3600);
  env.simPay(1, "OTHER");
  {
    using namespace Poco::Data::Keywords;
    auto s = env.db().session();
    s << "UPDATE merchant_order SET next_check_at = NOW(3) + INTERVAL 1 HOUR", now;
    s << "UPDATE merchant_order SET state = 'CLOSED' WHERE out_trade_no = 'C_PAID'", now;
    s << "UPDATE merchant_order SET lease_owner = 'other:1:1', lease_until = NOW(3) + INTERVAL "
         "1 HOUR WHERE out_trade_no = 'U_LEASED'",
        now;
  }
  const wx::CivilDate day = wx::beijingDate(
      time_point_cast<wx::Millis>(system_clock::now()) - seconds(120));

  auto transport = wx::PocoHttpTransport::create({});
  REQUIRE(transport);
  wx::RandomNonceSource nonces;
  wx::PayClient client(config->wechat, **transport, nonces, wx::SystemClock::instance());
  wx::MySqlNotificationReader notifications(db);
  wx::MySqlOrderStore orders(db);
  wx::MySqlDayOrderSource days(db);
  wx::OrderChecker checker(notifications, client, wx::SystemClock::instance(), config->merchants,
                           config->policy);
  wx::DayRecheckOptions options;
  options.owner = "test:rerun:1";
  options.lease_s = 30;
  options.batch = 2;  // several batches
  wx::DayRechecker rechecker(days, orders, checker, config->merchants, options);
  std::atomic<bool> stop{false};
  const std::string mch = env.merchant(0).mch_id;

  auto first = rechecker.recheck(mch, day, false, stop);
  REQUIRE(first);
  CHECK(first->orders == 3);  // U_PAID, U_OPEN, U_LEASED (C_PAID is finished)
  CHECK(first->skipped_leased == 1);
  CHECK(first->transitions == 1);
  CHECK(first->failures == 0);
  CHECK(env.row("U_PAID").state == "SUCCESS");
  CHECK(env.transitions("U_PAID") == std::vector<std::string>{"NOTPAY>SUCCESS/query"});
  CHECK(env.row("U_OPEN").state == "NOTPAY");
  CHECK(env.row("U_LEASED").state == "NOTPAY");
  CHECK(env.row("C_PAID").state == "CLOSED");
  CHECK(env.row("OTHER").state == "NOTPAY");
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE lease_owner = 'test:rerun:1'") == 0);

  auto final_pass = rechecker.recheck(mch, day, true, stop);
  REQUIRE(final_pass);
  CHECK(final_pass->orders == 4);
  CHECK(final_pass->skipped_leased == 1);
  CHECK(final_pass->transitions == 1);
  CHECK(final_pass->discrepancies_high_new == 1);
  CHECK(env.row("C_PAID").state == "REVIEW");
  CHECK(env.transitions("C_PAID") == std::vector<std::string>{"CLOSED>REVIEW/query"});
  CHECK(env.openDiscrepancies("C_PAID") == std::vector<std::string>{"PAID_AFTER_CLOSE"});
  CHECK(env.row("U_PAID").state == "SUCCESS");  // re-verified, unchanged

  // Again: nothing moves, nothing new.
  auto again = rechecker.recheck(mch, day, true, stop);
  REQUIRE(again);
  CHECK(again->transitions == 0);
  CHECK(again->discrepancies_new == 0);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == 2);
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 1);
  CHECK(env.row("OTHER").state == "NOTPAY");

  // A merchant without a [merchant.*] section is a configuration failure.
  auto unknown = rechecker.recheck("19999999", day, false, stop);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.status().code() == wx::StatusCode::kFailedPrecondition);
}
