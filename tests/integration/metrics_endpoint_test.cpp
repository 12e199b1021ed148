// GET /metrics of notify-server on [notify] admin_listen (README "Metrics"): valid Prometheus
// text (tests/support/prom_text_validator.h: what promtool checks) that counts what it did.
#include <catch2/catch.hpp>

#include <map>

#include "integration/notify_fixture.h"
#include "support/prom_series.h"

using namespace wx;
using namespace wx::test;

namespace {

std::map<std::string, double> scrape(const std::string& admin_url) {
  auto r = httpExchange(admin_url, "GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  return validSeries(r.body);
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
