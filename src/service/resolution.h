// `wxrecon resolve`: a person closes a discrepancy and, for an order in REVIEW, decides its
// state (DESIGN.md §4 and §5). The rules are pure (checkManualStateChange); the store applies
// them in one transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "domain/order.h"

namespace wx {

struct ResolveRequest {
  std::int64_t discrepancy_id = 0;
  std::string note;                      // required, non-empty
  std::optional<OrderState> set_state;   // --set-state
  std::string resolved_by;               // --by, else $SUDO_USER, else $USER, else os_user
  std::string os_user;                   // the account running the process
};

// What was written, for the summary.
struct ResolveOutcome {
  std::string kind;           // the discrepancy's kind
  std::string severity;
  std::string mch_id;
  std::string out_trade_no;   // empty when the discrepancy names no order
  std::string resolved_at;    // UTC "YYYY-MM-DD HH:MM:SS.mmm" (the database clock)
  std::optional<std::string> order_state;  // the order's state after (unchanged when not set)
  std::optional<OrderState> from_state;    // set when the state was changed
};

// Whether a person may move an order in `current` to `target` (DESIGN.md §5: REVIEW -> any
// other state, source=manual, nothing else). SUCCESS and REFUND also need WeChat's
// transaction_id on the order: finance reads those states as "the money arrived", and the only
// proof wxrecon holds is the transaction id a verified answer recorded; without it the
// payment is unproven and the change is refused (evidence missing). OK when allowed, else
// kFailedPrecondition with a message naming the reason.
Status checkManualStateChange(const std::string& out_trade_no, OrderState current,
                              OrderState target, bool has_transaction_id);

// The text order_transition.evidence carries for a manual change (capped by the store).
std::string manualEvidence(const ResolveRequest& request, const std::string& kind);

class ResolutionStore {
 public:
  virtual ~ResolutionStore() = default;
  // In one transaction: the discrepancy (must exist and be OPEN) set RESOLVED with
  // resolved_by, resolved_os_user, resolved_at (database clock) and resolution_note; with
  // set_state, its order (must be in REVIEW, not leased by a live worker, the change allowed by
  // checkManualStateChange) moved by a compare-and-set on `version` with its order_transition
  // row (source manual, run_id, manualEvidence). Errors: kNotFound (no such discrepancy or
  // order), kFailedPrecondition (already resolved — naming by whom and when — not in REVIEW,
  // leased, refused change), kAborted (the order changed under us: nothing written),
  // kUnavailable (database). Nothing is written unless everything is.
  virtual Result<ResolveOutcome> resolve(const ResolveRequest& request, std::int64_t run_id) = 0;
};

}  // namespace wx
