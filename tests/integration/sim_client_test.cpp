// The project's client against the simulator over real sockets (issue 4: conformance is checked
// both with hand-written XML — sim_conformance_test.cpp — and with the client that production
// uses, so the two sides are known to agree on every call wxrecon makes), and the downloaded
// bill through the real bill parser.
#include <catch2/catch.hpp>

#include <sstream>

#include "common/clock.h"
#include "net/poco_http_transport.h"
#include "support/sim_process.h"
#include "wechat/bill_input.h"
#include "wechat/bill_parser.h"
#include "wechat/nonce_source.h"
#include "wechat/pay_client.h"

using wx::test::SimProcess;

namespace {

wx::MerchantConfig merchantFrom(const wx::test::SimMerchantSpec& spec) {
  wx::MerchantConfig m;
  m.name = spec.name;
  m.mch_id = spec.mch_id;
  std::stringstream ss(spec.appids);
  std::string a;
  while (std::getline(ss, a, ',')) m.appids.push_back(a);
  m.api_key = wx::Secret(spec.key);
  m.sign_type = *wx::parseSignType(spec.sign_type);
  m.notify_sign_types = {m.sign_type};
  m.qps = 1000;
  return m;
}

struct Client {
  std::unique_ptr<wx::PocoHttpTransport> transport;
  wx::RandomNonceSource nonces;
  std::unique_ptr<wx::PayClient> pay;
  explicit Client(const SimProcess& sim) {
    auto t = wx::PocoHttpTransport::create({});
    REQUIRE(t.isOk());
    transport = std::move(*t);
    wx::WechatConfig c;
    c.base_url = sim.url();
    c.backup_url = "";
    c.connect_timeout_ms = 2000;
    c.timeout_ms = 3000;
    c.qps = 1000;
    pay = std::make_unique<wx::PayClient>(c, *transport, nonces, wx::SystemClock::instance());
  }
};

void createOrder(const SimProcess& sim, const std::string& mch, const std::string& appid,
                 const std::string& no, int fee,
                 const std::string& created = "2024-05-01T00:00:00Z") {
  sim.controlJson("POST", "/sim/orders",
                  "{\"mch_id\":\"" + mch + "\",\"appid\":\"" + appid + "\",\"out_trade_no\":\"" +
                      no + "\",\"total_fee\":" + std::to_string(fee) + ",\"created_at\":\"" +
                      created + "\",\"time_expire\":\"2024-05-01T00:30:00Z\"}");
}

}  // namespace

TEST_CASE("PayClient and wxpay-sim agree on every call, MD5 and HMAC", "[sim][client]") {
  SimProcess sim;
  Client client(sim);
  for (std::size_t mi : {0u, 1u}) {
    const auto& spec = sim.merchant(mi);
    const wx::MerchantConfig m = merchantFrom(spec);
    const std::string appid = m.appids.front();
    const std::string paid = "PAID-" + std::to_string(mi), unpaid = "OPEN-" + std::to_string(mi);
    INFO("merchant " << m.mch_id << " " << spec.sign_type);
    createOrder(sim, m.mch_id, appid, paid, 101);
    createOrder(sim, m.mch_id, appid, unpaid, 202);
    sim.controlJson("POST", "/sim/orders/" + paid + "/pay?mch_id=" + m.mch_id,
                    "{\"mch_id\":\"" + m.mch_id +
                        "\",\"notify\":\"lose\",\"paid_at\":\"2024-05-01T00:01:00Z\"}");

    auto q = client.pay->orderQuery(m, {appid, paid, ""});
    INFO(q.detail);
    REQUIRE(q.kind == wx::AnswerKind::kDefinitive);
    CHECK(q.result.trade_state == wx::TradeState::kSuccess);
    CHECK(*q.result.total_fee == 101);
    CHECK_FALSE(q.result.transaction_id.empty());
    CHECK(*q.result.time_end == *wx::parseIso8601Utc("2024-05-01T00:01:00Z"));
    // The same order by transaction_id.
    auto by_txn = client.pay->orderQuery(m, {appid, "", q.result.transaction_id});
    CHECK(by_txn.kind == wx::AnswerKind::kDefinitive);
    CHECK(by_txn.result.out_trade_no == paid);

    auto u = client.pay->orderQuery(m, {appid, unpaid, ""});
    REQUIRE(u.kind == wx::AnswerKind::kDefinitive);
    CHECK(u.result.trade_state == wx::TradeState::kNotPay);

    auto missing = client.pay->orderQuery(m, {appid, "NEVER-CREATED", ""});
    REQUIRE(missing.kind == wx::AnswerKind::kDefinitive);
    CHECK_FALSE(missing.result.exists);

    // closeorder: within 5 minutes of creation it is refused (retry later), then it closes.
    auto early = client.pay->closeOrder(m, {appid, unpaid});
    CHECK(early.kind == wx::AnswerKind::kRetryLater);
    sim.controlJson("POST", "/sim/clock", "{\"now\":\"2024-05-01T00:06:00Z\"}");
    auto closed = client.pay->closeOrder(m, {appid, unpaid});
    REQUIRE(closed.kind == wx::AnswerKind::kDefinitive);
    CHECK(closed.result == wx::CloseOutcome::kClosed);
    auto requery = client.pay->orderQuery(m, {appid, unpaid, ""});
    CHECK(requery.result.trade_state == wx::TradeState::kClosed);
    auto paid_close = client.pay->closeOrder(m, {appid, paid});
    REQUIRE(paid_close.kind == wx::AnswerKind::kDefinitive);
    CHECK(paid_close.result == wx::CloseOutcome::kOrderPaid);

    // refund -> REFUND trade_state, refundquery confirms the amount.
    sim.controlJson("POST", "/sim/orders/" + paid + "/refund",
                    "{\"mch_id\":\"" + m.mch_id + "\",\"refund_fee\":101}");
    auto r = client.pay->orderQuery(m, {appid, paid, ""});
    CHECK(r.result.trade_state == wx::TradeState::kRefund);
    wx::RefundQueryRequest rq;
    rq.appid = appid;
    rq.out_trade_no = paid;
    auto rr = client.pay->refundQuery(m, rq);
    REQUIRE(rr.kind == wx::AnswerKind::kDefinitive);
    CHECK(rr.result.total_fee == 101);
    CHECK(rr.result.transaction_id == q.result.transaction_id);
    REQUIRE(rr.result.refunds.size() == 1);
    CHECK(rr.result.refunds[0].refund_fee == 101);
    sim.controlJson("POST", "/sim/clock", "{\"now\":\"2024-05-01T00:00:00Z\"}");
  }
}

TEST_CASE("a wrong key is a merchant configuration failure, a bad answer sign is a bad answer",
          "[sim][client]") {
  SimProcess sim;
  Client client(sim);
  wx::MerchantConfig m = merchantFrom(sim.merchant(0));
  createOrder(sim, m.mch_id, m.appids.front(), "ORD-K", 101);
  wx::MerchantConfig wrong = m;
  wrong.api_key = wx::Secret("Zz9yXx8WwVv7UuTt6SsRr5QqPp4OoNn3");
  auto a = client.pay->orderQuery(wrong, {m.appids.front(), "ORD-K", ""});
  CHECK(a.kind == wx::AnswerKind::kConfigFailure);
  CHECK_FALSE(a.return_msg.empty());

  sim.controlJson("POST", "/sim/faults", "{\"bad_sign\":1.0}");
  auto bad = client.pay->orderQuery(m, {m.appids.front(), "ORD-K", ""});
  CHECK(bad.kind == wx::AnswerKind::kBadAnswer);
  CHECK(bad.cause == wx::AnswerCause::kBadSignature);
  sim.controlJson("POST", "/sim/faults", "{\"bad_sign\":0,\"systemerror\":1.0}");
  auto sys = client.pay->orderQuery(m, {m.appids.front(), "ORD-K", ""});
  CHECK(sys.kind == wx::AnswerKind::kRetryLater);
  CHECK(sys.cause == wx::AnswerCause::kSystemError);

  // The request log saw the three orderqueries, oldest first; /sim/reset clears it.
  sim.controlJson("POST", "/sim/faults", "{\"systemerror\":0,\"reset\":1.0}");
  auto reset = client.pay->orderQuery(m, {m.appids.front(), "ORD-K", ""});
  CHECK(reset.kind == wx::AnswerKind::kRetryLater);
  auto log = sim.controlJson("GET", "/sim/requests");
  auto entries = log->getArray("requests");
  REQUIRE(entries->size() >= 4);
  const auto last = entries->getObject(static_cast<unsigned>(entries->size() - 1));
  CHECK(last->getValue<std::string>("endpoint") == "orderquery");
  CHECK(last->getValue<std::string>("fault") == "reset");
  CHECK(sim.controlJson("GET", "/sim/requests?limit=2")->getArray("requests")->size() == 2);
  sim.controlJson("POST", "/sim/reset");
  CHECK(sim.controlJson("GET", "/sim/requests")->getArray("requests")->size() == 0);
}

TEST_CASE("downloadbill: a generated day through the client and the real parser",
          "[sim][client][bill]") {
  SimProcess::Options o;
  o.clock = "2024-05-03T04:00:00Z";  // 12:00 Beijing on 05-03: 05-01 and 05-02 are ready
  SimProcess sim(o);
  Client client(sim);
  const wx::MerchantConfig m = merchantFrom(sim.merchant(0));
  sim.controlJson("POST", "/sim/generate",
                  "{\"mch_id\":\"" + m.mch_id +
                      "\",\"date\":\"2024-05-01\",\"rows\":2000,\"seed\":7,\"refund_ratio\":0.1}");
  for (bool gzip : {false, true}) {
    INFO("gzip " << gzip);
    std::string bytes;
    wx::BillRequest req;
    req.appid = m.appids.front();
    req.bill_date = {2024, 5, 1};
    req.gzip = gzip;
    auto a = client.pay->downloadBill(m, req, [&](std::string_view chunk) {
      bytes.append(chunk);
      return true;
    });
    INFO(a.detail);
    REQUIRE(a.result.status == wx::BillStatus::kBill);
    CHECK(a.result.bytes == bytes.size());
    std::istringstream raw(bytes);
    auto input = wx::BillInput::wrap(raw);
    CHECK(input->gzip() == gzip);
    std::int64_t rows = 0;
    auto summary = wx::parseBill(input->stream(), [&](const wx::BillRow&) {
      ++rows;
      return wx::Status::ok();
    });
    INFO(summary.status.toString());
    CHECK(summary.summary_ok);
    CHECK(rows >= 2000);  // payments plus their refund rows
  }
  wx::BillRequest empty;
  empty.appid = m.appids.front();
  empty.bill_date = {2024, 5, 2};
  std::string sink;
  auto e = client.pay->downloadBill(m, empty, [&](std::string_view c) {
    sink.append(c);
    return true;
  });
  CHECK(e.result.status == wx::BillStatus::kEmpty);
  CHECK(sink.empty());
  wx::BillRequest today;
  today.appid = m.appids.front();
  today.bill_date = {2024, 5, 3};
  auto t = client.pay->downloadBill(m, today, [&](std::string_view) { return true; });
  CHECK(t.result.status != wx::BillStatus::kBill);
  CHECK(t.result.status != wx::BillStatus::kEmpty);  // never an empty day by mistake
}
