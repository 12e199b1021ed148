// GET /metrics of the long-running processes (README "Metrics"): notify-server on [notify]
// admin_listen and the daemon on [daemon] admin_listen answer valid Prometheus text
// (tests/support/prom_text_validator.h: what promtool checks) that counts what they did.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <thread>

#include "integration/notify_fixture.h"
#include "support/background_process.h"
#include "support/prom_series.h"
#include "support/sweep_env.h"

using namespace wx;
using namespace wx::test;

namespace {

std::map<std::string, double> scrape(const std::string& admin_url) {
  auto r = httpExchange(admin_url, "GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  return validSeries(r.body);
}

// The daemon's admin URL, from the line it prints once its admin listener is up.
std::string daemonAdmin(BackgroundProcess& daemon) {
  const std::string marker = "daemon: admin http://";
  const std::string line = daemon.waitForLine(marker);
  return "http://" + line.substr(marker.size(), line.find(' ', marker.size()) - marker.size());
}

// Scrapes until `series` reaches `at_least` (true), or 30 s pass (false): a safety bound only.
bool waitForSeries(const std::string& admin, const std::string& series, double at_least) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    if (scrape(admin)[series] >= at_least) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST_CASE_METHOD(
    NotifyServerEnv,
    "notify-server GET /metrics: valid, counts bodies by verdict, answers and confirmations",
    "[metrics][integration][notify-server]") {
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "NMET0001", 888, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/NMET0001/pay", R"({"notify":"deliver"})");
  advanceSim(sim, 0);
  REQUIRE(waitForCount(s, "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'", 1) == 1);
  // The stored body with its amount changed after signing: BAD_SIGNATURE, answered FAIL.
  std::string forged =
      queryBlob(s, "SELECT raw_body FROM payment_notification WHERE out_trade_no = 'NMET0001'");
  const auto at = forged.find("888");
  REQUIRE(at != std::string::npos);
  forged.replace(at, 3, "889");
  CHECK(server.post(forged).body != notifyAckSuccess());

  auto m = scrape(server.admin());
  const double acks = m["wxrecon_notify_acks_total{}"];
  CHECK(acks >= 1);
  CHECK(m["wxrecon_notify_received_total{verdict=ACCEPTED,}"] == acks);
  CHECK(m["wxrecon_notify_received_total{verdict=BAD_SIGNATURE,}"] == 1);
  CHECK(m["wxrecon_notify_fails_total{reason=not_genuine,}"] == 1);
  CHECK(m["wxrecon_notify_fails_total{reason=storage,}"] == 0);
  CHECK(m["wxrecon_notify_ack_seconds_count{}"] == acks + 1);
  CHECK(m["wxrecon_notify_confirmed_total{}"] >= 1);
  CHECK(m.count("wxrecon_notify_confirm_queue{}") == 1);
  CHECK(m["wxrecon_notify_store_batches_total{}"] >= 2);
  // The group commit's histograms: one observation per transaction, one wait per stored body
  // (every body stored: the SUCCESS ones and the forged one).
  const double batches = m["wxrecon_notify_store_batches_total{}"];
  CHECK(m["wxrecon_notify_store_batch_bodies_count{}"] == batches);
  CHECK(m["wxrecon_notify_store_batch_seconds_count{}"] == batches);
  CHECK(m["wxrecon_notify_store_batch_bodies_sum{}"] == acks + 1);
  CHECK(m["wxrecon_notify_store_wait_seconds_count{}"] == acks + 1);
  // The confirmation's orderquery, from the shared WeChat call metrics.
  CHECK(m["wxrecon_wechat_calls_total{api=orderquery,result=ok,}"] >= 1);
  CHECK(m["wxrecon_wechat_call_duration_seconds_count{api=orderquery,}"] >= 1);
}

TEST_CASE_METHOD(
    NotifyServerEnv,
    "notify-server GET /metrics: the discrepancies its notifications opened, as in the table",
    "[metrics][integration][notify-server]") {
  // NOTIFY_UNKNOWN_ORDER: paid at WeChat, not in merchant_order; its copy opens nothing more.
  sim.controlJson("POST", "/sim/orders",
                  R"({"mch_id":"10000100","appid":"wx2421b1c4370ec43b","out_trade_no":"NDIS0001",)"
                  R"("total_fee":200})");
  sim.controlJson("POST", "/sim/orders/NDIS0001/pay", R"({"notify":"lose"})");
  const std::string unknown = server.body("NDIS0001");
  CHECK(server.post(unknown).body == notifyAckSuccess());
  CHECK(server.post(unknown).body == notifyAckSuccess());
  // AMOUNT_MISMATCH: paid 299 for a 300 order (the confirmation's orderquery finds it again:
  // the open row is updated, not opened twice).
  createOrder(sim, s, "10000200", "wxother00000000001", "NDIS0002", 300, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/NDIS0002/pay", R"({"notify":"lose","paid_fee":299})");
  CHECK(server.post(server.body("NDIS0002")).body == notifyAckSuccess());
  REQUIRE(waitForCount(s, "SELECT COUNT(*) FROM merchant_order WHERE state = 'REVIEW'", 1) == 1);
  // NOTIFY_BAD_SIGNATURE: two bodies signed with a wrong key, one row for the merchant's day.
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "NDIS0003", 400, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/NDIS0003/pay", R"({"notify":"lose"})");
  for (const char* nonce : {"BAD1", "BAD2"}) {
    CHECK(server.post(server.body("NDIS0003", {{"nonce_str", nonce}},
                                  "ffffffffffffffffffffffffffffffff"))
              .body != notifyAckSuccess());
  }

  auto m = scrape(server.admin());
  const std::pair<const char*, const char*> kinds[] = {{"NOTIFY_UNKNOWN_ORDER", "MEDIUM"},
                                                        {"AMOUNT_MISMATCH", "HIGH"},
                                                        {"NOTIFY_BAD_SIGNATURE", "HIGH"}};
  for (const auto& [kind, severity] : kinds) {
    INFO(kind);
    CHECK(queryCount(s, std::string("SELECT COUNT(*) FROM discrepancy WHERE kind = '") + kind +
                            "' AND status = 'OPEN'") == 1);
    CHECK(m[std::string("wxrecon_discrepancies_new_total{kind=") + kind +
            ",severity=" + severity + ",}"] == 1);
  }
  CHECK_THAT(server.logText(), Catch::Contains("event=discrepancy.new kind=NOTIFY_UNKNOWN_ORDER "
                                               "severity=MEDIUM mch_id=10000100 "
                                               "out_trade_no=NDIS0001"));
}

TEST_CASE("daemon GET /metrics on the daemon admin_listen key: its sweeps metrics, valid",
          "[metrics][integration][daemon]") {
  SweepEnvOptions o;
  o.extra_ini = "\n[daemon]\nadmin_listen = 127.0.0.1:0\n";
  // Its own merchants: its first loop bills yesterday, and the bill's GET_LOCK is server-wide.
  o.mch_ids = {"19000301", "19000302"};
  SweepEnv env(o);
  TempDir dir;
  env.order(0, "DMET1", 100, -600, 3600);
  env.simPay(0, "DMET1");
  BackgroundProcess daemon(WXRECON_BIN, {"daemon", "--config", env.iniPath()}, env.env(),
                           dir.path());
  daemon.start();
  const std::string admin = daemonAdmin(daemon);
  // The daemon sweeps every second (sweep_interval_s = 1).
  const bool swept = waitForSeries(admin, "wxrecon_runs_total{exit_code=0,run=sweep,}", 2);
  INFO(daemon.logText());
  REQUIRE(swept);
  auto m = scrape(admin);
  CHECK(httpExchange(admin, "GET", "/healthz").status == 200);
  CHECK(httpExchange(admin, "GET", "/other").status == 404);
  CHECK(httpExchange(admin, "POST", "/metrics").status == 405);
  CHECK(m["wxrecon_orders_examined_total{outcome=paid,}"] == 1);
  CHECK(m["wxrecon_run_success{run=sweep,}"] == 1);
  CHECK(m["wxrecon_last_success_timestamp_seconds{run=sweep,}"] > 0);
  CHECK(m["wxrecon_wechat_calls_total{api=orderquery,result=ok,}"] >= 1);

  // WeChat unreachable for an order that is due: the sweep fails (exit 1), /healthz says so.
  env.order(0, "DMET2", 100, -600, 3600);
  env.sim().stop();
  env.makeAllDue();
  REQUIRE(waitForSeries(admin, "wxrecon_runs_total{exit_code=1,run=sweep,}", 1));
  auto f = scrape(admin);
  CHECK(f["wxrecon_run_success{run=sweep,}"] == 0);
  // The last success is kept (a later one than the first scrape's, or that one).
  CHECK(f["wxrecon_last_success_timestamp_seconds{run=sweep,}"] >=
        m["wxrecon_last_success_timestamp_seconds{run=sweep,}"]);
  auto health = httpExchange(admin, "GET", "/healthz");
  CHECK(health.status == 503);
  CHECK(health.body == "last sweep failed\n");
  CHECK(daemon.stop() == 0);
}

TEST_CASE("daemon GET /healthz: 503 until its first sweep has finished",
          "[metrics][integration][daemon]") {
  SweepEnvOptions o;
  o.extra_ini = "\n[daemon]\nadmin_listen = 127.0.0.1:0\n";
  o.mch_ids = {"19000401", "19000402"};  // its first loop bills yesterday (server-wide GET_LOCK)
  SweepEnv env(o);
  TempDir dir;
  env.order(0, "DHLZ1", 100, -600, 3600);
  // The first sweep cannot finish while this session holds merchant_order: it waits on the lock.
  auto locker = env.db().session();
  locker << "LOCK TABLES merchant_order WRITE", Poco::Data::Keywords::now;
  BackgroundProcess daemon(WXRECON_BIN, {"daemon", "--config", env.iniPath()}, env.env(),
                           dir.path());
  daemon.start();
  const std::string admin = daemonAdmin(daemon);
  auto s = env.db().session();
  INFO(daemon.logText());
  // The sweep has started and is blocked (safety bound only).
  REQUIRE(waitForCount(s,
                       "SELECT COUNT(*) > 0 FROM information_schema.processlist WHERE db = '" +
                           env.db().name() + "' AND state LIKE 'Waiting for table metadata lock'",
                       1) == 1);
  auto before = httpExchange(admin, "GET", "/healthz");
  CHECK(before.status == 503);
  CHECK(before.body == "no sweep finished yet\n");
  CHECK(scrape(admin)["wxrecon_runs_total{exit_code=0,run=sweep,}"] == 0);

  locker << "UNLOCK TABLES", Poco::Data::Keywords::now;
  REQUIRE(waitForSeries(admin, "wxrecon_runs_total{exit_code=0,run=sweep,}", 1));
  auto after = httpExchange(admin, "GET", "/healthz");
  CHECK(after.status == 200);
  CHECK(after.body == "ok\n");
  CHECK(daemon.stop() == 0);
}
