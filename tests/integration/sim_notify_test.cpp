// wxpay-sim notifications: the body (signed, no trade_state), the resend schedule driven by the
// simulator's clock, stopping at the first SUCCESS ack, and the lose/forge/twice options.
#include <catch2/catch.hpp>

#include "common/hash.h"
#include "common/time.h"

#include "support/sim_expect.h"
#include "support/sim_notify_receiver.h"
#include "support/sim_process.h"

using wx::test::fill;
using wx::test::md5Upper;
using wx::test::NotifyReceiver;
using wx::test::SimProcess;
using wx::test::xmlValue;

namespace {

const char kKey[] = "192006250b4c09247ec02edce69f6a2d";

void payWithNotify(const SimProcess& sim, const NotifyReceiver& rx, const std::string& no,
                   const std::string& pay_options) {
  sim.controlJson("POST", "/sim/orders",
                  R"({"mch_id":"10000100","appid":"wx2421b1c4370ec43b","out_trade_no":")" + no +
                      R"(","total_fee":888,"openid":"oUser_N","notify_url":")" + rx.url() + "\"}");
  sim.controlJson("POST", "/sim/orders/" + no + "/pay", pay_options);
}

Poco::JSON::Array::Ptr attempts(const SimProcess& sim, const std::string& no) {
  return sim.controlJson("GET", "/sim/notifications?out_trade_no=" + no)->getArray("notifications");
}

void advance(const SimProcess& sim, long seconds) {
  auto r = sim.controlJson("POST", "/sim/clock", "{\"advance_s\":" + std::to_string(seconds) + "}");
  REQUIRE(r->getValue<bool>("settled"));
}

}  // namespace

TEST_CASE("sim: notifications follow 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h",
          "[integration][sim]") {
  NotifyReceiver rx(
      [](std::size_t) { return std::make_pair(200, std::string(wx::test::failAck())); });
  SimProcess sim;  // clock frozen at 2024-05-01T00:00:00Z
  payWithNotify(sim, rx, "NTF000001", R"({"notify":"deliver"})");
  advance(sim, 0);
  REQUIRE(attempts(sim, "NTF000001")->size() == 1);

  // Due offsets from the payment, in seconds; 86640 s = 24 h 4 min.
  const long due[] = {0,    15,   30,    60,    240,   840,   2040,  3840,
                      5640, 7440, 11040, 21840, 32640, 43440, 65040, 86640};
  long now = 0;
  for (std::size_t k = 1; k < 16; ++k) {
    INFO("attempt " << k + 1);
    advance(sim, due[k] - 1 - now);  // one second early: nothing new
    CHECK(attempts(sim, "NTF000001")->size() == k);
    advance(sim, 1);
    now = due[k];
    CHECK(attempts(sim, "NTF000001")->size() == k + 1);
  }
  advance(sim, 3 * 86400);  // the schedule is over
  auto log = attempts(sim, "NTF000001");
  REQUIRE(log->size() == 16);
  for (std::size_t k = 0; k < 16; ++k) {
    auto a = log->getObject(static_cast<unsigned>(k));
    const auto t = wx::parseIso8601Utc(a->getValue<std::string>("due_at"));
    REQUIRE(t.isOk());
    CHECK((*t - *wx::parseIso8601Utc("2024-05-01T00:00:00Z")).count() == due[k] * 1000);
    CHECK(a->getValue<int>("attempt") == static_cast<int>(k + 1));
    CHECK(a->getValue<int>("http_status") == 200);
    CHECK_FALSE(a->getValue<bool>("ack_valid"));
  }
  CHECK(rx.bodies().size() == 16);
}

TEST_CASE("sim: resends stop at the first valid SUCCESS ack: the body is signed, no trade_state",
          "[integration][sim]") {
  // FAIL ack, HTTP 500, a 200 that is not XML, then SUCCESS.
  NotifyReceiver rx([](std::size_t n) {
    if (n == 0) return std::make_pair(200, std::string(wx::test::failAck()));
    if (n == 1) return std::make_pair(500, std::string(wx::test::successAck()));
    if (n == 2) return std::make_pair(200, std::string("SUCCESS"));
    return std::make_pair(200, std::string(wx::test::successAck()));
  });
  SimProcess sim;
  payWithNotify(sim, rx, "NTF000002", R"({"notify":"deliver","paid_at":"2024-05-01T00:00:00Z"})");
  advance(sim, 2 * 86400);
  auto log = attempts(sim, "NTF000002");
  REQUIRE(log->size() == 4);
  CHECK_FALSE(log->getObject(0)->getValue<bool>("ack_valid"));
  CHECK(log->getObject(1)->getValue<int>("http_status") == 500);
  CHECK_FALSE(log->getObject(1)->getValue<bool>("ack_valid"));
  CHECK_FALSE(log->getObject(2)->getValue<bool>("ack_valid"));
  CHECK(log->getObject(3)->getValue<bool>("ack_valid"));
  CHECK(log->getObject(3)->getValue<std::string>("due_at") == "2024-05-01T00:01:00.000Z");

  auto bodies = rx.bodies();
  REQUIRE(bodies.size() == 4);
  const std::string& b = bodies[0];
  for (const auto& other : bodies) CHECK(other == b);
  CHECK(log->getObject(0)->getValue<std::string>("body_sha256") == wx::sha256Hex(b));
  CHECK_FALSE(wx::test::hasElement(b, "trade_state"));
  CHECK_FALSE(wx::test::hasElement(b, "sign_type"));
  const std::string nonce = xmlValue(b, "nonce_str");
  const std::string sign = md5Upper(fill(
      "appid=wx2421b1c4370ec43b&bank_type=CFT&cash_fee=888&fee_type=CNY&is_subscribe=N&"
      "mch_id=10000100&nonce_str={N}&openid=oUser_N&out_trade_no=NTF000002&result_code=SUCCESS&"
      "return_code=SUCCESS&return_msg=OK&time_end=20240501080000&total_fee=888&trade_type=JSAPI&"
      "transaction_id=4200000202405010000000000001&key={K}",
      {{"N", nonce}, {"K", kKey}}));
  CHECK(xmlValue(b, "sign") == sign);
}

TEST_CASE("sim: notify lose sends nothing: forge adds a copy with a wrong sign: twice doubles",
          "[integration][sim]") {
  NotifyReceiver rx(
      [](std::size_t) { return std::make_pair(200, std::string(wx::test::successAck())); });
  SimProcess sim;

  SECTION("lose") {
    payWithNotify(sim, rx, "NTFLOSE01", R"({"notify":"lose"})");
    advance(sim, 2 * 86400);
    CHECK(attempts(sim, "NTFLOSE01")->size() == 0);
    CHECK(rx.bodies().empty());
  }
  SECTION("forge") {
    payWithNotify(sim, rx, "NTFFORGE1", R"({"notify":"forge"})");
    advance(sim, 0);
    auto log = attempts(sim, "NTFFORGE1");
    REQUIRE(log->size() == 2);
    CHECK(log->getObject(0)->getValue<bool>("forged"));
    CHECK_FALSE(log->getObject(1)->getValue<bool>("forged"));
    auto bodies = rx.bodies();
    REQUIRE(bodies.size() == 2);
    // Same fields, different sign; only the genuine one verifies with the merchant's key.
    auto strip = [](std::string s) {
      const auto a = s.find("<sign>");
      return s.erase(a, s.find("</sign>") - a);
    };
    CHECK(strip(bodies[0]) == strip(bodies[1]));
    CHECK(xmlValue(bodies[0], "sign") != xmlValue(bodies[1], "sign"));
    wx::FieldMap genuine = wx::parseXmlFields(bodies[1]).fields;
    wx::FieldMap forged = wx::parseXmlFields(bodies[0]).fields;
    CHECK(wx::verifySign(genuine, {wx::SignType::kMd5}, wx::Secret(kKey)).ok());
    CHECK_FALSE(wx::verifySign(forged, {wx::SignType::kMd5}, wx::Secret(kKey)).ok());
    advance(sim, 86400);
    CHECK(attempts(sim, "NTFFORGE1")->size() == 2);  // the genuine one was acknowledged
  }
  SECTION("twice") {
    payWithNotify(sim, rx, "NTFTWICE1", R"({"notify":"deliver","twice":true})");
    advance(sim, 0);
    auto log = attempts(sim, "NTFTWICE1");
    REQUIRE(log->size() == 2);
    CHECK(log->getObject(0)->getValue<int>("attempt") == 1);
    CHECK(log->getObject(1)->getValue<int>("attempt") == 1);
    CHECK(log->getObject(0)->getValue<int>("copy") != log->getObject(1)->getValue<int>("copy"));
    auto bodies = rx.bodies();
    REQUIRE(bodies.size() == 2);
    CHECK(bodies[0] == bodies[1]);
  }
}
