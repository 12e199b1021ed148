// The sweep reconciles each order with its stored notifications, re-verifying every raw_body
// (DESIGN.md §4, §6): NOTIFY_UNCONFIRMED, NOTIFY_MISMATCH, forged bodies ignored, and
// policy.notification_is_evidence.
#include <catch2/catch.hpp>

#include "support/sweep_env.h"

using Catch::Contains;
using wx::test::SweepEnv;
using wx::test::SweepEnvOptions;

TEST_CASE(
    "sweep: a verified notification WeChat does not confirm raises NOTIFY_UNCONFIRMED: "
    "a forged one is ignored",
    "[sweep][integration][notify]") {
  SweepEnv env;
  env.order(0, "NOTE-UNCONF", 300, -3600, 3600);  // NOTPAY at WeChat
  env.storeNotification(0, "NOTE-UNCONF", 300, "4200000001202405010000000001", -300);
  // Same shape, signed with another key (stored with verdict ACCEPTED by an outside writer:
  // advisory only, the sweep verifies the bytes again).
  env.order(1, "NOTE-FORGED", 300, -3600, 3600);
  env.storeNotification(1, "NOTE-FORGED", 300, "4200000001202405010000000002", -300,
                        "ffffffffffffffffffffffffffffffff");
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);                          // NOTIFY_UNCONFIRMED is HIGH
  CHECK(env.row("NOTE-UNCONF").state == "NOTPAY");  // keeps the query's state, never REVIEW
  CHECK(env.row("NOTE-UNCONF").has_next_check);     // and keeps being checked
  CHECK(env.openDiscrepancies("NOTE-UNCONF") == std::vector<std::string>{"NOTIFY_UNCONFIRMED"});
  CHECK(env.openDiscrepancies("NOTE-FORGED").empty());
  CHECK(env.transitions("NOTE-UNCONF").empty());

  // Seen again: the OPEN row is only refreshed, so neither a dry run nor a real run counts it
  // as new (same exit code for both: 0).
  env.makeAllDue();
  auto dry = env.sweep({"--dry-run"});
  INFO(dry.out << dry.err);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Contains("new discrepancies:  0 (HIGH 0)"));
  auto real = env.sweep();
  INFO(real.out << real.err);
  CHECK(real.exit_code == 0);
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 1);
}

TEST_CASE("sweep: an accepted notification naming another transaction raises NOTIFY_MISMATCH",
          "[sweep][integration][notify]") {
  SweepEnv env;
  env.order(1, "NOTE-MISMATCH", 420, -3600, 3600);
  env.simPay(1, "NOTE-MISMATCH");
  env.storeNotification(1, "NOTE-MISMATCH", 420, "4200000001202405010000000099", -60);
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);  // MEDIUM only
  CHECK(env.row("NOTE-MISMATCH").state == "SUCCESS");
  CHECK(env.row("NOTE-MISMATCH").transaction_id != "4200000001202405010000000099");
  CHECK(env.openDiscrepancies("NOTE-MISMATCH") == std::vector<std::string>{"NOTIFY_MISMATCH"});
}

TEST_CASE("sweep: with notification_is_evidence a verified notification proves payment",
          "[sweep][integration][notify]") {
  SweepEnvOptions o;
  o.extra_ini = "notification_is_evidence = true\n";  // appended to [policy]
  SweepEnv env(o);
  env.order(1, "NOTE-EVIDENCE", 250, -3600, 3600);
  env.storeNotification(1, "NOTE-EVIDENCE", 250, "4200000001202405010000000007", -30);
  env.order(0, "NOTE-EVID-FORGED", 250, -3600, 3600);
  env.storeNotification(0, "NOTE-EVID-FORGED", 250, "4200000001202405010000000008", -30,
                        "ffffffffffffffffffffffffffffffff");
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(env.row("NOTE-EVIDENCE").state == "SUCCESS");
  CHECK(env.row("NOTE-EVIDENCE").transaction_id == "4200000001202405010000000007");
  CHECK(env.transitions("NOTE-EVIDENCE") == std::vector<std::string>{"NOTPAY>SUCCESS/notify"});
  // A forged body proves nothing even under this policy: the query (NOTPAY) decides.
  CHECK(env.row("NOTE-EVID-FORGED").state == "NOTPAY");
  CHECK(env.transitions("NOTE-EVID-FORGED").empty());
}
