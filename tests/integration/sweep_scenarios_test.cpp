// `wxrecon sweep` end to end over sockets: the real binary, a real MariaDB, a real wxpay-sim.
// The main rows of DESIGN.md §5's state table, both sign types (merchant "shop" signs MD5,
// "other" HMAC-SHA256), an unconfigured merchant, exit codes 0/2/3, and --dry-run.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "support/sweep_env.h"

using Catch::Contains;
using wx::test::SweepEnv;
using wx::test::SweepEnvOptions;

namespace {

// Orders created an hour ago: old enough for closeorder's 5-minute rule.
constexpr int kHourAgo = -3600;

}  // namespace

TEST_CASE("sweep: paid, unpaid, expired, refunded orders of two merchants (MD5 and HMAC)",
          "[sweep][integration]") {
  SweepEnv env;
  // Paid at WeChat, both sign types.
  env.order(0, "PAID-MD5", 1234, kHourAgo, 3600);
  env.simPay(0, "PAID-MD5");
  env.order(1, "PAID-HMAC", 555, kHourAgo, 3600);
  env.simPay(1, "PAID-HMAC");
  // Unpaid, not yet expired: stays NOTPAY, scheduled.
  env.order(0, "OPEN-1", 100, -10, 3600);
  env.order(1, "OPEN-2", 100, -10, 3600);
  // Expired unpaid: query -> closeorder -> requery -> CLOSED.
  env.order(0, "EXPIRED-1", 100, kHourAgo, -1800);
  env.order(1, "EXPIRED-2", 100, kHourAgo, -1800);
  // Paid then refunded at WeChat, never SUCCESS locally: NOTPAY -> SUCCESS -> REFUND.
  env.order(0, "REFUNDED-1", 800, kHourAgo, 3600);
  env.simPay(0, "REFUNDED-1");
  env.simRefund(0, "REFUNDED-1", 300);

  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("orders examined:    7"));

  for (const char* no : {"PAID-MD5", "PAID-HMAC"}) {
    INFO(no);
    auto row = env.row(no);
    CHECK(row.state == "SUCCESS");
    CHECK(row.transaction_id.rfind("42", 0) == 0);  // the sim's transaction ids
    CHECK(row.has_paid_at);
    CHECK_FALSE(row.leased);
    CHECK(env.transitions(no) == std::vector<std::string>{"NOTPAY>SUCCESS/query"});
  }
  // The recorded transaction_id and paid_at are the sim's (WeChat's time_end, not "now").
  {
    auto truth = env.sim().controlJson("GET", "/sim/orders/PAID-MD5?mch_id=10000100");
    CHECK(env.row("PAID-MD5").transaction_id == truth->getValue<std::string>("transaction_id"));
    const std::string paid_at = truth->getValue<std::string>("paid_at");  // ISO, UTC, ms
    auto s = env.db().session();
    std::string local;
    s << "SELECT DATE_FORMAT(paid_at, '%Y-%m-%dT%H:%i:%s') FROM merchant_order "
         "WHERE out_trade_no = 'PAID-MD5'",
        Poco::Data::Keywords::into(local), Poco::Data::Keywords::now;
    CHECK(paid_at.substr(0, 19) == local);
  }
  for (const char* no : {"OPEN-1", "OPEN-2"}) {
    INFO(no);
    auto row = env.row(no);
    CHECK(row.state == "NOTPAY");
    CHECK(row.has_next_check);
    CHECK(row.check_attempts == 0);
    CHECK(env.transitions(no).empty());
  }
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE out_trade_no LIKE 'OPEN-%' AND "
                  "next_check_at BETWEEN NOW(3) + INTERVAL 30 SECOND AND NOW(3) + INTERVAL 10 "
                  "MINUTE") == 2);
  for (std::size_t m = 0; m < 2; ++m) {
    const std::string no = "EXPIRED-" + std::to_string(m + 1);
    INFO(no);
    CHECK(env.row(no).state == "CLOSED");
    CHECK(env.transitions(no) == std::vector<std::string>{"NOTPAY>CLOSED/close"});
    CHECK(env.simState(m, no) == "CLOSED");
  }
  CHECK(env.row("REFUNDED-1").state == "REFUND");
  CHECK(env.transitions("REFUNDED-1") ==
        std::vector<std::string>{"NOTPAY>SUCCESS/query", "SUCCESS>REFUND/query"});
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'sweep' AND status = 'OK' AND "
                  "orders_examined = 7 AND transitions = 6 AND finished_at IS NOT NULL") == 1);

  // A second run right away finds nothing due: idempotent, nothing moves.
  auto again = env.sweep();
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("orders examined:    0"));
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == 6);
}

TEST_CASE("sweep: amount mismatch goes to REVIEW with AMOUNT_MISMATCH and exits 3",
          "[sweep][integration]") {
  SweepEnv env;
  env.order(1, "SHORT-PAID", 1000, kHourAgo, 3600);
  env.simPay(1, "SHORT-PAID", 1);
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.out, Contains("AMOUNT_MISMATCH=1"));
  CHECK(env.row("SHORT-PAID").state == "REVIEW");
  CHECK(env.row("SHORT-PAID").transaction_id.empty());  // a wrong amount proves nothing
  CHECK(env.transitions("SHORT-PAID") == std::vector<std::string>{"NOTPAY>REVIEW/query"});
  CHECK(env.openDiscrepancies("SHORT-PAID") == std::vector<std::string>{"AMOUNT_MISMATCH"});
  // REVIEW is never claimed again: a rerun opens nothing new and exits 0.
  env.makeAllDue();
  auto again = env.sweep();
  CHECK(again.exit_code == 0);
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 1);
}

TEST_CASE("sweep: paid after close (the CLOSED confirm query) -> REVIEW + PAID_AFTER_CLOSE",
          "[sweep][integration]") {
  SweepEnv env;
  // Locally CLOSED after "close=SUCCESS, requery=NOTPAY", its confirming query due; WeChat now
  // says paid.
  env.order(0, "LATE-PAY", 700, kHourAgo, -1800);
  env.simPay(0, "LATE-PAY");
  {
    auto s = env.db().session();
    s << "UPDATE merchant_order SET state = 'CLOSED', close_confirm_at = NOW(3) - INTERVAL 1 "
         "SECOND WHERE out_trade_no = 'LATE-PAY'",
        Poco::Data::Keywords::now;
  }
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK(env.row("LATE-PAY").state == "REVIEW");
  CHECK(env.transitions("LATE-PAY") == std::vector<std::string>{"CLOSED>REVIEW/query"});
  CHECK(env.openDiscrepancies("LATE-PAY") == std::vector<std::string>{"PAID_AFTER_CLOSE"});
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE close_confirm_at IS NOT NULL") == 0);
}

TEST_CASE(
    "sweep: ORDERNOTEXIST keeps an order open, and closes an expired one only after two "
    "answers close_grace_s apart",
    "[sweep][integration]") {
  SweepEnv env;  // close_grace_s = 2
  env.order(0, "GHOST-OPEN", 100, -60, 3600, /*at_sim=*/false);
  env.order(0, "GHOST-EXPIRED", 100, kHourAgo, -1800, /*at_sim=*/false);
  auto r1 = env.sweep();
  INFO(r1.out << r1.err);
  CHECK(r1.exit_code == 0);
  CHECK(env.row("GHOST-OPEN").state == "NOTPAY");
  CHECK(env.row("GHOST-OPEN").has_next_check);
  CHECK(env.row("GHOST-EXPIRED").state == "NOTPAY");  // one answer proves nothing yet
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'GHOST-EXPIRED' AND "
                  "not_exist_first_at IS NOT NULL") == 1);
  // The second answer, at least close_grace_s later.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  env.makeAllDue();
  auto r2 = env.sweep();
  INFO(r2.out << r2.err);
  CHECK(env.row("GHOST-EXPIRED").state == "CLOSED");
  CHECK(env.transitions("GHOST-EXPIRED") == std::vector<std::string>{"NOTPAY>CLOSED/close"});
  CHECK(env.row("GHOST-OPEN").state == "NOTPAY");
  CHECK(env.transitions("GHOST-OPEN").empty());
}

TEST_CASE("sweep: orders of an unconfigured merchant are never claimed, only counted",
          "[sweep][integration]") {
  SweepEnv env;
  env.localOrder("10000999", "wxunknown000000001", "STRANGER-1", 100, kHourAgo, 3600);
  env.order(0, "MINE-1", 100, kHourAgo, 3600);
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("not managed:        1 due orders"));
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'STRANGER-1' AND "
                  "version = 0 AND lease_generation = 0 AND next_check_at IS NULL AND "
                  "check_attempts = 0 AND state = 'NOTPAY'") == 1);
  CHECK(env.row("MINE-1").has_next_check);  // the configured merchant's order was swept
}

TEST_CASE(
    "sweep: a merchant-level configuration failure stops that merchant, leaves its "
    "orders untouched, and exits 2",
    "[sweep][integration]") {
  SweepEnvOptions o;
  o.wrong_key[1] = "00000000000000000000000000000000";  // "other": every request SIGNERROR/FAIL
  SweepEnv env(o);
  for (int i = 0; i < 5; ++i) {
    env.order(1, "BADKEY-" + std::to_string(i), 100, kHourAgo, 3600);
    env.simPay(1, "BADKEY-" + std::to_string(i));
  }
  env.order(0, "GOODKEY-1", 100, kHourAgo, 3600);
  env.simPay(0, "GOODKEY-1");
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("STOPPED merchant 10000200"));
  CHECK(env.row("GOODKEY-1").state == "SUCCESS");  // the other merchant goes on
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE mch_id = '10000200' AND "
                  "state = 'NOTPAY' AND next_check_at IS NULL AND check_attempts = 0 AND "
                  "version = 0 AND lease_owner IS NULL") == 5);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE status = 'CONFIG_FAILURE'") == 1);
}

TEST_CASE(
    "sweep --dry-run calls only orderquery/refundquery and writes nothing but its "
    "recon_run row",
    "[sweep][integration]") {
  SweepEnv env;
  env.order(0, "DRY-PAID", 100, kHourAgo, 3600);
  env.simPay(0, "DRY-PAID");
  env.order(1, "DRY-EXPIRED", 100, kHourAgo, -1800);
  env.order(1, "DRY-SHORT", 900, kHourAgo, 3600);
  env.simPay(1, "DRY-SHORT", 1);
  const std::string snapshot_sql =
      "SELECT COUNT(*) FROM merchant_order WHERE state = 'NOTPAY' AND version = 0 AND "
      "lease_generation = 0 AND next_check_at IS NULL AND lease_owner IS NULL";
  REQUIRE(env.count(snapshot_sql) == 3);

  auto r = env.sweep({"--dry-run"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);  // as a real run: it would open AMOUNT_MISMATCH (HIGH)
  CHECK_THAT(r.out, Contains("dry run"));
  CHECK_THAT(r.out, Contains("would_close 1"));
  CHECK(env.count(snapshot_sql) == 3);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run") == 1);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE status = 'DRY_RUN' AND "
                  "orders_examined = 3") == 1);
  CHECK(env.simState(1, "DRY-EXPIRED") == "NOTPAY");  // closeorder was never called

  // --limit bounds the orders examined.
  auto limited = env.sweep({"--dry-run", "--limit", "2"});
  CHECK_THAT(limited.out, Contains("orders examined:    2"));
}

TEST_CASE("sweep: USERPAYING, REVOKED and PAYERROR answers", "[sweep][integration]") {
  SweepEnv env;
  auto setState = [&](std::size_t m, const std::string& no, const std::string& state) {
    env.sim().controlJson(
        "POST", "/sim/orders/" + no + "/state",
        R"({"mch_id":")" + env.merchant(m).mch_id + R"(","state":")" + state + R"("})");
  };
  env.order(0, "MICRO-1", 100, kHourAgo, 3600);
  setState(0, "MICRO-1", "USERPAYING");
  env.order(1, "REVOKED-1", 100, kHourAgo, 3600);
  setState(1, "REVOKED-1", "REVOKED");
  env.order(0, "PAYERROR-1", 100, kHourAgo, 3600);
  setState(0, "PAYERROR-1", "PAYERROR");
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(env.row("MICRO-1").state == "USERPAYING");
  CHECK(env.row("MICRO-1").has_next_check);  // polled again on the schedule
  CHECK(env.transitions("MICRO-1") == std::vector<std::string>{"NOTPAY>USERPAYING/query"});
  CHECK(env.transitions("REVOKED-1") == std::vector<std::string>{"NOTPAY>REVOKED/query"});
  CHECK(env.transitions("PAYERROR-1") == std::vector<std::string>{"NOTPAY>PAYERROR/query"});

  // The user finishes paying: USERPAYING -> SUCCESS on the next check.
  env.simPay(0, "MICRO-1");
  env.makeAllDue();
  auto again = env.sweep();
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(env.row("MICRO-1").state == "SUCCESS");
  CHECK(env.transitions("MICRO-1") ==
        std::vector<std::string>{"NOTPAY>USERPAYING/query", "USERPAYING>SUCCESS/query"});
  // Terminal states are never claimed again.
  CHECK_THAT(again.out, Contains("orders examined:    1"));
}
