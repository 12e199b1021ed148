// libFuzzer target for the API answer path (RELIABILITY.md invariants 3, 6, 14, 15): an
// untrusted HTTP 200 body answers one PayClient call — orderquery, closeorder, refundquery or
// downloadbill — through the one hardened parse, the signature check, the identity checks and
// the classification. Input: one control byte, one chunk-size byte, then the body.
//   control & 3     the call (0 orderquery, 1 closeorder, 2 refundquery, 3 downloadbill)
//   control & 4     re-sign the parsed body before answering (so mutations of business fields
//                   reach the checks behind the signature), with
//   control & 8     the merchant's algorithm: HMAC-SHA256 (else MD5)
//   control & 16    the previous key (rotation) instead of the current one
//   control & 64    the other algorithm than the merchant's (must be refused)
//   control & 32    downloadbill asks tar_type=GZIP
// Properties (a violation aborts):
//   - a definitive answer verifies with the merchant's algorithm and one of its keys, names the
//     merchant's appid and mch_id and the order asked; a SUCCESS orderquery carries
//     transaction_id, total_fee and time_end; a refundquery lists refund_count refunds;
//   - downloadbill: the sink gets exactly the body when it is a bill and nothing for an empty
//     day or a bill not ready;
//   - no detail or message ever contains a key (unless the body did).
// Seeds: corpus/fuzz_pay_answer/ (answers modelled on WECHATPAY_V2.md's examples).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "wechat/pay_client.h"
#include "wechat/signer.h"

namespace {

const char* const kAppid = "wx2421b1c4370ec43b";
const char* const kMchId = "10000100";
const char* const kOutTradeNo = "1217752501201407033233368018";
const char* const kTransactionId = "1008450740201411110005820873";
const char* const kOutRefundNo = "1217752501201407033233368018r";
// Alphanumeric, no run of 6 digits: never confused with ids or amounts in a message.
const char* const kKey = "Mx4qTn8RbW2kLp7VdC3hJs9FgZ6yAe5K";
const char* const kPreviousKey = "Ub7nQw3XkT8mRp2VdL6sHc9JfZ4gYa5E";

void check(bool ok) {
  if (!ok) std::abort();
}

class FixedNonces final : public wx::NonceSource {
 public:
  std::string next() override { return "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"; }
};

class NoSleep final : public wx::Sleeper {
 public:
  void sleepFor(wx::Millis) override {}
};

// Answers every request with `body`, streamed in chunks of `chunk` bytes when there is a sink.
class OneAnswer final : public wx::HttpTransport {
 public:
  OneAnswer(std::string body, std::size_t chunk) : body_(std::move(body)), chunk_(chunk) {}
  wx::HttpResult send(const wx::HttpRequest& request) override {
    wx::HttpResult r;
    r.response.status = 200;
    r.response.body_bytes = body_.size();
    if (!request.sink) {
      r.response.body = body_;
      return r;
    }
    r.response.streamed = true;
    r.response.body = body_.substr(0, request.keep_prefix_bytes);
    for (std::size_t off = 0; off < body_.size(); off += chunk_) {
      if (!request.sink(std::string_view(body_).substr(off, chunk_))) {
        r.outcome = wx::TransportOutcome::kSinkFailed;
        return r;
      }
    }
    return r;
  }

 private:
  std::string body_;
  std::size_t chunk_;
};

bool mentionsKey(const std::string& s) {
  return s.find(kKey) != std::string::npos || s.find(kPreviousKey) != std::string::npos;
}

// The answer's texts quote the body; a key the body itself carried (libFuzzer learns the keys
// from the comparisons below) is no leak.
void checkNoKey(const wx::AnswerInfo& a, const std::string& body) {
  if (mentionsKey(body)) return;
  check(!mentionsKey(a.detail) && !mentionsKey(a.return_msg) && !mentionsKey(a.err_code_des));
}

// What a definitive signed answer must be.
void checkVerifiedIdentity(const wx::AnswerInfo& a, const wx::MerchantConfig& m) {
  const wx::VerifyResult v =
      wx::verifySign(a.fields, {m.sign_type}, m.api_key, &*m.previous_api_key);
  check(v.ok());
  check(a.fields.count("appid") && a.fields.at("appid") == kAppid);
  check(a.fields.count("mch_id") && a.fields.at("mch_id") == kMchId);
}

std::string field(const wx::FieldMap& f, const char* name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const unsigned control = data[0];
  const std::size_t chunk = 1 + data[1];
  std::string body(reinterpret_cast<const char*>(data) + 2, size - 2);

  wx::MerchantConfig m;
  m.name = "fuzz";
  m.mch_id = kMchId;
  m.appids = {kAppid};
  m.api_key = wx::Secret(kKey);
  m.previous_api_key = wx::Secret(kPreviousKey);
  m.sign_type = (control & 8) ? wx::SignType::kHmacSha256 : wx::SignType::kMd5;
  m.notify_sign_types = {m.sign_type};

  if (control & 4) {
    const wx::XmlParseResult parsed = wx::parseXmlFields(body);
    if (parsed.ok()) {
      wx::FieldMap fields = parsed.fields;
      fields.erase("sign");
      const wx::SignType other =
          m.sign_type == wx::SignType::kMd5 ? wx::SignType::kHmacSha256 : wx::SignType::kMd5;
      wx::signRequest(fields, (control & 64) ? other : m.sign_type,
                      (control & 16) ? *m.previous_api_key : m.api_key);
      body = wx::writeXmlFields(fields);
    }
  }

  wx::WechatConfig config;
  config.base_url = "http://127.0.0.1:1";
  config.backup_url = "";
  OneAnswer transport(body, chunk);
  FixedNonces nonces;
  wx::ManualClock clock(wx::TimePoint(wx::Millis(1'700'000'000'000)));
  NoSleep sleeper;
  wx::PayClient client(config, transport, nonces, clock, sleeper);

  switch (control & 3) {
    case 0: {
      wx::OrderQueryRequest q{kAppid, kOutTradeNo, ""};
      const wx::OrderQueryAnswer a = client.orderQuery(m, q);
      checkNoKey(a, body);
      if (!a.definitive()) break;
      checkVerifiedIdentity(a, m);
      if (!a.result.exists) break;
      check(a.result.out_trade_no == kOutTradeNo);
      if (a.result.trade_state == wx::TradeState::kSuccess) {
        check(!a.result.transaction_id.empty() && a.result.total_fee && a.result.time_end);
      }
      break;
    }
    case 1: {
      const wx::CloseOrderAnswer a = client.closeOrder(m, {kAppid, kOutTradeNo});
      checkNoKey(a, body);
      if (!a.definitive()) break;
      checkVerifiedIdentity(a, m);
      const std::string out = field(a.fields, "out_trade_no");
      check(out.empty() || out == kOutTradeNo);
      break;
    }
    case 2: {
      wx::RefundQueryRequest q;
      q.appid = kAppid;
      q.out_refund_no = kOutRefundNo;
      q.transaction_id = kTransactionId;
      const wx::RefundQueryAnswer a = client.refundQuery(m, q);
      checkNoKey(a, body);
      if (!a.definitive()) break;
      checkVerifiedIdentity(a, m);
      if (!a.result.exists) break;
      check(a.result.refunds.size() == static_cast<std::size_t>(a.result.refund_count));
      check(a.result.transaction_id.empty() || a.result.transaction_id == kTransactionId);
      bool asked_found = false;
      for (const auto& r : a.result.refunds) asked_found |= r.out_refund_no == kOutRefundNo;
      check(asked_found);
      break;
    }
    default: {
      wx::BillRequest q;
      q.appid = kAppid;
      q.bill_date = wx::CivilDate{2026, 11, 27};
      q.gzip = (control & 32) != 0;
      std::string got;
      const wx::BillAnswer a = client.downloadBill(m, q, [&](std::string_view c) {
        got.append(c);
        return true;
      });
      checkNoKey(a, body);
      switch (a.result.status) {
        case wx::BillStatus::kBill:
          check(a.definitive() && got == body && a.result.bytes == body.size());
          break;
        case wx::BillStatus::kEmpty:
          check(a.definitive() && got.empty());
          break;
        case wx::BillStatus::kNotReady:
          check(!a.definitive() && got.empty());
          break;
        case wx::BillStatus::kFailed:
          check(!a.definitive());
          break;
      }
    }
  }
  return 0;
}
