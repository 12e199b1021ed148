// Re-parses and re-verifies a notification body (DESIGN.md §4: wxrecon re-verifies the raw_body
// of every row it uses; stored sign_ok/verdict are advisory). Pure: shared by notify-server
// (on receipt) and the sweep/bill (before using a stored row).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"
#include "domain/order.h"
#include "domain/state_machine.h"
#include "wechat/xml_codec.h"

namespace wx {

// payment_notification.verdict values (DESIGN.md §4).
enum class NotificationVerdict {
  kAccepted,
  kBadSignature,   // failed signature/identity checks, or an unknown merchant
  kUnknownOrder,   // verified, but no such order (set by the caller that looked it up)
  kAmountMismatch, // verified, total_fee differs from the order's (set by the caller)
  kDuplicate,      // verified, names an already ACCEPTED (mch_id, transaction_id) (caller)
  kMalformed,      // not parseable as a notification at all
};
const char* notificationVerdictName(NotificationVerdict v);

struct VerifiedNotification {
  NotificationVerdict verdict = NotificationVerdict::kMalformed;
  std::string reason;  // why it was not accepted (for logs); never contains the key
  // Parsed fields (best effort, also for rejected bodies: they fill the columns).
  std::string mch_id, appid, out_trade_no, transaction_id;
  std::optional<Fen> total_fee;
  std::optional<TimePoint> time_end;  // UTC
  bool sign_ok = false;
  bool used_previous_key = false;
  // The facts the decision function takes (valid when sign_ok).
  NotificationFact fact() const;
};

// Parses `body` (hardened, size-capped) and checks: return_code and result_code SUCCESS; the
// mch_id is a configured merchant; the appid is one of its appids; the sign verifies with one of
// its notify_sign_types (key, then previous key); total_fee, transaction_id, out_trade_no and
// time_end are present and well-formed. Returns kAccepted or kBadSignature/kMalformed with the
// reason. Order-level checks (unknown order, amount, appid = order's appid) are the caller's,
// through checkAgainstOrder().
VerifiedNotification verifyNotification(std::string_view body, const std::vector<MerchantConfig>& merchants,
                                        std::size_t max_body_bytes = 65536);

// For an accepted notification and the order it names: kAmountMismatch when total_fee differs,
// kBadSignature when the appid is not the order's; otherwise kAccepted.
NotificationVerdict checkAgainstOrder(const VerifiedNotification& n, const Order& order);

}  // namespace wx
