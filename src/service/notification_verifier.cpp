#include "service/notification_verifier.h"

#include "common/hash.h"
#include "wechat/signer.h"

namespace wx {

const char* notificationVerdictName(NotificationVerdict v) {
  switch (v) {
    case NotificationVerdict::kAccepted: return "ACCEPTED";
    case NotificationVerdict::kBadSignature: return "BAD_SIGNATURE";
    case NotificationVerdict::kUnknownOrder: return "UNKNOWN_ORDER";
    case NotificationVerdict::kAmountMismatch: return "AMOUNT_MISMATCH";
    case NotificationVerdict::kDuplicate: return "DUPLICATE";
    case NotificationVerdict::kMalformed: return "MALFORMED";
  }
  return "?";
}

NotificationFact VerifiedNotification::fact() const {
  NotificationFact f;
  f.transaction_id = transaction_id;
  f.total_fee = total_fee.value_or(0);
  f.time_end = time_end;
  return f;
}

namespace {
std::string field(const FieldMap& m, const char* name) {
  auto it = m.find(name);
  return it == m.end() ? std::string() : it->second;
}
}  // namespace

VerifiedNotification verifyNotification(std::string_view body,
                                        const std::vector<MerchantConfig>& merchants,
                                        std::size_t max_body_bytes) {
  VerifiedNotification n;
  XmlLimits limits;
  limits.max_body_bytes = max_body_bytes;
  XmlParseResult parsed = parseXmlFields(body, limits);
  if (!parsed.ok()) {
    n.verdict = NotificationVerdict::kMalformed;
    n.reason = std::string("xml rejected (") + xmlRejectName(parsed.reject) + "): " + parsed.error;
    return n;
  }
  const FieldMap& f = parsed.fields;
  n.mch_id = field(f, "mch_id");
  n.appid = field(f, "appid");
  n.out_trade_no = field(f, "out_trade_no");
  n.transaction_id = field(f, "transaction_id");
  if (auto fee = parseFenField(field(f, "total_fee")); fee.isOk()) n.total_fee = *fee;
  if (auto t = parseBeijingCompact(field(f, "time_end")); t.isOk()) n.time_end = *t;

  n.verdict = NotificationVerdict::kBadSignature;
  const MerchantConfig* m = nullptr;
  for (const auto& candidate : merchants) {
    if (candidate.mch_id == n.mch_id) m = &candidate;
  }
  if (m == nullptr) {
    n.reason = "mch_id \"" + n.mch_id.substr(0, 32) + "\" is not a configured merchant";
    return n;
  }
  if (!m->hasAppid(n.appid)) {
    n.reason = "appid \"" + n.appid.substr(0, 32) + "\" is not bound to mch_id " + m->mch_id;
    return n;
  }
  const VerifyResult v = verifySign(f, m->notify_sign_types, m->api_key,
                                    m->previous_api_key ? &*m->previous_api_key : nullptr);
  if (!v.ok()) {
    n.reason = "signature: " + v.explanation;
    return n;
  }
  n.sign_ok = true;
  n.used_previous_key = v.used_previous_key;
  // A verified body that is not a successful payment, or lacks what proves one, is not accepted.
  if (field(f, "return_code") != "SUCCESS" || field(f, "result_code") != "SUCCESS") {
    n.verdict = NotificationVerdict::kMalformed;
    n.reason = "return_code/result_code is not SUCCESS";
    return n;
  }
  if (n.out_trade_no.empty() || n.transaction_id.empty() || !n.total_fee || !n.time_end) {
    n.verdict = NotificationVerdict::kMalformed;
    n.reason = "out_trade_no, transaction_id, total_fee or time_end missing or malformed";
    return n;
  }
  n.verdict = NotificationVerdict::kAccepted;
  return n;
}

NotificationVerdict checkAgainstOrder(const VerifiedNotification& n, const Order& order) {
  if (n.verdict != NotificationVerdict::kAccepted) return n.verdict;
  if (n.appid != order.appid || n.mch_id != order.mch_id) return NotificationVerdict::kBadSignature;
  if (n.total_fee != order.total_fee) return NotificationVerdict::kAmountMismatch;
  return NotificationVerdict::kAccepted;
}

}  // namespace wx
