#include "wechat/pay_client.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "common/money.h"
#include "common/test_hooks.h"
#include "wechat/call_metrics.h"
#include "wechat/signer.h"

namespace wx {
namespace {

// err_codes that mean our request itself is wrong: a merchant-level configuration failure.
bool isRequestRejectedErrCode(const std::string& code) {
  return code == "SIGNERROR" || code == "REQUIRE_POST_METHOD" || code == "XML_FORMAT_ERROR";
}

// downloadbill answers errors as return_code=FAIL + return_msg (WECHATPAY_V2.md §5); compared
// case-insensitively after trimming ("NO Bill Exist" in the doc, "No Bill Exist" in reality).
struct BillMessage {
  const char* lower_msg;
  BillStatus status;
  AnswerKind kind;
  AnswerCause cause;
};
constexpr BillMessage kBillMessages[] = {
    {"no bill exist", BillStatus::kEmpty, AnswerKind::kDefinitive, AnswerCause::kNone},
    {"bill creating", BillStatus::kNotReady, AnswerKind::kRetryLater, AnswerCause::kBillNotReady},
    {"systemerror", BillStatus::kFailed, AnswerKind::kRetryLater, AnswerCause::kSystemError},
    {"compressgzip error", BillStatus::kFailed, AnswerKind::kRetryLater, AnswerCause::kSystemError},
    {"uncompressgzip error", BillStatus::kFailed, AnswerKind::kRetryLater,
     AnswerCause::kSystemError},
    {"sign error", BillStatus::kFailed, AnswerKind::kConfigFailure, AnswerCause::kRequestRejected},
    {"signerror", BillStatus::kFailed, AnswerKind::kConfigFailure, AnswerCause::kRequestRejected},
    {"invalid bill_type", BillStatus::kFailed, AnswerKind::kConfigFailure,
     AnswerCause::kRequestRejected},
    {"invalid tar_type", BillStatus::kFailed, AnswerKind::kConfigFailure,
     AnswerCause::kRequestRejected},
    {"data format error", BillStatus::kFailed, AnswerKind::kConfigFailure,
     AnswerCause::kRequestRejected},
    {"missing parameter", BillStatus::kFailed, AnswerKind::kConfigFailure,
     AnswerCause::kRequestRejected},
    {"require_post_method", BillStatus::kFailed, AnswerKind::kConfigFailure,
     AnswerCause::kRequestRejected},
    {"xml_format_error", BillStatus::kFailed, AnswerKind::kConfigFailure,
     AnswerCause::kRequestRejected},
};

std::string get(const FieldMap& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

std::string lowerTrimmed(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string out = s.substr(b, e - b);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void classify(AnswerInfo& info, AnswerKind kind, AnswerCause cause, std::string detail) {
  info.kind = kind;
  info.cause = cause;
  info.detail = std::move(detail);
}

void definitive(AnswerInfo& info) {
  classify(info, AnswerKind::kDefinitive, AnswerCause::kNone, "");
}

void malformed(AnswerInfo& info, std::string detail) {
  classify(info, AnswerKind::kBadAnswer, AnswerCause::kMalformed, std::move(detail));
}

void mismatch(AnswerInfo& info, const std::string& field, const std::string& asked,
              const std::string& got) {
  classify(info, AnswerKind::kBadAnswer, AnswerCause::kIdentityMismatch,
           field + ": asked '" + asked + "', answer says '" + got + "'");
}

// A signed result_code=FAIL answer: `not_exist_code` (ORDERNOTEXIST, REFUNDNOTEXIST) is a
// definitive "there is no such thing" and clears `exists`; any other err_code is retry later.
// Returns false when the answer is result_code=SUCCESS (the caller reads the result).
bool businessFailure(AnswerInfo& a, const char* not_exist_code, bool& exists) {
  if (get(a.fields, "result_code") == "SUCCESS") return false;
  if (a.err_code == not_exist_code) {
    exists = false;
    definitive(a);
  } else {
    classify(a, AnswerKind::kRetryLater, AnswerCause::kUnknownOutcome,
             "err_code '" + a.err_code + "': " + a.err_code_des);
  }
  return true;
}

// An optional amount: absent/empty is fine; present must be digits.
bool optionalFen(const FieldMap& f, const std::string& name, std::optional<Fen>& out,
                 AnswerInfo& info) {
  const std::string v = get(f, name);
  if (v.empty()) return true;
  Result<Fen> r = parseFenField(v);
  if (!r) {
    malformed(info, name + " is not an amount in fen");
    return false;
  }
  out = *r;
  return true;
}

bool requiredFen(const FieldMap& f, const std::string& name, Fen& out, AnswerInfo& info) {
  std::optional<Fen> v;
  if (!optionalFen(f, name, v, info)) return false;
  if (!v) {
    malformed(info, "required field " + name + " is missing");
    return false;
  }
  out = *v;
  return true;
}

// Routes a downloadbill body: bill bytes to the caller's sink, an XML error body to memory.
class BillRouter {
 public:
  enum class Mode { kUndecided, kBill, kXml };
  BillRouter(const BodySink& sink, bool gzip) : sink_(sink), gzip_(gzip) {}

  bool write(std::string_view chunk) {
    if (mode_ == Mode::kBill) {
      forwarded_ += chunk.size();
      return sink_(chunk);
    }
    held_.append(chunk);
    if (mode_ == Mode::kUndecided) decide();
    if (mode_ == Mode::kBill) {
      std::string head;
      head.swap(held_);
      forwarded_ += head.size();
      return sink_(head);
    }
    if (held_.size() > PayClient::kMaxAnswerBytes) {
      too_large_ = true;
      return false;
    }
    return true;
  }

  Mode mode() const { return mode_; }
  bool tooLarge() const { return too_large_; }
  std::uint64_t forwarded() const { return forwarded_; }
  // The held XML without a UTF-8 BOM and leading whitespace.
  std::string_view xml() const {
    std::string_view v(held_);
    if (v.substr(0, 3) == "\xEF\xBB\xBF") v.remove_prefix(3);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    return v;
  }

 private:
  void decide() {
    if (gzip_) {
      if (held_.size() < 2) return;
      const bool magic = static_cast<unsigned char>(held_[0]) == 0x1f &&
                         static_cast<unsigned char>(held_[1]) == 0x8b;
      mode_ = magic ? Mode::kBill : Mode::kXml;
      return;
    }
    static const std::string kBom = "\xEF\xBB\xBF";
    std::size_t i = 0;
    if (held_.size() < kBom.size() && kBom.compare(0, held_.size(), held_) == 0) return;
    if (held_.compare(0, kBom.size(), kBom) == 0) i = kBom.size();
    while (i < held_.size() && std::isspace(static_cast<unsigned char>(held_[i]))) ++i;
    if (i == held_.size()) return;
    mode_ = held_[i] == '<' ? Mode::kXml : Mode::kBill;
  }

  const BodySink& sink_;
  const bool gzip_;
  Mode mode_ = Mode::kUndecided;
  std::string held_;
  std::uint64_t forwarded_ = 0;
  bool too_large_ = false;
};

std::string trimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

PayClient::PayClient(const WechatConfig& config, HttpTransport& transport, NonceSource& nonces,
                     const Clock& clock, Sleeper& sleeper)
    : config_(config),
      transport_(transport),
      nonces_(nonces),
      limiter_(clock, sleeper, config.max_in_flight) {
  config_.base_url = trimSlash(config_.base_url);
  config_.backup_url = trimSlash(config_.backup_url);
}

int PayClient::qpsFor(const MerchantConfig& merchant) const {
  return merchant.qps > 0 ? merchant.qps : config_.qps;
}

bool PayClient::checkAppid(const MerchantConfig& merchant, const std::string& appid,
                           AnswerInfo& info) {
  if (std::find(merchant.appids.begin(), merchant.appids.end(), appid) != merchant.appids.end()) {
    return true;
  }
  classify(info, AnswerKind::kConfigFailure, AnswerCause::kRequestRejected,
           "appid '" + appid + "' is not configured for mch_id " + merchant.mch_id);
  return false;
}

HttpResult PayClient::post(const MerchantConfig& merchant, const std::string& path, FieldMap fields,
                           const BodySink* sink, AnswerInfo& info) {
  fields["mch_id"] = merchant.mch_id;
  fields["nonce_str"] = nonces_.next();
  signRequest(fields, merchant.sign_type, merchant.api_key);
  HttpRequest req;
  req.method = HttpMethod::kPost;
  req.url = config_.base_url + path;
  req.body = writeXmlFields(fields);
  req.content_type = "text/xml";
  req.connect_timeout = Millis(config_.connect_timeout_ms);
  req.read_timeout = Millis(config_.timeout_ms);
  req.max_body_bytes = kMaxAnswerBytes;
  if (sink) req.sink = *sink;

  HttpResult r;
  hooks::crashPoint("wechat.before_call");
  {
    auto permit = limiter_.acquire(merchant.mch_id, qpsFor(merchant));
    const TimedExchange timed(path);
    r = transport_.send(req);
  }
  // Only a connection failure proves nothing was sent: the one case for backup_url (§8).
  if (r.outcome == TransportOutcome::kConnectFailed && !config_.backup_url.empty() &&
      config_.backup_url != config_.base_url) {
    req.url = config_.backup_url + path;
    auto permit = limiter_.acquire(merchant.mch_id, qpsFor(merchant));
    const TimedExchange timed(path);
    r = transport_.send(req);
    info.via_backup = true;
  }
  info.transport = r.outcome;
  info.http_status = r.response.status;
  if (r.ok() && r.response.status == 429) limiter_.frequencyLimited(merchant.mch_id);
  hooks::crashPoint("wechat.after_call");
  return r;
}

PayClient::Stage PayClient::checkEnvelope(const MerchantConfig& merchant, const std::string& appid,
                                          const HttpResult& http, AnswerInfo& info) {
  if (!http.ok()) {
    // A URL the transport refuses (http:// to a remote host) is a configuration error.
    const AnswerKind kind = http.outcome == TransportOutcome::kInvalidRequest
                                ? AnswerKind::kConfigFailure
                                : AnswerKind::kRetryLater;
    classify(info, kind, AnswerCause::kTransport,
             std::string(transportOutcomeName(http.outcome)) + ": " + http.detail);
    return Stage::kDone;
  }
  if (http.response.status != 200) {
    classify(info, AnswerKind::kRetryLater, AnswerCause::kHttpStatus,
             "HTTP " + std::to_string(http.response.status));
    return Stage::kDone;
  }
  XmlLimits limits;
  limits.max_body_bytes = kMaxAnswerBytes;
  XmlParseResult parsed = parseXmlFields(http.response.body, limits);
  if (!parsed.ok()) {
    malformed(info,
              std::string("XML rejected (") + xmlRejectName(parsed.reject) + "): " + parsed.error);
    return Stage::kDone;
  }
  info.fields = std::move(parsed.fields);
  return checkSignedAnswer(merchant, appid, info);
}

PayClient::Stage PayClient::checkSignedAnswer(const MerchantConfig& merchant,
                                              const std::string& appid, AnswerInfo& info) {
  const FieldMap& f = info.fields;
  info.return_msg = get(f, "return_msg");
  const std::string return_code = get(f, "return_code");
  if (return_code == "FAIL") {
    // Unsigned by design (WECHATPAY_V2.md §1): WeChat refused our request itself.
    classify(info, AnswerKind::kConfigFailure, AnswerCause::kReturnCodeFail,
             "return_code=FAIL: " + info.return_msg);
    return Stage::kDone;
  }
  if (return_code != "SUCCESS") {
    malformed(info, "return_code is '" + return_code + "'");
    return Stage::kDone;
  }
  info.err_code = get(f, "err_code");
  info.err_code_des = get(f, "err_code_des");
  const std::string result_code = get(f, "result_code");

  const Secret* previous = merchant.previous_api_key ? &*merchant.previous_api_key : nullptr;
  const VerifyResult v = verifySign(f, {merchant.sign_type}, merchant.api_key, previous);
  if (!v.ok()) {
    // WeChat may be unable to sign with our (wrong) key what says our key is wrong: a request
    // rejection is a configuration failure even unverified. It only stops calls, never moves an
    // order.
    if (result_code == "FAIL" && isRequestRejectedErrCode(info.err_code)) {
      classify(info, AnswerKind::kConfigFailure, AnswerCause::kRequestRejected,
               "err_code " + info.err_code +
                   " (answer signature not verified: " + signCheckName(v.check) + ")");
      return Stage::kDone;
    }
    classify(info, AnswerKind::kBadAnswer, AnswerCause::kBadSignature,
             std::string("signature ") + signCheckName(v.check) + ": " + v.explanation);
    return Stage::kDone;
  }
  info.verified_with_previous_key = v.used_previous_key;

  if (get(f, "appid") != appid) {
    mismatch(info, "appid", appid, get(f, "appid"));
    return Stage::kDone;
  }
  if (get(f, "mch_id") != merchant.mch_id) {
    mismatch(info, "mch_id", merchant.mch_id, get(f, "mch_id"));
    return Stage::kDone;
  }
  if (result_code == "SUCCESS") return Stage::kContinue;
  if (result_code != "FAIL") {
    malformed(info, "result_code is '" + result_code + "'");
    return Stage::kDone;
  }
  return checkCommonErrCodes(merchant, info);
}

PayClient::Stage PayClient::checkCommonErrCodes(const MerchantConfig& merchant, AnswerInfo& info) {
  const std::string& code = info.err_code;
  if (code == "SYSTEMERROR") {
    classify(info, AnswerKind::kRetryLater, AnswerCause::kSystemError, "SYSTEMERROR");
    return Stage::kDone;
  }
  if (code == "FREQUENCY_LIMITED") {
    limiter_.frequencyLimited(merchant.mch_id);
    classify(info, AnswerKind::kRetryLater, AnswerCause::kFrequencyLimited, "FREQUENCY_LIMITED");
    return Stage::kDone;
  }
  if (isRequestRejectedErrCode(code)) {
    classify(info, AnswerKind::kConfigFailure, AnswerCause::kRequestRejected,
             "err_code " + code + ": " + info.err_code_des);
    return Stage::kDone;
  }
  return Stage::kContinue;  // call-specific err_codes
}

OrderQueryAnswer PayClient::orderQuery(const MerchantConfig& merchant, const OrderQueryRequest& q) {
  OrderQueryAnswer a;
  const CountedCall counted("orderquery", a);
  if (!checkAppid(merchant, q.appid, a)) return a;
  if (q.out_trade_no.empty() && q.transaction_id.empty()) {
    classify(a, AnswerKind::kConfigFailure, AnswerCause::kRequestRejected,
             "orderquery needs out_trade_no or transaction_id");
    return a;
  }
  FieldMap fields{{"appid", q.appid}};
  if (!q.transaction_id.empty()) {
    fields["transaction_id"] = q.transaction_id;  // it wins at WeChat when both are sent
  } else {
    fields["out_trade_no"] = q.out_trade_no;
  }
  const HttpResult http = post(merchant, "/pay/orderquery", std::move(fields), nullptr, a);
  if (checkEnvelope(merchant, q.appid, http, a) == Stage::kDone) return a;
  const FieldMap& f = a.fields;
  OrderQueryResult& r = a.result;

  if (businessFailure(a, "ORDERNOTEXIST", r.exists)) return a;

  r.out_trade_no = get(f, "out_trade_no");
  r.transaction_id = get(f, "transaction_id");
  if (!q.out_trade_no.empty() && r.out_trade_no != q.out_trade_no) {
    mismatch(a, "out_trade_no", q.out_trade_no, r.out_trade_no);
    return a;
  }
  if (!q.transaction_id.empty() && !r.transaction_id.empty() &&
      r.transaction_id != q.transaction_id) {
    mismatch(a, "transaction_id", q.transaction_id, r.transaction_id);
    return a;
  }
  const std::string wire_state = get(f, "trade_state");
  if (wire_state.empty()) {
    malformed(a, "result_code=SUCCESS without trade_state");
    return a;
  }
  const std::optional<TradeState> state = tradeStateFromWire(wire_state);
  if (!state) {
    classify(a, AnswerKind::kRetryLater, AnswerCause::kUnknownOutcome,
             "unknown trade_state '" + wire_state + "'");
    return a;
  }
  r.trade_state = *state;
  r.trade_state_desc = get(f, "trade_state_desc");
  r.trade_type = get(f, "trade_type");
  r.bank_type = get(f, "bank_type");
  r.fee_type = get(f, "fee_type");
  r.cash_fee_type = get(f, "cash_fee_type");
  r.attach = get(f, "attach");
  r.openid = get(f, "openid");
  if (!optionalFen(f, "total_fee", r.total_fee, a) || !optionalFen(f, "cash_fee", r.cash_fee, a) ||
      !optionalFen(f, "settlement_total_fee", r.settlement_total_fee, a) ||
      !optionalFen(f, "coupon_fee", r.coupon_fee, a)) {
    return a;
  }
  const std::string time_end = get(f, "time_end");
  if (!time_end.empty()) {
    Result<TimePoint> t = parseBeijingCompact(time_end);
    if (!t) {
      malformed(a, "time_end '" + time_end + "' is not yyyyMMddHHmmss");
      return a;
    }
    r.time_end = *t;
  }
  if (r.trade_state == TradeState::kSuccess) {
    // The evidence a payment needs (DESIGN.md §5): who, how much, when.
    if (r.transaction_id.empty() || !r.total_fee || !r.time_end) {
      malformed(a, "a SUCCESS answer needs transaction_id, total_fee and time_end");
      return a;
    }
  }
  definitive(a);
  return a;
}

CloseOrderAnswer PayClient::closeOrder(const MerchantConfig& merchant, const CloseOrderRequest& q) {
  CloseOrderAnswer a;
  const CountedCall counted("closeorder", a);
  if (!checkAppid(merchant, q.appid, a)) return a;
  if (q.out_trade_no.empty()) {
    classify(a, AnswerKind::kConfigFailure, AnswerCause::kRequestRejected,
             "closeorder needs out_trade_no");
    return a;
  }
  FieldMap fields{{"appid", q.appid}, {"out_trade_no", q.out_trade_no}};
  const HttpResult http = post(merchant, "/pay/closeorder", std::move(fields), nullptr, a);
  if (checkEnvelope(merchant, q.appid, http, a) == Stage::kDone) return a;
  const std::string out_no = get(a.fields, "out_trade_no");  // not documented, checked if there
  if (!out_no.empty() && out_no != q.out_trade_no) {
    mismatch(a, "out_trade_no", q.out_trade_no, out_no);
    return a;
  }
  if (get(a.fields, "result_code") == "SUCCESS") {
    a.result = CloseOutcome::kClosed;
  } else if (a.err_code == "ORDERPAID") {
    a.result = CloseOutcome::kOrderPaid;
  } else if (a.err_code == "ORDERCLOSED") {
    a.result = CloseOutcome::kAlreadyClosed;
  } else {
    // ORDERNOTEXIST, TRADE_STATE_ERROR, a too-early close...: never terminal (DESIGN.md §5).
    classify(a, AnswerKind::kRetryLater, AnswerCause::kUnknownOutcome,
             "err_code '" + a.err_code + "': " + a.err_code_des);
    return a;
  }
  definitive(a);
  return a;
}

RefundQueryAnswer PayClient::refundQuery(const MerchantConfig& merchant,
                                         const RefundQueryRequest& q) {
  RefundQueryAnswer a;
  const CountedCall counted("refundquery", a);
  if (!checkAppid(merchant, q.appid, a)) return a;
  FieldMap fields{{"appid", q.appid}};
  // WeChat's priority order: refund_id > out_refund_no > transaction_id > out_trade_no.
  const std::pair<const char*, const std::string*> keys[] = {{"refund_id", &q.refund_id},
                                                             {"out_refund_no", &q.out_refund_no},
                                                             {"transaction_id", &q.transaction_id},
                                                             {"out_trade_no", &q.out_trade_no}};
  for (const auto& [name, value] : keys) {
    if (!value->empty()) {
      fields[name] = *value;
      break;
    }
  }
  if (fields.size() == 1) {
    classify(a, AnswerKind::kConfigFailure, AnswerCause::kRequestRejected,
             "refundquery needs one of refund_id, out_refund_no, transaction_id, out_trade_no");
    return a;
  }
  if (q.offset) fields["offset"] = std::to_string(*q.offset);
  const HttpResult http = post(merchant, "/pay/refundquery", std::move(fields), nullptr, a);
  if (checkEnvelope(merchant, q.appid, http, a) == Stage::kDone) return a;
  const FieldMap& f = a.fields;
  RefundQueryResult& r = a.result;

  if (businessFailure(a, "REFUNDNOTEXIST", r.exists)) return a;
  r.transaction_id = get(f, "transaction_id");
  r.out_trade_no = get(f, "out_trade_no");
  r.fee_type = get(f, "fee_type");
  if (!q.out_trade_no.empty() && r.out_trade_no != q.out_trade_no) {
    mismatch(a, "out_trade_no", q.out_trade_no, r.out_trade_no);
    return a;
  }
  if (!q.transaction_id.empty() && r.transaction_id != q.transaction_id) {
    mismatch(a, "transaction_id", q.transaction_id, r.transaction_id);
    return a;
  }
  Fen count = 0;
  if (!requiredFen(f, "total_fee", r.total_fee, a) ||
      !optionalFen(f, "settlement_total_fee", r.settlement_total_fee, a) ||
      !optionalFen(f, "cash_fee", r.cash_fee, a) ||
      !optionalFen(f, "refund_fee", r.refund_fee, a) || !requiredFen(f, "refund_count", count, a)) {
    return a;
  }
  std::optional<Fen> total_count;
  if (!optionalFen(f, "total_refund_count", total_count, a)) return a;
  if (total_count) r.total_refund_count = static_cast<int>(std::min<Fen>(*total_count, 1 << 20));
  if (count > 64) {  // pages hold 10; parseXmlFields caps fields anyway
    malformed(a, "refund_count " + std::to_string(count) + " is implausible");
    return a;
  }
  r.refund_count = static_cast<int>(count);
  bool asked_refund_found = q.refund_id.empty() && q.out_refund_no.empty();
  for (int n = 0; n < r.refund_count; ++n) {
    const std::string sfx = "_" + std::to_string(n);
    RefundItem item;
    item.out_refund_no = get(f, "out_refund_no" + sfx);
    item.refund_id = get(f, "refund_id" + sfx);
    item.refund_channel = get(f, "refund_channel" + sfx);
    item.refund_account = get(f, "refund_account" + sfx);
    item.refund_recv_account = get(f, "refund_recv_accout" + sfx);  // sic, WeChat's spelling
    if (item.out_refund_no.empty() || item.refund_id.empty()) {
      malformed(a, "refund " + std::to_string(n) + " lacks out_refund_no or refund_id");
      return a;
    }
    if (!requiredFen(f, "refund_fee" + sfx, item.refund_fee, a) ||
        !optionalFen(f, "settlement_refund_fee" + sfx, item.settlement_refund_fee, a) ||
        !optionalFen(f, "coupon_refund_fee" + sfx, item.coupon_refund_fee, a)) {
      return a;
    }
    const std::string wire_status = get(f, "refund_status" + sfx);
    const std::optional<RefundStatus> status = refundStatusFromWire(wire_status);
    if (!status) {
      classify(a, AnswerKind::kRetryLater, AnswerCause::kUnknownOutcome,
               "unknown refund_status" + sfx + " '" + wire_status + "'");
      return a;
    }
    item.status = *status;
    const std::string when = get(f, "refund_success_time" + sfx);
    if (!when.empty()) {
      Result<TimePoint> t = parseBeijingDateTime(when);
      if (!t) {
        malformed(a, "refund_success_time" + sfx + " '" + when + "' is not a Beijing time");
        return a;
      }
      item.success_time = *t;
    }
    if ((!q.refund_id.empty() && item.refund_id == q.refund_id) ||
        (!q.out_refund_no.empty() && item.out_refund_no == q.out_refund_no)) {
      asked_refund_found = true;
    }
    r.refunds.push_back(std::move(item));
  }
  if (!asked_refund_found) {
    mismatch(a, q.refund_id.empty() ? "out_refund_no" : "refund_id",
             q.refund_id.empty() ? q.out_refund_no : q.refund_id, "(not among the refunds)");
    return a;
  }
  definitive(a);
  return a;
}

BillAnswer PayClient::downloadBill(const MerchantConfig& merchant, const BillRequest& q,
                                   const BodySink& sink) {
  BillAnswer a;
  a.result.status = BillStatus::kFailed;
  const CountedCall counted("downloadbill", a);
  if (!checkAppid(merchant, q.appid, a)) return a;
  FieldMap fields{{"appid", q.appid},
                  {"bill_date", formatCompactDate(q.bill_date)},
                  {"bill_type", billTypeWireName(q.bill_type)}};
  if (q.gzip) fields["tar_type"] = "GZIP";
  BillRouter router(sink, q.gzip);
  const BodySink routed = [&router](std::string_view chunk) { return router.write(chunk); };
  const HttpResult http = post(merchant, "/pay/downloadbill", std::move(fields), &routed, a);
  a.result.bytes = router.forwarded();

  if (!http.ok() && http.outcome == TransportOutcome::kSinkFailed && router.tooLarge()) {
    malformed(a, "XML error body over " + std::to_string(kMaxAnswerBytes) + " bytes");
    return a;
  }
  if (!http.ok() || http.response.status != 200) {
    (void)checkEnvelope(merchant, q.appid, http, a);  // classifies the transport/HTTP failure
    return a;
  }
  if (router.mode() == BillRouter::Mode::kBill) {
    a.result.status = BillStatus::kBill;
    definitive(a);
    return a;
  }
  if (router.mode() == BillRouter::Mode::kUndecided) {
    malformed(a, q.gzip ? "bill body shorter than the gzip magic" : "empty bill body");
    return a;
  }
  // An XML body: downloadbill's error envelope (unsigned, return_code=FAIL).
  XmlLimits limits;
  limits.max_body_bytes = kMaxAnswerBytes;
  XmlParseResult parsed = parseXmlFields(router.xml(), limits);
  if (!parsed.ok()) {
    malformed(a, std::string(q.gzip ? "no gzip magic, and " : "") + "XML rejected (" +
                     xmlRejectName(parsed.reject) + "): " + parsed.error);
    return a;
  }
  a.fields = std::move(parsed.fields);
  a.return_msg = get(a.fields, "return_msg");
  a.result.error_code = get(a.fields, "error_code");
  const std::string return_code = get(a.fields, "return_code");
  if (return_code != "FAIL") {
    malformed(a, "an XML answer with return_code '" + return_code + "' instead of a bill");
    return a;
  }
  const std::string msg = lowerTrimmed(a.return_msg);
  for (const BillMessage& m : kBillMessages) {
    if (msg == m.lower_msg) {
      a.result.status = m.status;
      classify(a, m.kind, m.cause,
               m.kind == AnswerKind::kDefinitive ? "" : "return_msg: " + a.return_msg);
      return a;
    }
  }
  // e.g. "invalid bill_date": a failed download, not an empty day.
  classify(a, AnswerKind::kRetryLater, AnswerCause::kUnknownOutcome, "return_msg: " + a.return_msg);
  return a;
}

}  // namespace wx
