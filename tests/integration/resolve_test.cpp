// `wxrecon resolve` as a process against a real MariaDB (DESIGN.md §4, §5): every refusal
// (exit 2, nothing written), the happy paths with their audit rows (discrepancy, order,
// order_transition source manual, recon_run kind resolve), and a second attempt changing
// nothing.
#include <pwd.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/sweep_env.h"

using Catch::Contains;
using wx::test::ProcessResult;
using wx::test::SweepEnv;

namespace {

using namespace Poco::Data::Keywords;

std::string osUser() {
  const passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : "";
}

class ResolveEnv {
 public:
  ResolveEnv() {
    mch_ = env_.merchant(0).mch_id;
    app_ = env_.appid(0);
  }
  SweepEnv& env() { return env_; }

  // A local order in `state` (with a transaction id unless `txn` is empty).
  void order(const std::string& no, const std::string& state, const std::string& txn) {
    env_.localOrder(mch_, app_, no, 100, -3600, -1800, state);
    if (!txn.empty()) exec("UPDATE merchant_order SET transaction_id = '" + txn +
                           "', paid_at = NOW(3) - INTERVAL 3000 SECOND WHERE out_trade_no = '" +
                           no + "'");
  }
  // An OPEN discrepancy; returns its id.
  std::int64_t discrepancy(const std::string& kind, const std::string& no) {
    exec("INSERT INTO discrepancy (kind, severity, mch_id, out_trade_no, local_value, "
         "remote_value, detail) VALUES ('" + kind + "', 'HIGH', '" + mch_ + "', " +
         (no.empty() ? std::string("NULL") : "'" + no + "'") + ", 'l', 'r', 'planted')");
    return env_.count("SELECT MAX(id) FROM discrepancy");
  }
  void exec(const std::string& sql) {
    auto s = env_.db().session();
    s << sql, now;
  }
  ProcessResult resolve(std::vector<std::string> args,
                        std::map<std::string, std::string> extra_env = {{"SUDO_USER", ""},
                                                                        {"USER", "carol"}}) {
    args.insert(args.begin(), "resolve");
    args.push_back("--config");
    args.push_back(env_.iniPath());
    auto e = env_.env();
    for (auto& [k, v] : extra_env) e[k] = v;
    return wx::test::runProcess(WXRECON_BIN, args, e);
  }
  std::string status(std::int64_t id) {
    return str("SELECT CONCAT(status, '|', COALESCE(resolved_by, ''), '|', "
               "COALESCE(resolved_os_user, ''), '|', COALESCE(resolution_note, ''), '|', "
               "resolved_at IS NOT NULL) FROM discrepancy WHERE id = " + std::to_string(id));
  }
  std::string str(const std::string& sql) {
    auto s = env_.db().session();
    std::string v;
    s << sql, into(v), now;
    return v;
  }
  std::int64_t transitions() { return env_.count("SELECT COUNT(*) FROM order_transition"); }

 private:
  SweepEnv env_;
  std::string mch_, app_;
};

}  // namespace

TEST_CASE("resolve refuses what it must not do, writing nothing but its run row",
          "[integration][resolve]") {
  ResolveEnv r;
  r.order("R_TXN", "REVIEW", "4200000001");
  r.order("R_NOTXN", "REVIEW", "");
  r.order("S_DONE", "SUCCESS", "4200000002");
  r.order("R_LEASED", "REVIEW", "4200000003");
  r.exec("UPDATE merchant_order SET lease_owner = 'host:1:1', lease_until = NOW(3) + INTERVAL "
         "1 HOUR WHERE out_trade_no = 'R_LEASED'");
  const auto d_txn = r.discrepancy("PAID_AFTER_CLOSE", "R_TXN");
  const auto d_notxn = r.discrepancy("AMOUNT_MISMATCH", "R_NOTXN");
  const auto d_done = r.discrepancy("NOTIFY_MISMATCH", "S_DONE");
  const auto d_leased = r.discrepancy("PAID_AFTER_CLOSE", "R_LEASED");
  const auto d_day = r.discrepancy("NOTIFY_BAD_SIGNATURE", "");
  const auto d_ghost = r.discrepancy("BILL_ONLY", "NOT_LOCAL");

  struct Case {
    const char* why;
    std::vector<std::string> args;
    const char* says;
  };
  const auto id = [](std::int64_t v) { return std::to_string(v); };
  const Case cases[] = {
      {"no --discrepancy", {"--note", "x"}, "--discrepancy ID is required"},
      {"a non-numeric id", {"--discrepancy", "12x", "--note", "x"}, "positive number"},
      {"no --note", {"--discrepancy", id(d_txn)}, "--note TEXT is required"},
      {"a blank note", {"--discrepancy", id(d_txn), "--note", "  "}, "--note TEXT is required"},
      {"an unknown state name",
       {"--discrepancy", id(d_txn), "--note", "x", "--set-state", "PAID"},
       "\"PAID\" is not an order state"},
      {"an unknown discrepancy id", {"--discrepancy", "999999", "--note", "x"},
       "discrepancy 999999 does not exist"},
      {"an order not in REVIEW",
       {"--discrepancy", id(d_done), "--note", "x", "--set-state", "REFUND"},
       "order S_DONE is SUCCESS, not REVIEW"},
      {"REVIEW -> REVIEW", {"--discrepancy", id(d_txn), "--note", "x", "--set-state", "REVIEW"},
       "already REVIEW"},
      {"a paid state without a transaction id",
       {"--discrepancy", id(d_notxn), "--note", "x", "--set-state", "SUCCESS"},
       "evidence missing"},
      {"an order leased by a running worker",
       {"--discrepancy", id(d_leased), "--note", "x", "--set-state", "CLOSED"},
       "leased by a running worker (host:1:1"},
      {"a discrepancy without an order",
       {"--discrepancy", id(d_day), "--note", "x", "--set-state", "CLOSED"}, "names no order"},
      {"an order missing locally",
       {"--discrepancy", id(d_ghost), "--note", "x", "--set-state", "CLOSED"},
       "not in merchant_order"},
  };
  const std::string before = r.str(
      "SELECT GROUP_CONCAT(CONCAT(out_trade_no, state, version) ORDER BY id) FROM merchant_order");
  for (const auto& c : cases) {
    INFO(c.why);
    auto p = r.resolve(c.args);
    CHECK(p.exit_code == 2);
    CHECK_THAT(p.err, Contains(c.says));
    CHECK(p.out.empty());
  }
  // Nothing written: every discrepancy still OPEN, every order as it was, no transition.
  CHECK(r.env().count("SELECT COUNT(*) FROM discrepancy WHERE status <> 'OPEN'") == 0);
  CHECK(r.transitions() == 0);
  CHECK(r.str("SELECT GROUP_CONCAT(CONCAT(out_trade_no, state, version) ORDER BY id) FROM "
              "merchant_order") == before);
  // Usage errors stop before the database; the 7 refusals that reached it left a FAILED run.
  CHECK(r.env().count("SELECT COUNT(*) FROM recon_run WHERE kind = 'resolve' AND status = "
                      "'FAILED' AND summary LIKE 'refused: %' AND finished_at IS NOT NULL") == 7);
  CHECK(r.env().count("SELECT COUNT(*) FROM recon_run WHERE kind = 'resolve'") == 7);
}

TEST_CASE("resolve sets a REVIEW order's state in the same transaction as the resolution, once",
          "[integration][resolve]") {
  ResolveEnv r;
  r.order("R_TXN", "REVIEW", "4200000001");
  r.order("R_BACK", "REVIEW", "");
  r.exec("UPDATE merchant_order SET next_check_at = NOW(3) + INTERVAL 1 HOUR, check_attempts = 9 "
         "WHERE out_trade_no = 'R_BACK'");
  const auto d1 = r.discrepancy("PAID_AFTER_CLOSE", "R_TXN");
  const auto d2 = r.discrepancy("AMOUNT_MISMATCH", "R_BACK");
  const auto d3 = r.discrepancy("NOTIFY_BAD_SIGNATURE", "");
  const std::int64_t v1 = r.env().row("R_TXN").version;

  auto p = r.resolve({"--discrepancy", std::to_string(d1), "--note",
                      "customer refunded by the shop, 退款 confirmed", "--set-state", "REFUND",
                      "--by", "alice"});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("discrepancy " + std::to_string(d1) + " (PAID_AFTER_CLOSE"));
  CHECK_THAT(p.out, Contains("R_TXN REVIEW -> REFUND"));
  CHECK_THAT(p.out, Contains("alice (os user " + osUser() + ")"));
  CHECK(r.status(d1) == "RESOLVED|alice|" + osUser() +
                           "|customer refunded by the shop, 退款 confirmed|1");
  auto row = r.env().row("R_TXN");
  CHECK(row.state == "REFUND");
  CHECK(row.version == v1 + 1);
  CHECK(r.env().transitions("R_TXN") == std::vector<std::string>{"REVIEW>REFUND/manual"});
  const std::int64_t run = r.env().count(
      "SELECT id FROM recon_run WHERE kind = 'resolve' AND status = 'OK' AND transitions = 1");
  CHECK(r.env().count("SELECT run_id FROM order_transition") == run);
  CHECK(r.str("SELECT evidence FROM order_transition") ==
        "resolve discrepancy=" + std::to_string(d1) + " kind=PAID_AFTER_CLOSE by=alice os_user=" +
            osUser() + " note=customer refunded by the shop, 退款 confirmed");

  // A second attempt: refused, naming who resolved it and when; nothing changes.
  auto again = r.resolve({"--discrepancy", std::to_string(d1), "--note", "again", "--set-state",
                          "CLOSED", "--by", "mallory"});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Contains("already resolved, by alice (os user " + osUser() + ") at 20"));
  CHECK(r.status(d1) == "RESOLVED|alice|" + osUser() +
                           "|customer refunded by the shop, 退款 confirmed|1");
  CHECK(r.env().row("R_TXN").state == "REFUND");
  CHECK(r.transitions() == 1);

  // Back to NOTPAY: due now with a fresh backoff, so the sweep asks WeChat again. The resolver
  // defaults to $SUDO_USER.
  p = r.resolve({"--discrepancy", std::to_string(d2), "--note", "ask WeChat again",
                 "--set-state", "NOTPAY"},
                {{"SUDO_USER", "bob"}, {"USER", "root"}});
  REQUIRE(p.exit_code == 0);
  row = r.env().row("R_BACK");
  CHECK(row.state == "NOTPAY");
  CHECK_FALSE(row.has_next_check);
  CHECK(row.check_attempts == 0);
  CHECK(r.status(d2) == "RESOLVED|bob|" + osUser() + "|ask WeChat again|1");

  // No order, no state: only the resolution; the resolver defaults to $USER.
  p = r.resolve({"--discrepancy", std::to_string(d3), "--note", "key rotation test traffic"});
  REQUIRE(p.exit_code == 0);
  CHECK(r.status(d3) == "RESOLVED|carol|" + osUser() + "|key rotation test traffic|1");
  CHECK(r.transitions() == 2);
  CHECK(r.env().count("SELECT COUNT(*) FROM recon_run WHERE kind = 'resolve' AND status = 'OK'") ==
        3);
}

TEST_CASE("resolve without --set-state leaves a REVIEW order in REVIEW", "[integration][resolve]") {
  ResolveEnv r;
  r.order("R1", "REVIEW", "4200000009");
  const auto d = r.discrepancy("AMOUNT_MISMATCH", "R1");
  auto p = r.resolve({"--discrepancy", std::to_string(d), "--note", "seen"});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("R1 stays REVIEW (--set-state decides its state)"));
  CHECK(r.env().row("R1").state == "REVIEW");
  CHECK(r.transitions() == 0);
}
