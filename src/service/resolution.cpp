#include "service/resolution.h"

namespace wx {

Status checkManualStateChange(const std::string& out_trade_no, OrderState current,
                              OrderState target, bool has_transaction_id) {
  const std::string order = "order " + out_trade_no;
  if (current != OrderState::kReview) {
    return Status::failedPrecondition(order + " is " + orderStateName(current) +
                                      ", not REVIEW: resolve sets the state only of an order in "
                                      "REVIEW (the sweep and the bill move the others)");
  }
  if (target == OrderState::kReview) {
    return Status::failedPrecondition(order + " is already REVIEW");
  }
  if (!isAllowedTransition(current, target, TransitionSource::kManual)) {
    return Status::failedPrecondition(std::string(order) + ": REVIEW -> " +
                                      orderStateName(target) + " is not an allowed transition");
  }
  if (isPaidState(target) && !has_transaction_id) {
    return Status::failedPrecondition(
        order + ": evidence missing — " + orderStateName(target) +
        " needs WeChat's transaction_id on the order, and it has none (no verified answer ever "
        "said it was paid); check the payment at WeChat (a sweep or rerun --recheck-final records "
        "it) before setting a paid state");
  }
  return Status::ok();
}

std::string manualEvidence(const ResolveRequest& request, const std::string& kind) {
  return "resolve discrepancy=" + std::to_string(request.discrepancy_id) + " kind=" + kind +
         " by=" + request.resolved_by + " os_user=" + request.os_user + " note=" + request.note;
}

}  // namespace wx
