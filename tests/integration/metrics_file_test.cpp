// --metrics-file on real `wxrecon sweep` and `wxrecon bill` runs (README "Metrics"): the file
// is valid Prometheus text (tests/support/prom_text_validator.h: what promtool checks), says
// what the run did (orders by outcome, WeChat calls and their latency, discrepancies by kind
// and severity, bill figures in fen, run success and duration), is written on failure too,
// keeps the last success timestamp across a failed run, and sits beside the other commands'
// files without a series in common. One log line per new discrepancy, with the run id.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <map>

#include "integration/bill_env.h"
#include "support/prom_series.h"

using Catch::Contains;
using wx::test::BillEnv;
using wx::test::SweepEnv;
using wx::test::TempDir;
using wx::test::validSeries;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("sweep --metrics-file: what the run did, valid, and a failed run keeps the last success",
          "[metrics][integration]") {
  SweepEnv env;
  TempDir dir;
  const std::string file = dir.path() + "/wxrecon-sweep.prom";
  env.order(0, "MP1", 100, -600, 3600);
  env.simPay(0, "MP1");
  env.order(0, "MP2", 200, -600, 3600);
  env.simPay(0, "MP2");
  env.order(0, "MU1", 300, -600, 3600);      // unpaid, not expired
  env.order(0, "MAMT", 400, -600, 3600);
  env.simPay(0, "MAMT", 401);                // AMOUNT_MISMATCH (HIGH): exit 3
  auto r = env.sweep({"--metrics-file", file});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 3);
  const std::string text = readFile(file);
  INFO(text);
  auto m = validSeries(text);
  CHECK(m["wxrecon_run_success{command=sweep,run=sweep,}"] == 1);
  CHECK(m["wxrecon_run_exit_code{command=sweep,run=sweep,}"] == 3);
  CHECK(m["wxrecon_runs_total{command=sweep,exit_code=3,run=sweep,}"] == 1);
  CHECK(m["wxrecon_run_duration_seconds{command=sweep,run=sweep,}"] > 0);
  const double success = m["wxrecon_last_success_timestamp_seconds{command=sweep,run=sweep,}"];
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(success > now - 120);
  CHECK(success <= now + 1);
  CHECK(m["wxrecon_orders_examined_total{command=sweep,outcome=paid,}"] == 2);
  CHECK(m["wxrecon_orders_examined_total{command=sweep,outcome=unpaid,}"] == 1);
  CHECK(m["wxrecon_orders_examined_total{command=sweep,outcome=review,}"] == 1);
  CHECK(m["wxrecon_order_transitions_total{command=sweep,run=sweep,}"] == 3);
  CHECK(m["wxrecon_discrepancies_new_total{command=sweep,kind=AMOUNT_MISMATCH,severity=HIGH,}"] ==
        1);
  CHECK(m["wxrecon_wechat_calls_total{api=orderquery,command=sweep,result=ok,}"] == 4);
  CHECK(m["wxrecon_wechat_call_duration_seconds_count{api=orderquery,command=sweep,}"] == 4);
  CHECK(m["wxrecon_wechat_call_duration_seconds_bucket{api=orderquery,command=sweep,le=10,}"] == 4);
  // The discrepancy's log line, with the run id.
  CHECK_THAT(r.err, Contains("event=discrepancy.new kind=AMOUNT_MISMATCH severity=HIGH"));
  CHECK_THAT(r.err, Contains("out_trade_no=MAMT"));
  CHECK(r.err.find(" run=0 event=discrepancy.new") == std::string::npos);
  CHECK_THAT(r.err, Contains("event=sweep.done"));

  // A failed run (here: a usage error found at run time) still writes its file, with the
  // earlier success carried forward.
  auto failed = env.sweep({"--metrics-file", file, "--mch", "999"});
  REQUIRE(failed.exit_code == 2);
  auto m2 = validSeries(readFile(file));
  CHECK(m2["wxrecon_run_success{command=sweep,run=sweep,}"] == 0);
  CHECK(m2["wxrecon_run_exit_code{command=sweep,run=sweep,}"] == 2);
  CHECK(m2["wxrecon_last_success_timestamp_seconds{command=sweep,run=sweep,}"] == success);
  CHECK(m2["wxrecon_last_run_timestamp_seconds{command=sweep,run=sweep,}"] >= success);

  // A directory that does not exist: refused before the run.
  auto bad = env.sweep({"--metrics-file", dir.path() + "/no/such/dir/x.prom"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("--metrics-file"));
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'sweep'") == 1);
}

TEST_CASE("bill and rerun --metrics-file: the day's figures in fen, valid, beside the sweep's file",
          "[metrics][integration][bill]") {
  BillEnv env(5);
  TempDir dir;
  env.paidAtSim("B1", 100, env.day, 9, 0);
  env.paidAtSim("B2", 250, env.day, 10, 0);
  env.paidAtSim("BONLY", 120, env.day, 11, 0, /*local=*/false);  // BILL_ONLY (HIGH)
  const std::string sweep_file = dir.path() + "/wxrecon-sweep.prom";
  auto swept = env.sweep({"--metrics-file", sweep_file});
  REQUIRE(swept.exit_code == 0);
  const std::string file = dir.path() + "/wxrecon-bill.prom";
  auto r = env.bill({"--metrics-file", file});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 3);
  const std::string text = readFile(file);
  INFO(text);
  auto m = validSeries(text);
  const std::string mch = env.merchant(0).mch_id;
  auto bill = [&](const std::string& family, const std::string& figure) {
    return m[family + "{command=bill,figure=" + figure + ",mch_id=" + mch + ",}"];
  };
  CHECK(bill("wxrecon_bill_orders", "bill_lines") == 3);
  CHECK(bill("wxrecon_bill_orders", "matched") == 2);
  CHECK(bill("wxrecon_bill_orders", "unmatched_bill") == 1);
  CHECK(bill("wxrecon_bill_amount_fen", "matched") == 350);
  CHECK(bill("wxrecon_bill_amount_fen", "bill_order") == 470);
  CHECK(bill("wxrecon_bill_amount_fen", "local") == 350);
  CHECK(m["wxrecon_bill_day_timestamp_seconds{command=bill,mch_id=" + mch + ",}"] ==
        static_cast<double>(daysFromCivil(env.day) * 86400 - 8 * 3600));
  CHECK(m["wxrecon_bill_reconciliations_total{command=bill,status=OK,}"] == 1);
  CHECK(m["wxrecon_discrepancies_new_total{command=bill,kind=BILL_ONLY,severity=HIGH,}"] == 1);
  CHECK(m["wxrecon_wechat_calls_total{api=downloadbill,command=bill,result=ok,}"] >= 1);
  CHECK(m["wxrecon_run_success{command=bill,run=bill,}"] == 1);
  CHECK_THAT(r.err, Contains("event=discrepancy.new kind=BILL_ONLY severity=HIGH"));
  CHECK_THAT(r.err, Contains("event=bill.done"));

  // rerun of the same day (finished orders re-verified too): its own file, with its bill day's
  // figures.
  const std::string rerun_file = dir.path() + "/wxrecon-rerun.prom";
  auto rr = env.wxrecon({"rerun", "--from", formatIsoDate(env.day), "--to",
                         formatIsoDate(env.day), "--mch", mch, "--recheck-final", "--metrics-file",
                         rerun_file});
  INFO(rr.out << rr.err);
  REQUIRE(rr.exit_code == 0);
  auto rm = validSeries(readFile(rerun_file));
  CHECK(rm["wxrecon_run_success{command=rerun,run=rerun,}"] == 1);
  CHECK(rm["wxrecon_rerun_orders_total{command=rerun,}"] == 2);  // B1, B2 re-verified
  CHECK(rm["wxrecon_wechat_calls_total{api=orderquery,command=rerun,result=ok,}"] == 2);
  CHECK(rm["wxrecon_bill_orders{command=rerun,figure=matched,mch_id=" + mch + ",}"] == 2);
  CHECK_THAT(rr.err, Contains("event=rerun.done"));

  // node_exporter's textfile collector reads every file of its directory and refuses a series
  // that two files both have: the command label keeps them apart.
  auto s = validSeries(readFile(sweep_file));
  for (const auto& [series, value] : s) {
    CHECK(m.count(series) == 0);
    CHECK(rm.count(series) == 0);
  }
}
