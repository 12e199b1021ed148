// PayClient against a hand-written fake transport: every classification path (DESIGN.md §5),
// identity and signature checks, unsigned FAIL answers, failover only on connection failures,
// downloadbill body classification, and the rate limiter on a fake clock (never sleeps).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "common/metrics.h"
#include "support/prom_text_validator.h"
#include "wechat/pay_client.h"
#include "wechat/signer.h"

using namespace wx;

namespace {

const char* const kAppid = "wx2421b1c4370ec43b";
const char* const kMchId = "10000100";
const char* const kKey = "192006250b4c09247ec02edce69f6a2d";  // TV1's key (WECHATPAY_V2.md §1)
const char* const kOldKey = "0123456789abcdef0123456789abcdef";
const char* const kOtherKey = "ffffffffffffffffffffffffffffffff";

struct Reply {
  Reply(TransportOutcome o = TransportOutcome::kOk, int s = 200, std::string b = "",
        std::size_t c = 7)
      : outcome(o), status(s), body(std::move(b)), chunk(c) {}
  TransportOutcome outcome;
  int status;
  std::string body;
  std::size_t chunk;  // streamed bodies arrive in chunks of this size
};

class FakeTransport final : public HttpTransport {
 public:
  HttpResult send(const HttpRequest& request) override {
    Reply reply;
    {
      std::lock_guard<std::mutex> lock(mu_);
      HttpRequest copy = request;
      copy.sink = nullptr;
      requests.push_back(copy);
      if (replies.empty()) {
        reply.outcome = TransportOutcome::kReset;  // unexpected call: looks like a failure
      } else {
        reply = replies.front();
        replies.pop_front();
      }
    }
    if (during_send) during_send();
    HttpResult r;
    r.outcome = reply.outcome;
    if (reply.outcome == TransportOutcome::kConnectFailed) return r;
    r.response.status = reply.status;
    if (reply.outcome != TransportOutcome::kOk && reply.outcome != TransportOutcome::kReset) {
      return r;
    }
    const bool stream = request.sink && reply.status / 100 == 2;
    // A reset answer delivers half of its body, then fails.
    const std::string body = reply.outcome == TransportOutcome::kReset
                                 ? reply.body.substr(0, reply.body.size() / 2)
                                 : reply.body;
    if (!stream) {
      r.response.body = body;
      r.response.body_bytes = body.size();
      return r;
    }
    r.response.streamed = true;
    for (std::size_t off = 0; off < body.size(); off += reply.chunk) {
      const std::string_view piece = std::string_view(body).substr(off, reply.chunk);
      r.response.body_bytes += piece.size();
      if (!request.sink(piece)) {
        r.outcome = TransportOutcome::kSinkFailed;
        return r;
      }
    }
    return r;
  }

  void push(Reply r) { replies.push_back(std::move(r)); }
  void pushBody(std::string body, int status = 200) {
    push(Reply{TransportOutcome::kOk, status, std::move(body)});
  }

  std::deque<Reply> replies;
  std::vector<HttpRequest> requests;
  std::function<void()> during_send;

 private:
  std::mutex mu_;
};

class FakeNonces final : public NonceSource {
 public:
  std::string next() override { return "nonce" + std::to_string(++n_); }

 private:
  std::atomic<int> n_{0};
};

// Advances the fake clock instead of sleeping, and remembers every wait.
class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(ManualClock& clock) : clock_(clock) {}
  void sleepFor(Millis d) override {
    std::lock_guard<std::mutex> lock(mu_);
    waits.push_back(d);
    clock_.advance(d);
  }
  std::vector<Millis> waits;

 private:
  ManualClock& clock_;
  std::mutex mu_;
};

MerchantConfig merchant(SignType type = SignType::kMd5) {
  MerchantConfig m;
  m.name = "test";
  m.mch_id = kMchId;
  m.appids = {kAppid, "wxsecondappid0000"};
  m.api_key = Secret(kKey);
  m.sign_type = type;
  m.qps = 1000;
  return m;
}

WechatConfig wechatConfig() {
  WechatConfig c;
  c.base_url = "https://api.example.test";
  c.backup_url = "https://api2.example.test";
  c.connect_timeout_ms = 1500;
  c.timeout_ms = 2500;
  c.max_in_flight = 4;
  c.qps = 1000;
  return c;
}

// The envelope of a successful, signed answer to our request.
FieldMap okFields() {
  return {{"return_code", "SUCCESS"},
          {"return_msg", "OK"},
          {"appid", kAppid},
          {"mch_id", kMchId},
          {"nonce_str", "TN55wO9Pba5yENl8"},
          {"result_code", "SUCCESS"}};
}

FieldMap failFields(const std::string& err_code) {
  FieldMap f = okFields();
  f["result_code"] = "FAIL";
  f["err_code"] = err_code;
  f["err_code_des"] = "des of " + err_code;
  return f;
}

FieldMap paidFields() {
  FieldMap f = okFields();
  f["trade_state"] = "SUCCESS";
  f["out_trade_no"] = "ORD0001";
  f["transaction_id"] = "4200000001202405010000000001";
  f["total_fee"] = "600";
  f["cash_fee"] = "500";
  f["fee_type"] = "CNY";
  f["trade_type"] = "JSAPI";
  f["time_end"] = "20240501083541";
  return f;
}

std::string signedXml(FieldMap f, SignType type = SignType::kMd5, const char* key = kKey) {
  f["sign"] = computeSign(f, type, Secret(key));
  return writeXmlFields(f);
}

struct Harness {
  ManualClock clock{TimePoint(Millis(1714500000000))};
  FakeSleeper sleeper{clock};
  FakeTransport transport;
  FakeNonces nonces;
  WechatConfig config = wechatConfig();
  std::unique_ptr<PayClient> client;
  Harness() { rebuild(); }
  void rebuild() {
    client = std::make_unique<PayClient>(config, transport, nonces, clock, sleeper);
  }
  OrderQueryAnswer query(const MerchantConfig& m = merchant()) {
    return client->orderQuery(m, OrderQueryRequest{kAppid, "ORD0001", ""});
  }
};

FieldMap sentFields(const HttpRequest& r) {
  XmlParseResult p = parseXmlFields(r.body);
  REQUIRE(p.ok());
  return p.fields;
}

}  // namespace

TEST_CASE("orderquery request: fields, signature, transport parameters", "[pay_client]") {
  Harness h;
  h.transport.pushBody(signedXml(paidFields()));
  h.transport.pushBody(signedXml(paidFields()));
  (void)h.query();
  (void)h.query();
  REQUIRE(h.transport.requests.size() == 2);
  const HttpRequest& r = h.transport.requests[0];
  CHECK(r.url == "https://api.example.test/pay/orderquery");
  CHECK(r.method == HttpMethod::kPost);
  CHECK(r.content_type == "text/xml");
  CHECK(r.connect_timeout == Millis(1500));
  CHECK(r.read_timeout == Millis(2500));
  const FieldMap f = sentFields(r);
  CHECK(f.at("appid") == kAppid);
  CHECK(f.at("mch_id") == kMchId);
  CHECK(f.at("out_trade_no") == "ORD0001");
  CHECK(f.count("transaction_id") == 0);
  CHECK(f.count("sign_type") == 0);  // MD5 is the default: not sent
  CHECK(f.at("sign") == computeSign(f, SignType::kMd5, Secret(kKey)));
  // A fresh nonce for each request, and the key never travels.
  CHECK(f.at("nonce_str") != sentFields(h.transport.requests[1]).at("nonce_str"));
  CHECK(r.body.find(kKey) == std::string::npos);
}

TEST_CASE("orderquery request body, byte for byte (hand-written)", "[pay_client]") {
  struct FixedNonce final : NonceSource {
    std::string next() override { return "ibuaiVcKdpRxkhJA"; }
  } nonce;
  Harness h;
  PayClient client(h.config, h.transport, nonce, h.clock, h.sleeper);
  h.transport.pushBody("<xml><return_code><![CDATA[FAIL]]></return_code></xml>");
  (void)client.orderQuery(merchant(), OrderQueryRequest{kAppid, "1415757673", ""});
  REQUIRE(h.transport.requests.size() == 1);
  // Sign computed independently (MD5 of the sorted string + "&key=" + TV1's key).
  CHECK(h.transport.requests[0].body ==
        "<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id>"
        "<nonce_str><![CDATA[ibuaiVcKdpRxkhJA]]></nonce_str>"
        "<out_trade_no><![CDATA[1415757673]]></out_trade_no>"
        "<sign><![CDATA[E21C4B6B89015F04419F456DEC42A02B]]></sign></xml>");
}

TEST_CASE("orderquery: the official sample answer (hand-written, signed with TV1's key)",
          "[pay_client]") {
  Harness h;
  h.transport.pushBody(
      "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>\n"
      "<appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id>\n"
      "<device_info><![CDATA[1000]]></device_info><nonce_str><![CDATA[TN55wO9Pba5yENl8]]></"
      "nonce_str>\n"
      "<sign><![CDATA[9C2A03FD2D080D1B9618946C73C7608D]]></sign><result_code><![CDATA[SUCCESS]]></"
      "result_code>\n"
      "<openid><![CDATA[oUpF8uN95-Ptaags6E_roPHg7AG0]]></openid><is_subscribe><![CDATA[Y]]></"
      "is_subscribe>\n"
      "<trade_type><![CDATA[MICROPAY]]></trade_type><bank_type><![CDATA[CCB_DEBIT]]></bank_type>\n"
      "<total_fee>1</total_fee><fee_type><![CDATA[CNY]]></fee_type>\n"
      "<transaction_id><![CDATA[1008450740201411110005820873]]></transaction_id>\n"
      "<out_trade_no><![CDATA[1415757673]]></out_trade_no><attach><![CDATA[订单额外描述]]></"
      "attach>\n"
      "<time_end><![CDATA[20141111170043]]></time_end><trade_state><![CDATA[SUCCESS]]></"
      "trade_state>\n"
      "</xml>");
  OrderQueryAnswer a = h.client->orderQuery(merchant(), {kAppid, "1415757673", ""});
  INFO(a.detail);
  REQUIRE(a.kind == AnswerKind::kDefinitive);
  CHECK(a.result.exists);
  CHECK(a.result.trade_state == TradeState::kSuccess);
  CHECK(a.result.total_fee == Fen(1));
  CHECK(a.result.transaction_id == "1008450740201411110005820873");
  CHECK(a.result.trade_type == "MICROPAY");
  CHECK(a.result.fee_type == "CNY");
  CHECK(a.result.attach == "订单额外描述");
  // 2014-11-11 17:00:43 Beijing = 09:00:43 UTC.
  CHECK(a.result.time_end == parseUtcSql("2014-11-11 09:00:43.000").value());
  CHECK_FALSE(a.via_backup);
  CHECK_FALSE(a.verified_with_previous_key);
}

TEST_CASE("orderquery: ORDERNOTEXIST (hand-written) is definitive", "[pay_client]") {
  Harness h;
  h.transport.pushBody(
      "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
      "<appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id>"
      "<nonce_str><![CDATA[TN55wO9Pba5yENl8]]></nonce_str>"
      "<sign><![CDATA[4CBD9AF1D2C7B1548404648F6B692AA8]]></sign>"
      "<result_code><![CDATA[FAIL]]></result_code><err_code><![CDATA[ORDERNOTEXIST]]></err_code>"
      "<err_code_des><![CDATA[此交易订单号不存在]]></err_code_des></xml>");
  OrderQueryAnswer a = h.query();
  INFO(a.detail);
  REQUIRE(a.kind == AnswerKind::kDefinitive);
  CHECK_FALSE(a.result.exists);
  CHECK(a.err_code == "ORDERNOTEXIST");
}

TEST_CASE("orderquery: every classification path", "[pay_client]") {
  FieldMap tampered_fields = paidFields();
  tampered_fields["sign"] = computeSign(tampered_fields, SignType::kMd5, Secret(kKey));
  tampered_fields["total_fee"] = "1";  // changed after signing
  FieldMap no_txn = paidFields();
  no_txn.erase("transaction_id");
  FieldMap bad_fee = paidFields();
  bad_fee["total_fee"] = "6.00";
  FieldMap bad_time = paidFields();
  bad_time["time_end"] = "2024-05-01 08:35:41";
  FieldMap no_state = okFields();
  no_state["out_trade_no"] = "ORD0001";
  FieldMap no_result = okFields();
  no_result.erase("result_code");
  auto with = [](FieldMap f, const std::string& k, const std::string& v) {
    f[k] = v;
    return f;
  };

  struct Row {
    const char* why;
    Reply reply;
    AnswerKind kind;
    AnswerCause cause;
  };
  using K = AnswerKind;
  using C = AnswerCause;
  using T = TransportOutcome;
  const Row rows[] = {
      {"timeout after sending: unknown, no failover",
       {T::kTimedOut},
       K::kRetryLater,
       C::kTransport},
      {"reset mid-answer", {T::kReset}, K::kRetryLater, C::kTransport},
      {"TLS verification failure", {T::kTlsFailure}, K::kRetryLater, C::kTransport},
      {"answer over the cap", {T::kBodyTooLarge}, K::kRetryLater, C::kTransport},
      {"transport refuses the URL (http:// to a remote host)",
       {T::kInvalidRequest},
       K::kConfigFailure,
       C::kTransport},
      {"HTTP 503", {T::kOk, 503, "busy"}, K::kRetryLater, C::kHttpStatus},
      {"HTTP 404", {T::kOk, 404, ""}, K::kRetryLater, C::kHttpStatus},
      {"not XML", {T::kOk, 200, "<html>gateway</html>"}, K::kBadAnswer, C::kMalformed},
      {"truncated XML",
       {T::kOk, 200, signedXml(paidFields()).substr(0, 80)},
       K::kBadAnswer,
       C::kMalformed},
      {"DOCTYPE",
       {T::kOk, 200, "<!DOCTYPE xml [<!ENTITY x 'y'>]><xml><a>&x;</a></xml>"},
       K::kBadAnswer,
       C::kMalformed},
      {"empty body", {T::kOk, 200, ""}, K::kBadAnswer, C::kMalformed},
      {"return_code=FAIL, unsigned: configuration failure",
       {T::kOk, 200, "<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>"},
       K::kConfigFailure,
       C::kReturnCodeFail},
      {"return_code neither SUCCESS nor FAIL",
       {T::kOk, 200, signedXml(with(paidFields(), "return_code", "OK"))},
       K::kBadAnswer,
       C::kMalformed},
      {"signed with another key",
       {T::kOk, 200, signedXml(paidFields(), SignType::kMd5, kOtherKey)},
       K::kBadAnswer,
       C::kBadSignature},
      {"no sign at all",
       {T::kOk, 200, writeXmlFields(paidFields())},
       K::kBadAnswer,
       C::kBadSignature},
      {"HMAC answer to an MD5 merchant (algorithm not configured)",
       {T::kOk, 200, signedXml(paidFields(), SignType::kHmacSha256)},
       K::kBadAnswer,
       C::kBadSignature},
      {"field changed after signing",
       {T::kOk, 200, writeXmlFields(tampered_fields)},
       K::kBadAnswer,
       C::kBadSignature},
      {"another appid",
       {T::kOk, 200, signedXml(with(paidFields(), "appid", "wxsecondappid0000"))},
       K::kBadAnswer,
       C::kIdentityMismatch},
      {"another mch_id",
       {T::kOk, 200, signedXml(with(paidFields(), "mch_id", "10000999"))},
       K::kBadAnswer,
       C::kIdentityMismatch},
      {"another order",
       {T::kOk, 200, signedXml(with(paidFields(), "out_trade_no", "ORD0002"))},
       K::kBadAnswer,
       C::kIdentityMismatch},
      {"no out_trade_no",
       {T::kOk, 200, signedXml(with(paidFields(), "out_trade_no", ""))},
       K::kBadAnswer,
       C::kIdentityMismatch},
      {"result_code missing", {T::kOk, 200, signedXml(no_result)}, K::kBadAnswer, C::kMalformed},
      {"SYSTEMERROR",
       {T::kOk, 200, signedXml(failFields("SYSTEMERROR"))},
       K::kRetryLater,
       C::kSystemError},
      {"FREQUENCY_LIMITED",
       {T::kOk, 200, signedXml(failFields("FREQUENCY_LIMITED"))},
       K::kRetryLater,
       C::kFrequencyLimited},
      {"SIGNERROR",
       {T::kOk, 200, signedXml(failFields("SIGNERROR"))},
       K::kConfigFailure,
       C::kRequestRejected},
      {"SIGNERROR that our key cannot verify",
       {T::kOk, 200, signedXml(failFields("SIGNERROR"), SignType::kMd5, kOtherKey)},
       K::kConfigFailure,
       C::kRequestRejected},
      {"REQUIRE_POST_METHOD",
       {T::kOk, 200, signedXml(failFields("REQUIRE_POST_METHOD"))},
       K::kConfigFailure,
       C::kRequestRejected},
      {"XML_FORMAT_ERROR",
       {T::kOk, 200, signedXml(failFields("XML_FORMAT_ERROR"))},
       K::kConfigFailure,
       C::kRequestRejected},
      {"an err_code we do not know",
       {T::kOk, 200, signedXml(failFields("PARAM_ERROR"))},
       K::kRetryLater,
       C::kUnknownOutcome},
      {"ORDERNOTEXIST badly signed is not definitive",
       {T::kOk, 200, signedXml(failFields("ORDERNOTEXIST"), SignType::kMd5, kOtherKey)},
       K::kBadAnswer,
       C::kBadSignature},
      {"no trade_state", {T::kOk, 200, signedXml(no_state)}, K::kBadAnswer, C::kMalformed},
      {"trade_state ACCEPT (pap only)",
       {T::kOk, 200, signedXml(with(paidFields(), "trade_state", "ACCEPT"))},
       K::kRetryLater,
       C::kUnknownOutcome},
      {"SUCCESS without transaction_id",
       {T::kOk, 200, signedXml(no_txn)},
       K::kBadAnswer,
       C::kMalformed},
      {"total_fee in yuan", {T::kOk, 200, signedXml(bad_fee)}, K::kBadAnswer, C::kMalformed},
      {"time_end in the bill's format",
       {T::kOk, 200, signedXml(bad_time)},
       K::kBadAnswer,
       C::kMalformed},
      {"a paid answer", {T::kOk, 200, signedXml(paidFields())}, K::kDefinitive, C::kNone},
  };
  for (const Row& row : rows) {
    Harness h;
    h.transport.push(row.reply);
    OrderQueryAnswer a = h.query();
    INFO(row.why << " -> " << answerKindName(a.kind) << "/" << answerCauseName(a.cause) << ": "
                 << a.detail);
    CHECK(a.kind == row.kind);
    CHECK(a.cause == row.cause);
    CHECK(h.transport.requests.size() == 1);  // no failover for any of these
    CHECK(a.detail.find(kKey) == std::string::npos);
    if (row.kind != K::kDefinitive) CHECK_FALSE(a.detail.empty());
  }
}

TEST_CASE("orderquery: trade_state strings map through the one table", "[pay_client]") {
  const std::pair<const char*, TradeState> states[] = {
      {"SUCCESS", TradeState::kSuccess},  {"REFUND", TradeState::kRefund},
      {"NOTPAY", TradeState::kNotPay},    {"CLOSED", TradeState::kClosed},
      {"REVOKED", TradeState::kRevoked},  {"USERPAYING", TradeState::kUserPaying},
      {"PAYERROR", TradeState::kPayError}};
  for (const auto& [wire, state] : states) {
    Harness h;
    FieldMap f = okFields();
    f["out_trade_no"] = "ORD0001";
    f["trade_state"] = wire;
    f["trade_state_desc"] = "desc";
    if (state == TradeState::kSuccess) f = paidFields();
    h.transport.pushBody(signedXml(f));
    OrderQueryAnswer a = h.query();
    INFO(wire << ": " << a.detail);
    REQUIRE(a.kind == AnswerKind::kDefinitive);
    CHECK(a.result.trade_state == state);
    CHECK(std::string(tradeStateWireName(state)) == wire);
  }
  CHECK_FALSE(tradeStateFromWire("success"));  // case matters on the wire
  CHECK_FALSE(tradeStateFromWire("ACCEPT"));
}

TEST_CASE("orderquery: amounts and times of a paid answer", "[pay_client]") {
  Harness h;
  FieldMap f = paidFields();
  f["settlement_total_fee"] = "550";
  f["coupon_fee"] = "100";
  h.transport.pushBody(signedXml(f));
  OrderQueryAnswer a = h.query();
  REQUIRE(a.kind == AnswerKind::kDefinitive);
  CHECK(a.result.total_fee == Fen(600));
  CHECK(a.result.cash_fee == Fen(500));
  CHECK(a.result.settlement_total_fee == Fen(550));
  CHECK(a.result.coupon_fee == Fen(100));
  CHECK(a.result.fee_type == "CNY");
  CHECK(a.result.trade_type == "JSAPI");
  CHECK(a.result.time_end == parseUtcSql("2024-05-01 00:35:41").value());
  CHECK(a.fields.at("transaction_id") == "4200000001202405010000000001");  // evidence kept
}

TEST_CASE("orderquery: by transaction_id: HMAC-SHA256 merchants: the previous key",
          "[pay_client]") {
  SECTION("transaction_id is sent alone and checked") {
    Harness h;
    h.transport.pushBody(signedXml(paidFields()));
    h.transport.pushBody(signedXml(paidFields()));
    OrderQueryAnswer a =
        h.client->orderQuery(merchant(), {kAppid, "", "4200000001202405010000000001"});
    CHECK(a.kind == AnswerKind::kDefinitive);
    const FieldMap sent = sentFields(h.transport.requests[0]);
    CHECK(sent.at("transaction_id") == "4200000001202405010000000001");
    CHECK(sent.count("out_trade_no") == 0);
    OrderQueryAnswer b =
        h.client->orderQuery(merchant(), {kAppid, "", "4200000001202405010000000009"});
    CHECK(b.cause == AnswerCause::kIdentityMismatch);
  }
  SECTION("HMAC-SHA256: request carries sign_type, answer must be HMAC") {
    Harness h;
    h.transport.pushBody(signedXml(paidFields(), SignType::kHmacSha256));
    h.transport.pushBody(signedXml(paidFields(), SignType::kMd5));
    OrderQueryAnswer a = h.query(merchant(SignType::kHmacSha256));
    CHECK(a.kind == AnswerKind::kDefinitive);
    const FieldMap sent = sentFields(h.transport.requests[0]);
    CHECK(sent.at("sign_type") == "HMAC-SHA256");
    CHECK(sent.at("sign").size() == 64);
    CHECK(sent.at("sign") == computeSign(sent, SignType::kHmacSha256, Secret(kKey)));
    OrderQueryAnswer b = h.query(merchant(SignType::kHmacSha256));
    CHECK(b.cause == AnswerCause::kBadSignature);  // never downgraded to MD5
  }
  SECTION("during key rotation an answer signed with the previous key is accepted") {
    Harness h;
    MerchantConfig m = merchant();
    h.transport.pushBody(signedXml(paidFields(), SignType::kMd5, kOldKey));
    CHECK(h.query(m).cause == AnswerCause::kBadSignature);  // no previous key configured
    m.previous_api_key = Secret(kOldKey);
    h.transport.pushBody(signedXml(paidFields(), SignType::kMd5, kOldKey));
    OrderQueryAnswer a = h.query(m);
    CHECK(a.kind == AnswerKind::kDefinitive);
    CHECK(a.verified_with_previous_key);
    // Requests are signed with the new key.
    const FieldMap sent = sentFields(h.transport.requests.back());
    CHECK(sent.at("sign") == computeSign(sent, SignType::kMd5, Secret(kKey)));
  }
}

TEST_CASE("requests with an appid the merchant does not have are not sent", "[pay_client]") {
  Harness h;
  OrderQueryAnswer a = h.client->orderQuery(merchant(), {"wxunknown", "ORD0001", ""});
  CHECK(a.kind == AnswerKind::kConfigFailure);
  CloseOrderAnswer c = h.client->closeOrder(merchant(), {kAppid, ""});
  CHECK(c.kind == AnswerKind::kConfigFailure);
  CHECK(h.transport.requests.empty());
}

TEST_CASE("failover to backup_url only when the connection failed", "[pay_client]") {
  SECTION("connect failure: the same request goes to backup_url") {
    Harness h;
    h.transport.push({TransportOutcome::kConnectFailed});
    h.transport.pushBody(signedXml(paidFields()));
    OrderQueryAnswer a = h.query();
    CHECK(a.kind == AnswerKind::kDefinitive);
    CHECK(a.via_backup);
    REQUIRE(h.transport.requests.size() == 2);
    CHECK(h.transport.requests[0].url == "https://api.example.test/pay/orderquery");
    CHECK(h.transport.requests[1].url == "https://api2.example.test/pay/orderquery");
    CHECK(h.transport.requests[0].body == h.transport.requests[1].body);
  }
  SECTION("both fail: retry later, once each") {
    Harness h;
    h.transport.push({TransportOutcome::kConnectFailed});
    h.transport.push({TransportOutcome::kConnectFailed});
    OrderQueryAnswer a = h.query();
    CHECK(a.kind == AnswerKind::kRetryLater);
    CHECK(a.transport == TransportOutcome::kConnectFailed);
    CHECK(h.transport.requests.size() == 2);
  }
  SECTION("no backup_url configured") {
    Harness h;
    h.config.backup_url = "";
    h.rebuild();
    h.transport.push({TransportOutcome::kConnectFailed});
    CHECK(h.query().kind == AnswerKind::kRetryLater);
    CHECK(h.transport.requests.size() == 1);
  }
  SECTION("other failures never fail over") {
    for (TransportOutcome o :
         {TransportOutcome::kTimedOut, TransportOutcome::kReset, TransportOutcome::kTlsFailure}) {
      Harness h;
      h.transport.push({o});
      h.transport.pushBody(signedXml(paidFields()));
      CHECK(h.query().kind == AnswerKind::kRetryLater);
      CHECK(h.transport.requests.size() == 1);
    }
    Harness h;
    h.transport.pushBody("", 502);
    h.transport.pushBody(signedXml(paidFields()));
    CHECK(h.query().cause == AnswerCause::kHttpStatus);
    CHECK(h.transport.requests.size() == 1);
  }
}

TEST_CASE("closeorder outcomes", "[pay_client]") {
  struct Row {
    const char* why;
    FieldMap answer;
    AnswerKind kind;
    CloseOutcome outcome;
  };
  FieldMap closed = okFields();
  closed["result_msg"] = "OK";
  const Row rows[] = {
      {"closed", closed, AnswerKind::kDefinitive, CloseOutcome::kClosed},
      {"already paid", failFields("ORDERPAID"), AnswerKind::kDefinitive, CloseOutcome::kOrderPaid},
      {"already closed", failFields("ORDERCLOSED"), AnswerKind::kDefinitive,
       CloseOutcome::kAlreadyClosed},
      {"SYSTEMERROR", failFields("SYSTEMERROR"), AnswerKind::kRetryLater, CloseOutcome::kClosed},
      {"ORDERNOTEXIST is never terminal for a close", failFields("ORDERNOTEXIST"),
       AnswerKind::kRetryLater, CloseOutcome::kClosed},
      {"TRADE_STATE_ERROR", failFields("TRADE_STATE_ERROR"), AnswerKind::kRetryLater,
       CloseOutcome::kClosed},
      {"SIGNERROR", failFields("SIGNERROR"), AnswerKind::kConfigFailure, CloseOutcome::kClosed},
  };
  for (const Row& row : rows) {
    Harness h;
    h.transport.pushBody(signedXml(row.answer));
    CloseOrderAnswer a = h.client->closeOrder(merchant(), {kAppid, "ORD0001"});
    INFO(row.why << ": " << a.detail);
    CHECK(a.kind == row.kind);
    if (row.kind == AnswerKind::kDefinitive) CHECK(a.result == row.outcome);
    REQUIRE(h.transport.requests.size() == 1);
    CHECK(h.transport.requests[0].url == "https://api.example.test/pay/closeorder");
    CHECK(sentFields(h.transport.requests[0]).at("out_trade_no") == "ORD0001");
  }
  Harness h;
  h.transport.pushBody(signedXml(closed, SignType::kMd5, kOtherKey));
  CHECK(h.client->closeOrder(merchant(), {kAppid, "ORD0001"}).cause == AnswerCause::kBadSignature);
}

TEST_CASE("refundquery: refunds, REFUNDNOTEXIST, identity", "[pay_client]") {
  FieldMap f = okFields();
  f["out_trade_no"] = "ORD0002";
  f["transaction_id"] = "4200000001202405010000000002";
  f["total_fee"] = "100";
  f["cash_fee"] = "100";
  f["refund_fee"] = "100";
  f["refund_count"] = "2";
  f["out_refund_no_0"] = "RF0002";
  f["refund_id_0"] = "50000000012024050100000000001";
  f["refund_fee_0"] = "60";
  f["settlement_refund_fee_0"] = "60";
  f["refund_status_0"] = "SUCCESS";
  f["refund_channel_0"] = "ORIGINAL";
  f["refund_recv_accout_0"] = "支付用户的零钱";
  f["refund_success_time_0"] = "2024-05-01 20:53:40";
  f["out_refund_no_1"] = "RF0003";
  f["refund_id_1"] = "50000000012024050100000000002";
  f["refund_fee_1"] = "40";
  f["refund_status_1"] = "PROCESSING";

  SECTION("two refunds") {
    Harness h;
    h.transport.pushBody(signedXml(f));
    RefundQueryAnswer a = h.client->refundQuery(merchant(), {kAppid, "", "", "", "ORD0002", {}});
    INFO(a.detail);
    REQUIRE(a.kind == AnswerKind::kDefinitive);
    const RefundQueryResult& r = a.result;
    CHECK(r.total_fee == 100);
    CHECK(r.refund_fee == Fen(100));
    CHECK(r.refund_count == 2);
    REQUIRE(r.refunds.size() == 2);
    CHECK(r.refunds[0].refund_fee == 60);
    CHECK(r.refunds[0].status == RefundStatus::kSuccess);
    CHECK(r.refunds[0].refund_recv_account == "支付用户的零钱");
    CHECK(r.refunds[0].success_time == parseUtcSql("2024-05-01 12:53:40").value());
    CHECK(r.refunds[1].status == RefundStatus::kProcessing);
    CHECK_FALSE(r.refunds[1].success_time);
    CHECK(sentFields(h.transport.requests[0]).at("out_trade_no") == "ORD0002");
  }
  SECTION("the refund number wins over the order number, and must be among the answer's") {
    Harness h;
    h.transport.pushBody(signedXml(f));
    h.transport.pushBody(signedXml(f));
    RefundQueryAnswer a =
        h.client->refundQuery(merchant(), {kAppid, "", "RF0003", "", "ORD0002", {}});
    CHECK(a.kind == AnswerKind::kDefinitive);
    const FieldMap sent = sentFields(h.transport.requests[0]);
    CHECK(sent.at("out_refund_no") == "RF0003");
    CHECK(sent.count("out_trade_no") == 0);
    RefundQueryAnswer b = h.client->refundQuery(merchant(), {kAppid, "", "RF9999", "", "", {}});
    CHECK(b.cause == AnswerCause::kIdentityMismatch);
  }
  SECTION("another order's refunds") {
    Harness h;
    h.transport.pushBody(signedXml(f));
    RefundQueryAnswer a = h.client->refundQuery(merchant(), {kAppid, "", "", "", "ORD0003", {}});
    CHECK(a.cause == AnswerCause::kIdentityMismatch);
  }
  SECTION("REFUNDNOTEXIST, unknown status, missing amount") {
    Harness h;
    h.transport.pushBody(signedXml(failFields("REFUNDNOTEXIST")));
    RefundQueryAnswer a = h.client->refundQuery(merchant(), {kAppid, "", "", "", "ORD0002", {}});
    CHECK(a.kind == AnswerKind::kDefinitive);
    CHECK_FALSE(a.result.exists);
    FieldMap weird = f;
    weird["refund_status_1"] = "FAIL";
    h.transport.pushBody(signedXml(weird));
    CHECK(h.client->refundQuery(merchant(), {kAppid, "", "", "", "ORD0002", {}}).cause ==
          AnswerCause::kUnknownOutcome);
    FieldMap missing = f;
    missing.erase("refund_fee_1");
    h.transport.pushBody(signedXml(missing));
    CHECK(h.client->refundQuery(merchant(), {kAppid, "", "", "", "ORD0002", {}}).cause ==
          AnswerCause::kMalformed);
  }
}

namespace {

const std::string kPlainBill =
    "交易时间,公众账号ID,商户号\n`2024-05-01 08:35:41,`wx2421b1c4370ec43b,`10000100\n"
    "总交易单数,应结订单总金额\n`1,`6.00\n";

std::string billFail(const std::string& msg, const std::string& code = "") {
  std::string x = "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[" + msg +
                  "]]></return_msg>";
  if (!code.empty()) x += "<error_code>" + code + "</error_code>";
  return x + "</xml>";
}

struct BillRun {
  BillAnswer answer;
  std::string sunk;
  std::vector<HttpRequest> requests;
};

BillRun runBill(Reply reply, bool gzip) {
  Harness h;
  if (reply.outcome == TransportOutcome::kConnectFailed) h.transport.push(reply);  // backup too
  h.transport.push(std::move(reply));
  BillRun run;
  BillRequest q{kAppid, CivilDate{2024, 5, 1}, BillType::kAll, gzip};
  run.answer = h.client->downloadBill(merchant(), q, [&run](std::string_view c) {
    run.sunk.append(c);
    return true;
  });
  run.requests = h.transport.requests;
  return run;
}

}  // namespace

TEST_CASE("downloadbill: body classification", "[pay_client]") {
  const std::string gz = std::string("\x1f\x8b\x08\x00", 4) + std::string(500, '\x01');
  struct Row {
    const char* why;
    Reply reply;
    bool gzip;
    AnswerKind kind;
    BillStatus status;
    bool sink_gets_body;
  };
  using K = AnswerKind;
  using B = BillStatus;
  using T = TransportOutcome;
  const Row rows[] = {
      {"plain bill", {T::kOk, 200, kPlainBill}, false, K::kDefinitive, B::kBill, true},
      {"plain bill with a BOM, byte by byte",
       {T::kOk, 200, "\xEF\xBB\xBF" + kPlainBill, 1},
       false,
       K::kDefinitive,
       B::kBill,
       true},
      {"gzip bill", {T::kOk, 200, gz}, true, K::kDefinitive, B::kBill, true},
      {"No Bill Exist (hand-written, as WxJava sees it)",
       {T::kOk, 200,
        "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]>"
        "</return_msg><error_code><![CDATA[20002]]></error_code></xml>"},
       false,
       K::kDefinitive,
       B::kEmpty,
       false},
      {"NO Bill Exist (doc spelling), leading whitespace",
       {T::kOk, 200, "\r\n  " + billFail("NO Bill Exist")},
       false,
       K::kDefinitive,
       B::kEmpty,
       false},
      {"No Bill Exist to a GZIP request (no magic: parsed as an error)",
       {T::kOk, 200, billFail("No Bill Exist", "20002"), 1},
       true,
       K::kDefinitive,
       B::kEmpty,
       false},
      {"Bill Creating",
       {T::kOk, 200, billFail("Bill Creating")},
       false,
       K::kRetryLater,
       B::kNotReady,
       false},
      {"SYSTEMERROR",
       {T::kOk, 200, billFail("SYSTEMERROR")},
       true,
       K::kRetryLater,
       B::kFailed,
       false},
      {"CompressGZip Error",
       {T::kOk, 200, billFail("CompressGZip Error")},
       true,
       K::kRetryLater,
       B::kFailed,
       false},
      {"invalid bill_date: a failure, not an empty day",
       {T::kOk, 200, billFail("invalid bill_date", "20001")},
       false,
       K::kRetryLater,
       B::kFailed,
       false},
      {"a message mentioning no bill is not 'No Bill Exist'",
       {T::kOk, 200, billFail("No Bill Exist yet, SYSTEMERROR")},
       false,
       K::kRetryLater,
       B::kFailed,
       false},
      {"SIGN ERROR",
       {T::kOk, 200, billFail("SIGN ERROR")},
       false,
       K::kConfigFailure,
       B::kFailed,
       false},
      {"an empty 200 body is never an empty bill",
       {T::kOk, 200, ""},
       false,
       K::kBadAnswer,
       B::kFailed,
       false},
      {"whitespace only", {T::kOk, 200, " \n "}, false, K::kBadAnswer, B::kFailed, false},
      {"one byte to a GZIP request", {T::kOk, 200, "\x1f"}, true, K::kBadAnswer, B::kFailed, false},
      {"GZIP request, neither magic nor XML",
       {T::kOk, 200, kPlainBill},
       true,
       K::kBadAnswer,
       B::kFailed,
       false},
      {"malformed error XML",
       {T::kOk, 200, "<xml><return_code>FAIL</return_code>"},
       false,
       K::kBadAnswer,
       B::kFailed,
       false},
      {"XML with return_code SUCCESS instead of a bill",
       {T::kOk, 200,
        "<xml><return_code>SUCCESS</return_code><return_msg>No Bill Exist</return_msg></xml>"},
       false,
       K::kBadAnswer,
       B::kFailed,
       false},
      {"an XML error body over the cap",
       {T::kOk, 200, "<xml>" + std::string(70000, ' '), 4096},
       false,
       K::kBadAnswer,
       B::kFailed,
       false},
      {"HTTP 500 (body never reaches the sink)",
       {T::kOk, 500, kPlainBill},
       false,
       K::kRetryLater,
       B::kFailed,
       false},
      {"reset mid-bill", {T::kReset, 200, kPlainBill}, false, K::kRetryLater, B::kFailed, true},
      {"connect failure on both hosts",
       {T::kConnectFailed},
       false,
       K::kRetryLater,
       B::kFailed,
       false},
  };
  for (const Row& row : rows) {
    BillRun run = runBill(row.reply, row.gzip);
    const BillAnswer& a = run.answer;
    INFO(row.why << " -> " << answerKindName(a.kind) << "/" << billStatusName(a.result.status)
                 << ": " << a.detail);
    CHECK(a.kind == row.kind);
    CHECK(a.result.status == row.status);
    CHECK(a.result.bytes == run.sunk.size());
    if (row.sink_gets_body) {
      CHECK_FALSE(run.sunk.empty());
      // The sink gets the body from its first byte, BOM included.
      CHECK(row.reply.body.compare(0, run.sunk.size(), run.sunk) == 0);
      if (row.kind == K::kDefinitive) CHECK(run.sunk == row.reply.body);
    } else {
      CHECK(run.sunk.empty());
    }
  }
}

TEST_CASE("downloadbill: request fields", "[pay_client]") {
  BillRun plain = runBill({TransportOutcome::kOk, 200, kPlainBill}, false);
  const FieldMap p = sentFields(plain.requests.at(0));
  CHECK(plain.requests[0].url == "https://api.example.test/pay/downloadbill");
  CHECK(p.at("bill_date") == "20240501");
  CHECK(p.at("bill_type") == "ALL");
  CHECK(p.count("tar_type") == 0);
  BillRun gz = runBill({TransportOutcome::kOk, 200, billFail("No Bill Exist")}, true);
  CHECK(sentFields(gz.requests.at(0)).at("tar_type") == "GZIP");
  CHECK(gz.answer.result.error_code.empty());
  BillRun coded = runBill({TransportOutcome::kOk, 200, billFail("No Bill Exist", "20002")}, false);
  CHECK(coded.answer.result.error_code == "20002");
}

TEST_CASE("token bucket: qps with 50 ms of burst (at least one token), on a fake clock",
          "[pay_client][rate]") {
  ManualClock clock(TimePoint(Millis(0)));
  FakeSleeper sleeper(clock);
  RequestLimiter limiter(clock, sleeper, 4);
  for (int i = 0; i < 10; ++i) (void)limiter.acquire("m1", 5);
  // One token at once (50 ms at 5/s is less than one), then one every 200 ms.
  REQUIRE(sleeper.waits.size() == 10);
  CHECK(sleeper.waits[0] == Millis(0));
  for (int i = 1; i < 10; ++i) CHECK(sleeper.waits[i] == Millis(200));
  CHECK(clock.now() == TimePoint(Millis(1800)));
  CHECK(limiter.inFlight() == 0);  // permits released

  // Another merchant has its own bucket.
  sleeper.waits.clear();
  (void)limiter.acquire("m2", 5);
  CHECK(sleeper.waits.at(0) == Millis(0));

  // FREQUENCY_LIMITED halves m1's rate for 60 s.
  limiter.frequencyLimited("m1");
  CHECK(limiter.currentRate("m1") == Approx(2.5));
  CHECK(limiter.currentRate("m2") == Approx(5));
  sleeper.waits.clear();
  for (int i = 0; i < 3; ++i) (void)limiter.acquire("m1", 5);
  for (Millis w : sleeper.waits) CHECK(w == Millis(400));
  clock.advance(Millis(61000));
  CHECK(limiter.currentRate("m1") == Approx(5));
  sleeper.waits.clear();
  for (int i = 0; i < 8; ++i) (void)limiter.acquire("m1", 5);
  CHECK(sleeper.waits.at(0) == Millis(0));
  CHECK(sleeper.waits.back() == Millis(200));
}

TEST_CASE("token bucket: no one-second window gets more than 1.05 x qps", "[pay_client][rate]") {
  // A server counting requests per second (WeChat, wxpay-sim's qps_cap) answers
  // FREQUENCY_LIMITED above its cap; a second of burst would allow 2 x qps in the first second.
  for (int qps : {1000, 100, 7}) {
    INFO("qps " << qps);
    ManualClock clock(TimePoint(Millis(0)));
    FakeSleeper sleeper(clock);
    RequestLimiter limiter(clock, sleeper, 1);
    std::vector<TimePoint> sent;
    for (int i = 0; i < 3 * qps; ++i) {
      (void)limiter.acquire("m1", qps);
      sent.push_back(clock.now());
      // Callers come back late now and then, once after a long pause (the bucket refills).
      if (i % 97 == 0) clock.advance(Millis(7));
      if (i == qps) clock.advance(Millis(1500));
    }
    std::size_t most = 0;
    for (std::size_t a = 0, b = 0; b < sent.size(); ++b) {
      while (sent[b] - sent[a] >= Millis(1000)) ++a;
      most = std::max(most, b - a + 1);
    }
    CHECK(static_cast<double>(most) <= std::max(1.05 * qps, qps + 1.0));
    CHECK(static_cast<double>(most) >= 0.95 * qps);  // and the rate is really used
  }
}

TEST_CASE("token bucket: a caller without a token parks while the merchant has calls in flight",
          "[pay_client][rate]") {
  // 20/s: a burst of one token, the next one 50 ms later.
  ManualClock clock(TimePoint(Millis(0)));
  FakeSleeper sleeper(clock);
  // Parked at most a minute of real time: the test wakes it long before.
  RequestLimiter limiter(clock, sleeper, 4, std::chrono::minutes(1));
  std::optional<RequestLimiter::Permit> first(limiter.acquire("m1", 20));
  CHECK(limiter.parks() == 0);

  std::atomic<bool> got{false};
  std::thread second([&] {
    auto p = limiter.acquire("m1", 20);
    got = true;
  });
  // The second caller finds no token while the first is in flight: it parks (no sleep) until
  // the first one's release finds a token in the bucket. Bounded wait for the park itself.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (limiter.parks() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  REQUIRE(limiter.parks() == 1);
  clock.advance(Millis(50));
  first.reset();  // the release sees the new token and wakes the parked caller
  second.join();
  CHECK(got);
  // Neither waited for a borrowed token: both took theirs at once (wait 0).
  CHECK(sleeper.waits == std::vector<Millis>{Millis(0), Millis(0)});
  CHECK(clock.now() == TimePoint(Millis(50)));
  CHECK(limiter.inFlight() == 0);

  // With nothing in flight there is nobody to wake it: it waits for its token as before.
  (void)limiter.acquire("m1", 20);
  REQUIRE(sleeper.waits.size() == 3);
  CHECK(sleeper.waits[2] == Millis(50));
  CHECK(limiter.parks() == 1);
}

TEST_CASE("pay client: FREQUENCY_LIMITED halves the merchant's rate", "[pay_client][rate]") {
  Harness h;
  MerchantConfig m = merchant();
  m.qps = 10;
  h.transport.pushBody(signedXml(failFields("FREQUENCY_LIMITED")));
  OrderQueryAnswer a = h.query(m);
  CHECK(a.cause == AnswerCause::kFrequencyLimited);
  CHECK(h.client->limiter().currentRate(kMchId) == Approx(5));
  h.clock.advance(Millis(60001));
  CHECK(h.client->limiter().currentRate(kMchId) == Approx(10));
  // A badly signed FREQUENCY_LIMITED proves nothing and throttles nothing.
  h.transport.pushBody(signedXml(failFields("FREQUENCY_LIMITED"), SignType::kMd5, kOtherKey));
  CHECK(h.query(m).cause == AnswerCause::kBadSignature);
  CHECK(h.client->limiter().currentRate(kMchId) == Approx(10));
}

TEST_CASE("pay client: requests are paced at the merchant's qps", "[pay_client][rate]") {
  Harness h;
  MerchantConfig m = merchant();
  m.qps = 2;
  for (int i = 0; i < 6; ++i) h.transport.pushBody(signedXml(paidFields()));
  const TimePoint start = h.clock.now();
  for (int i = 0; i < 6; ++i) CHECK(h.query(m).kind == AnswerKind::kDefinitive);
  // 1 at once (50 ms of burst is less than one token), then one per 500 ms: 2.5 s of (fake)
  // waiting, no real sleep.
  CHECK(h.clock.now() - start == Millis(2500));
}

TEST_CASE("pay client: at most max_in_flight requests at once", "[pay_client][rate]") {
  Harness h;
  h.config.max_in_flight = 2;
  h.rebuild();
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0, max_inside = 0;
  bool release = false;
  h.transport.during_send = [&] {
    std::unique_lock<std::mutex> lock(mu);
    ++inside;
    max_inside = std::max(max_inside, inside);
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    --inside;
  };
  for (int i = 0; i < 4; ++i) h.transport.pushBody(signedXml(paidFields()));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { (void)h.query(); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return inside == 2; });
  }
  // The two others must be queued at the limiter, not inside the transport. Bounded wait.
  bool queued = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!queued && std::chrono::steady_clock::now() < deadline) {
    queued = h.client->limiter().waitingForSlot() == 2;
    if (!queued) std::this_thread::yield();
  }
  CHECK(queued);
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(inside == 2);
    release = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  CHECK(max_inside == 2);
  CHECK(h.transport.requests.size() == 4);
  CHECK(h.client->limiter().inFlight() == 0);
}

TEST_CASE("every call is counted by API and result, every HTTP exchange timed", "[pay_client][metrics]") {
  // The process registry is shared by every test in this binary: compare before and after.
  auto value = [](const std::string& series) -> double {
    wx::test::PromTextValidator v;
    const std::string text = MetricsRegistry::process().render();
    REQUIRE(v.check(text).empty());
    for (const auto& s : v.samples()) {
      std::string key = s.name + "{";
      for (const auto& [k, val] : s.labels) key += k + "=" + val + ",";
      if (key == series) return s.value;
    }
    return 0;
  };
  const std::string ok = "wxrecon_wechat_calls_total{api=orderquery,result=ok,";
  const std::string transport = "wxrecon_wechat_calls_total{api=orderquery,result=transport,";
  const std::string exchanges = "wxrecon_wechat_call_duration_seconds_count{api=orderquery,";
  const double ok0 = value(ok), transport0 = value(transport), exchanges0 = value(exchanges);
  Harness h;
  h.transport.pushBody(
      "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
      "<appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id>"
      "<nonce_str><![CDATA[TN55wO9Pba5yENl8]]></nonce_str>"
      "<sign><![CDATA[4CBD9AF1D2C7B1548404648F6B692AA8]]></sign>"
      "<result_code><![CDATA[FAIL]]></result_code><err_code><![CDATA[ORDERNOTEXIST]]></err_code>"
      "<err_code_des><![CDATA[此交易订单号不存在]]></err_code_des></xml>");
  REQUIRE(h.query().kind == AnswerKind::kDefinitive);
  h.transport.push({TransportOutcome::kConnectFailed});  // base_url, then backup_url
  h.transport.push({TransportOutcome::kConnectFailed});
  REQUIRE(h.query().cause == AnswerCause::kTransport);
  CHECK(value(ok) == ok0 + 1);
  CHECK(value(transport) == transport0 + 1);
  CHECK(value(exchanges) == exchanges0 + 3);
}
