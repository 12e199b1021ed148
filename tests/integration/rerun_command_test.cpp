// `wxrecon rerun` as a process against a real MariaDB and wxpay-sim: the range refusals, and a
// run over the day before yesterday (Beijing) that re-decides an order whatever its schedule and rewrites the
// day's reports; run twice, the database keeps the same rows and the CSV is byte-identical.
#include <Poco/File.h>
#include <Poco/Nullable.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "support/sweep_env.h"

using Catch::Contains;
using wx::test::SweepEnv;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One text value (NULL: empty).
std::string queryText(SweepEnv& env, const std::string& sql) {
  using namespace Poco::Data::Keywords;
  auto s = env.db().session();
  Poco::Nullable<std::string> v;
  s << sql, into(v), now;
  return v.isNull() ? std::string() : v.value();
}

// Everything a rerun may change, run bookkeeping (recon_run) aside.
std::string dbSnapshot(SweepEnv& env) {
  return queryText(
      env,
      "SELECT CONCAT((SELECT GROUP_CONCAT(CONCAT_WS(',', out_trade_no, state, "
      "COALESCE(transaction_id, ''), COALESCE(paid_at, '')) ORDER BY id) FROM merchant_order), "
      "'|', COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(',', order_id, from_state, to_state, source, "
      "evidence) ORDER BY id) FROM order_transition), ''), '|', (SELECT COUNT(*) FROM "
      "discrepancy), '|', COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(',', mch_id, bill_date, "
      "local_count, bill_count, bill_status, matched_count) ORDER BY mch_id) FROM bill_day), ''), "
      "'|', (SELECT COUNT(*) FROM bill_file))");
}

// A SweepEnv whose ini has [reports] and [bill] directories of its own.
struct RerunEnv : SweepEnv {
  wx::test::TempDir reports;
  wx::test::TempDir archive;
  RerunEnv() {
    writeIni("\n[reports]\ndir = " + reports.path() + "\n\n[bill]\narchive_dir = " +
             archive.path() + "\n");
  }
};

}  // namespace

TEST_CASE("rerun refuses a bad range before touching anything", "[integration][rerun]") {
  SweepEnv env;
  const auto today = wx::beijingDate(
      std::chrono::time_point_cast<wx::Millis>(std::chrono::system_clock::now()));
  struct Case {
    const char* why;
    std::vector<std::string> args;
    std::string says;
  };
  const Case cases[] = {
      {"no range", {"rerun"}, "--from and --to (YYYY-MM-DD) are required"},
      {"D2 before D1", {"rerun", "--from", "2026-11-20", "--to", "2026-11-19"},
       "--to 2026-11-19 is before --from 2026-11-20"},
      {"today is not over",
       {"rerun", "--from", wx::formatIsoDate(today), "--to", wx::formatIsoDate(today)},
       "not over yet in Beijing"},
      {"over a year", {"rerun", "--from", "2024-01-01", "--to", "2025-06-01"},
       "at most 366 per run"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto r = env.wxrecon(c.args);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(c.says));
  }
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'rerun'") == 0);
}

TEST_CASE("rerun re-decides a past day's orders and rewrites its reports, the same twice",
          "[integration][rerun]") {
  RerunEnv env;
  const wx::test::TempDir& reports = env.reports;
  // Created exactly 48 h ago: always the day before yesterday in Beijing (not yesterday: the
  // daemon test runs yesterday's bill, and GET_LOCK('wxrecon-bill-<mch>-<date>') is
  // server-wide, so two tests on the same MariaDB would lock each other out). Paid at WeChat
  // (notification lost), not due for an hour: only a rerun looks at it now.
  env.order(0, "Y_PAID", 250, -172800, 3600);
  env.simPay(0, "Y_PAID");
  env.order(0, "Y_OPEN", 100, -172800, 3600);
  env.count("SELECT COUNT(*) FROM merchant_order");  // (connection warm-up)
  {
    using namespace Poco::Data::Keywords;
    auto s = env.db().session();
    s << "UPDATE merchant_order SET next_check_at = NOW(3) + INTERVAL 1 HOUR", now;
  }
  const auto past_day = wx::addDays(
      wx::beijingDate(std::chrono::time_point_cast<wx::Millis>(std::chrono::system_clock::now())),
      -2);
  const std::string day = wx::formatIsoDate(past_day);
  const std::string mch = env.merchant(0).mch_id;

  auto first = env.wxrecon({"rerun", "--from", day, "--to", day, "--mch", mch});
  INFO(first.out << first.err);
  CHECK(first.exit_code == 0);
  // The day's bill run (wxpay-sim has no payment that day: EMPTY), then the rerun's summary.
  CHECK_THAT(first.out, Contains("merchant " + mch + ": bill EMPTY"));
  CHECK_THAT(first.out, Contains(day + " " + mch + ": 2 orders re-decided, 1 transitions; bill "
                                 "reconciled (the archived bill when there is one); reports written"));
  CHECK(env.row("Y_PAID").state == "SUCCESS");
  CHECK(env.transitions("Y_PAID") == std::vector<std::string>{"NOTPAY>SUCCESS/query"});
  CHECK(env.row("Y_OPEN").state == "NOTPAY");
  const std::string csv_path = reports.path() + "/" + mch + "/" + day + "/reconciliation.csv";
  REQUIRE(Poco::File(csv_path).exists());
  CHECK(Poco::File(reports.path() + "/" + mch + "/" + day + "/reconciliation.html").exists());
  CHECK(Poco::File(reports.path() + "/" + mch + "/index.html").exists());
  const std::string csv1 = slurp(csv_path);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'rerun' AND status = 'OK' "
                  "AND orders_examined = 2 AND transitions = 1 AND finished_at IS NOT NULL") == 1);
  CHECK(env.count("SELECT COUNT(*) FROM bill_day WHERE bill_date = '" + day + "'") == 1);

  const std::string db1 = dbSnapshot(env);
  auto second = env.wxrecon({"rerun", "--from", day, "--to", day, "--mch", mch});
  CHECK(second.exit_code == 0);
  // Y_PAID is finished now: only Y_OPEN is re-decided (without --recheck-final).
  CHECK_THAT(second.out, Contains(day + " " + mch + ": 1 orders re-decided, 0 transitions"));
  CHECK(dbSnapshot(env) == db1);
  CHECK(slurp(csv_path) == csv1);
}

TEST_CASE("rerun --dry-run decides and reports without writing, and the real rerun does as it said",
          "[integration][rerun]") {
  RerunEnv env;
  const wx::test::TempDir& reports = env.reports;
  // 25 days ago: a Beijing day of its own (GET_LOCK per merchant-day is server-wide; see above).
  constexpr int kDaysAgo = 25;
  env.order(0, "D_PAID", 250, -kDaysAgo * 86400, 3600);
  env.simPay(0, "D_PAID");
  env.order(0, "D_AMOUNT", 300, -kDaysAgo * 86400, 3600);
  env.simPay(0, "D_AMOUNT", 301);  // paid another amount: REVIEW with AMOUNT_MISMATCH (HIGH)
  env.order(0, "D_OPEN", 100, -kDaysAgo * 86400, 3600);
  {
    using namespace Poco::Data::Keywords;
    auto s = env.db().session();
    s << "UPDATE merchant_order SET next_check_at = NOW(3) + INTERVAL 1 HOUR", now;
  }
  const std::string day = wx::formatIsoDate(wx::addDays(
      wx::beijingDate(std::chrono::time_point_cast<wx::Millis>(std::chrono::system_clock::now())),
      -kDaysAgo));
  const std::string mch = env.merchant(0).mch_id;
  const std::string before = dbSnapshot(env);
  const std::string leases_sql =
      "SELECT GROUP_CONCAT(CONCAT_WS(',', version, lease_generation, COALESCE(lease_owner, ''), "
      "COALESCE(next_check_at, '')) ORDER BY id) FROM merchant_order";
  const std::string leases_before = queryText(env, leases_sql);

  auto dry = env.wxrecon({"rerun", "--from", day, "--to", day, "--mch", mch, "--dry-run"});
  INFO(dry.out << dry.err);
  CHECK(dry.exit_code == 3);  // the AMOUNT_MISMATCH it would open is HIGH
  CHECK_THAT(dry.out, Contains("(1 day), dry run: nothing written"));
  CHECK_THAT(dry.out, Contains(day + " " + mch + ": 3 orders re-decided, 2 transitions (would "
                               "write)"));
  CHECK_THAT(dry.out, Contains("reports not rewritten"));
  CHECK_THAT(dry.out, Contains("new discrepancies (would open): 1 (HIGH 1)"));
  CHECK(dbSnapshot(env) == before);  // no state, transition, discrepancy, bill row
  CHECK(queryText(env, leases_sql) == leases_before);  // not even a lease
  CHECK_FALSE(Poco::File(reports.path() + "/" + mch + "/" + day).exists());
  // The bill step ran as a bill dry run: its reports are under dry-run/.
  CHECK(Poco::File(reports.path() + "/dry-run/" + mch + "/" + day + "/reconciliation.csv").exists());
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'rerun' AND params LIKE '%dry-run' AND "
                  "status = 'DRY_RUN' AND orders_examined = 3 AND transitions = 2") == 1);

  auto real = env.wxrecon({"rerun", "--from", day, "--to", day, "--mch", mch});
  INFO(real.out << real.err);
  CHECK(real.exit_code == 3);
  CHECK_THAT(real.out, Contains(day + " " + mch + ": 3 orders re-decided, 2 transitions; "));
  CHECK_THAT(real.out, Contains("new discrepancies: 1 (HIGH 1)"));
  CHECK(env.row("D_PAID").state == "SUCCESS");
  CHECK(env.row("D_AMOUNT").state == "REVIEW");
  CHECK(env.row("D_OPEN").state == "NOTPAY");
  CHECK(Poco::File(reports.path() + "/" + mch + "/" + day + "/reconciliation.csv").exists());
}
