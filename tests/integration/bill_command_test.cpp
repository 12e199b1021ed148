// `wxrecon bill` end to end: a real wxpay-sim (real clock) serving the day's bill, a fresh
// MariaDB, the real binary. Day D = 3 days ago (Beijing; the other cases each reconcile a day of
// their own, as GET_LOCK is server-wide), so D and D+1 are both downloadable at any hour; D+1
// has no trades ("No Bill Exist" = EMPTY, available), so LOCAL_ONLY is decided.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include "integration/bill_env.h"

using namespace wx;
using namespace wx::test;
using Catch::Matchers::Contains;
using namespace Poco::Data::Keywords;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace

TEST_CASE("bill: every bill-side kind planted once is found once: a second run adds nothing",
          "[bill][integration]") {
  BillEnv env;
  const CivilDate d = env.day, prev = addDays(env.day, -1);
  // Paid at WeChat and locally (after the sweep): matched. One at 00:30 Beijing (16:30 UTC the
  // day before) lands on D, not D-1.
  env.paidAtSim("M1", 100, d, 0, 30);
  env.paidAtSim("M2", 250, d, 12, 0);
  env.paidAtSim("M3", 999, d, 23, 59);
  env.paidAtSim("PREV", 300, prev, 15, 0);  // paid on D-1: no notification -> NOTIFY_MISSING
  auto swept = env.sweep();
  INFO(swept.out << swept.err);
  REQUIRE(swept.exit_code == 0);
  REQUIRE(env.row("M1").state == "SUCCESS");
  // Planted after the sweep:
  env.paidAtSim("UNKNOWN", 120, d, 10, 0, /*local=*/false);  // BILL_ONLY
  env.paidAtSim("UNFIN", 130, d, 11, 0);                      // NOTPAY locally: fixed by a query
  env.paidAtSim("PAC", 140, d, 13, 0);                        // CLOSED locally: PAID_AFTER_CLOSE
  env.db().session() << "UPDATE merchant_order SET state = 'CLOSED' WHERE out_trade_no = 'PAC'",
      now;
  env.localPaid("LONLY", 150, d, 14, 0);  // in neither bill: LOCAL_ONLY
  env.paidAtSim("AMT", 160, d, 15, 0);
  env.db().session() << "UPDATE merchant_order SET state = 'SUCCESS', total_fee = 170, "
                        "transaction_id = 'T', paid_at = NOW(3) + INTERVAL " +
                            std::to_string(env.at(d, 15, 0)) +
                            " SECOND WHERE out_trade_no = 'AMT'",
      now;  // BILL_AMOUNT_MISMATCH (bill 1.60, order 1.70)
  // M2's notification names another transaction: NOTIFY_MISMATCH.
  env.storeNotification(0, "M2", 250, "4200000000000000000000000WRONG", env.at(d, 12, 0));
  env.db().session() << "UPDATE payment_notification SET received_at = NOW(3) + INTERVAL " +
                            std::to_string(env.at(d, 12, 1)) + " SECOND",
      now;

  auto r = env.bill();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.out, Contains("bill OK"));
  CHECK_THAT(r.out, Contains("D+1 bill EMPTY"));
  const std::vector<std::string> expected = {
      "BILL_AMOUNT_MISMATCH:AMT:OPEN", "BILL_ONLY:UNKNOWN:OPEN", "LOCAL_ONLY:LONLY:OPEN",
      "NOTIFY_MISMATCH:M2:OPEN",       "NOTIFY_MISSING:PREV:OPEN", "PAID_AFTER_CLOSE:PAC:OPEN"};
  CHECK(env.discrepancies() == expected);
  // The unfinished order moved on the fresh query's evidence, source bill.
  CHECK(env.row("UNFIN").state == "SUCCESS");
  CHECK(env.transitions("UNFIN") == std::vector<std::string>{"NOTPAY>SUCCESS/bill"});
  CHECK(env.row("PAC").state == "REVIEW");
  // Day totals: local M1 M2 M3 LONLY AMT (paid on D before the run), matched M1 M2 M3.
  std::int64_t local_count = 0, local_amount = 0, matched = 0, bill_count = 0, bill_amount = 0;
  std::string status;
  env.db().session() << "SELECT local_count, local_amount_fen, matched_count, bill_count, "
                        "bill_order_amount_fen, bill_status FROM bill_day",
      into(local_count), into(local_amount), into(matched), into(bill_count), into(bill_amount),
      into(status), now;
  CHECK(local_count == 5);
  CHECK(local_amount == 100 + 250 + 999 + 150 + 170);
  CHECK(matched == 3);
  CHECK(bill_count == 7);  // M1 M2 M3 UNKNOWN UNFIN PAC AMT
  CHECK(bill_amount == 100 + 250 + 999 + 120 + 130 + 140 + 160);
  CHECK(status == "OK");
  // The day's reports, written after the commit (DESIGN.md §6), name every discrepancy.
  const std::string day_dir = BillEnv::archiveRoot() + "-reports/" + env.merchant(0).mch_id +
                              "/" + formatIsoDate(d);
  const std::string csv = readFile(day_dir + "/reconciliation.csv");
  for (const char* kind : {"BILL_AMOUNT_MISMATCH", "BILL_ONLY", "LOCAL_ONLY", "NOTIFY_MISMATCH",
                           "PAID_AFTER_CLOSE"}) {
    CHECK_THAT(csv, Contains(kind));
  }
  CHECK_THAT(readFile(day_dir + "/reconciliation.html"), Contains("</html>"));
  CHECK_THAT(r.out, Contains(day_dir + "/reconciliation.csv"));
  // The archive: one file per distinct sha256, private directories.
  CHECK(env.count("SELECT COUNT(*) FROM bill_file WHERE status = 'OK'") == 1);
  CHECK(env.count("SELECT COUNT(*) FROM bill_file WHERE status = 'EMPTY'") == 1);
  std::string path;
  env.db().session() << "SELECT stored_path FROM bill_file WHERE status = 'OK'", into(path), now;
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(BillEnv::archiveRoot().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  // Twice: the same rows, nothing new.
  const auto before = env.discrepancies();
  auto again = env.bill();
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("new discrepancies:  0"));
  CHECK(env.discrepancies() == before);
  CHECK(env.count("SELECT COUNT(*) FROM bill_file") == 2);
  CHECK(env.count("SELECT COUNT(*) FROM bill_day") == 1);
  // UNFIN is now matched, and PAC too: REVIEW with the transaction_id and paid_at its
  // PAID_AFTER_CLOSE answer proved (DESIGN.md §6: a payment row matches such an order).
  CHECK(env.count("SELECT matched_count FROM bill_day") == 5);
  CHECK(env.transitions("UNFIN") == std::vector<std::string>{"NOTPAY>SUCCESS/bill"});
}

TEST_CASE("bill: --dry-run writes only its recon_run row", "[bill][integration]") {
  BillEnv env(10);  // a day of its own (bill_env.h)
  env.paidAtSim("UNKNOWN", 120, env.day, 10, 0, /*local=*/false);
  env.paidAtSim("UNFIN", 130, env.day, 11, 0);
  auto r = env.bill({"--dry-run"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);  // as a real run: BILL_ONLY is HIGH
  CHECK_THAT(r.out, Contains("dry run"));
  CHECK_THAT(r.out, Contains("BILL_ONLY=1"));
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM bill_file") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM bill_day") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == 0);
  CHECK(env.row("UNFIN").state == "NOTPAY");
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'bill' AND status = 'DRY_RUN'") ==
        1);
  // Its reports go to the dry-run tree, with what it would open.
  const std::string csv = readFile(BillEnv::archiveRoot() + "-reports/dry-run/" +
                                   env.merchant(0).mch_id + "/" + formatIsoDate(env.day) +
                                   "/reconciliation.csv");
  CHECK_THAT(csv, Contains("BILL_ONLY"));
  CHECK_THAT(csv, Contains("(dry run: would open)"));
}

TEST_CASE("bill: an EMPTY day with nothing paid locally exits 0: dates refused locally exit 2",
          "[bill][integration]") {
  BillEnv env(11);  // a day of its own (bill_env.h)
  auto r = env.bill();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("bill EMPTY"));
  CHECK(env.count("SELECT COUNT(*) FROM bill_file WHERE status = 'EMPTY'") == 2);  // D, D+1
  CHECK(env.count("SELECT COUNT(*) FROM bill_day WHERE bill_status = 'EMPTY'") == 1);

  const CivilDate today =
      beijingDate(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()));
  auto future = env.wxrecon({"bill", "--date", formatIsoDate(today)});
  CHECK(future.exit_code == 2);
  CHECK_THAT(future.err, Contains("not over yet"));
  auto old = env.wxrecon({"bill", "--date", formatIsoDate(addDays(today, -100))});
  CHECK(old.exit_code == 2);
  CHECK_THAT(old.err, Contains("3-month"));
  auto bad = env.wxrecon({"bill", "--date", "2026-02-30"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("bill: a failed download exits 1 and is never an empty bill: Bill Creating exits 4",
          "[bill][integration]") {
  BillEnv env(12);  // a day of its own (bill_env.h)
  env.localPaid("LONLY", 150, env.day, 14, 0);  // would be LOCAL_ONLY from an empty bill
  env.sim().controlJson("POST", "/sim/faults", R"({"systemerror":1,"endpoints":["downloadbill"]})");
  auto failed = env.bill();
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.out, Contains("bill FAILED"));
  CHECK(env.count("SELECT COUNT(*) FROM bill_file") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM bill_day") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'bill' AND status = 'FAILED'") ==
        1);

  // WeChat's clock at D+1 09:00 Beijing: the bill is being created.
  env.sim().controlJson("POST", "/sim/faults", R"({"systemerror":0})");
  env.sim().controlJson("POST", "/sim/clock",
                        R"({"now":")" + SweepEnv::isoIn(env.at(addDays(env.day, 1), 9, 0)) +
                            R"("})");
  auto creating = env.bill();
  INFO(creating.out << creating.err);
  CHECK(creating.exit_code == 4);
  CHECK_THAT(creating.out, Contains("bill NOT_READY"));
  CHECK(env.count("SELECT COUNT(*) FROM bill_file") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 0);
}
