// The decide -> act loop shared by every caller that checks one claimed order against WeChat
// (sweep, notify-server confirmation, bill run, rerun): re-read and re-verify the order's stored
// notifications (DESIGN.md §4: the raw bytes are the truth), decide() (domain/state_machine.h),
// perform the action it names (orderquery, closeorder, refundquery), decide() again with the
// outcome, until no action is left. The final Decision carries the findings and auto-resolutions
// of the earlier steps too, ready for OrderStore::apply().
//
//   OrderChecker checker(notifications, client, clock, merchants, policy, max_body_bytes);
//   CheckResult r = checker.check(order, merchant, {TransitionSource::kBill, false}, jitter);
//   if (r.end == CheckEnd::kDecided) orders.apply(order, r.decision, run_id, owner);
//
// The checker writes nothing: applying, releasing and counting are the caller's. Thread-safe
// (const; the PayClient paces and caps its own requests); references must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/clock.h"
#include "domain/policy.h"
#include "domain/state_machine.h"
#include "service/stores.h"
#include "wechat/pay_client.h"

namespace wx {

// PayClient answers -> the decision function's outcomes (the one mapping; DESIGN.md §5):
// kRetryLater -> kUnknown; kBadAnswer -> kBadAnswer for a bad signature or identity mismatch
// (RESPONSE_BAD_SIGNATURE), kUnknown for a malformed answer; kConfigFailure -> kConfigFailure;
// ORDERNOTEXIST / REFUNDNOTEXIST -> kOrderNotExist.
QueryOutcome toQueryOutcome(const OrderQueryAnswer& a);
CloseOrderOutcome toCloseOutcome(const CloseOrderAnswer& a);
RefundOutcome toRefundOutcome(const RefundQueryAnswer& a);

struct CheckOptions {
  TransitionSource source = TransitionSource::kQuery;  // query (sweep), notify, bill
  // closeorder may be called (the sweep's real run). When false, a decision asking to close
  // ends the check with CheckEnd::kCloseWanted (the confirmer and the bill run leave closing
  // to the sweep; a dry run reports "would close").
  bool allow_close = true;
  // Asked before each WeChat call: true ends the check with kAbandoned (e.g. another worker
  // stopped this merchant). nullptr: never.
  std::function<bool()> abandon;
};

enum class CheckEnd {
  kDecided,          // `decision` is final (action kNone): apply it
  kCloseWanted,      // decide() asked for closeorder and allow_close was false: `decision` is
                     // that decision (findings merged); nothing was closed
  kMerchantStopped,  // merchant-level configuration failure: write nothing; `stop_reason`
  kAbandoned,        // options.abandon said so before a call: write nothing
  kNotificationsUnreadable,  // the store failed: nothing was decided (`error`)
  kLoopBug,          // decide() kept asking for actions: only a bug in decide() gets here
};

struct CheckResult {
  CheckEnd end = CheckEnd::kDecided;
  Decision decision;
  std::int64_t wechat_calls = 0;
  std::int64_t call_failures = 0;       // answers that were not definitive
  std::int64_t transport_failures = 0;  // nothing reached WeChat
  std::string stop_reason;              // kMerchantStopped: return_msg and why
  std::string error;                    // kNotificationsUnreadable
};

class OrderChecker {
 public:
  OrderChecker(NotificationStore& notifications, PayClient& client, const Clock& clock,
               const std::vector<MerchantConfig>& merchants, const Policy& policy,
               std::size_t max_body_bytes = 65536);

  // The notifications stored for `o` that re-verify and name it (ACCEPTED, or AMOUNT_MISMATCH
  // — a verified notification with another amount is evidence too when
  // policy.notification_is_evidence), oldest first. Fails when the store does.
  Result<std::vector<NotificationFact>> verifiedNotifications(const Order& o) const;

  // Checks one order (claimed by the caller) of merchant `m`. `jitter` in [0,1) spreads
  // backoff. Never throws on WeChat or store failures (they are outcomes).
  CheckResult check(const Order& o, const MerchantConfig& m, const CheckOptions& options,
                    double jitter) const;

 private:
  NotificationStore& notifications_;
  PayClient& client_;
  const Clock& clock_;
  const std::vector<MerchantConfig>& merchants_;
  const Policy& policy_;
  const std::size_t max_body_bytes_;
};

}  // namespace wx
