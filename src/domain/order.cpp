#include "domain/order.h"

namespace wx {

namespace {
struct StateName {
  OrderState state;
  const char* name;
};
constexpr StateName kStateNames[] = {
    {OrderState::kNotPay, "NOTPAY"},   {OrderState::kUserPaying, "USERPAYING"},
    {OrderState::kSuccess, "SUCCESS"}, {OrderState::kRefund, "REFUND"},
    {OrderState::kClosed, "CLOSED"},   {OrderState::kRevoked, "REVOKED"},
    {OrderState::kPayError, "PAYERROR"}, {OrderState::kReview, "REVIEW"},
};
}  // namespace

const char* orderStateName(OrderState s) {
  for (const auto& e : kStateNames) {
    if (e.state == s) return e.name;
  }
  return "?";
}

Result<OrderState> parseOrderState(const std::string& name) {
  for (const auto& e : kStateNames) {
    if (name == e.name) return e.state;
  }
  return Status::invalidArgument("\"" + name.substr(0, 32) + "\" is not an order state");
}

bool isUnfinished(OrderState s) { return s == OrderState::kNotPay || s == OrderState::kUserPaying; }

bool isTerminal(OrderState s) {
  return s == OrderState::kClosed || s == OrderState::kRevoked || s == OrderState::kPayError;
}

bool isPaidState(OrderState s) { return s == OrderState::kSuccess || s == OrderState::kRefund; }

const char* transitionSourceName(TransitionSource s) {
  switch (s) {
    case TransitionSource::kQuery: return "query";
    case TransitionSource::kNotify: return "notify";
    case TransitionSource::kClose: return "close";
    case TransitionSource::kBill: return "bill";
    case TransitionSource::kManual: return "manual";
  }
  return "?";
}

bool isAllowedTransition(OrderState from, OrderState to, TransitionSource source) {
  using S = OrderState;
  using T = TransitionSource;
  if (from == to) return false;
  if (from == S::kReview) return source == T::kManual;  // REVIEW -> any state, resolve only
  if (source == T::kManual) return false;               // resolve moves only REVIEW orders
  if (isUnfinished(from)) {
    switch (to) {
      case S::kNotPay:
      case S::kUserPaying:
        return source == T::kQuery || source == T::kBill || source == T::kNotify ||
               source == T::kClose;
      case S::kSuccess:
        // A verified query made by the sweep, the notify-server, the close sequence or a bill
        // run (or the notification itself when notification_is_evidence).
        return true;
      case S::kClosed:
        // The close sequence; a verified query saying CLOSED (closed at WeChat) is recorded too.
        return source == T::kClose || source == T::kQuery;
      case S::kRevoked:
      case S::kPayError:
        return true;  // a verified query, whoever made it
      case S::kReview:
        return true;
      case S::kRefund:
        // Only through SUCCESS (two rows: NOTPAY->SUCCESS->REFUND).
        return false;
    }
  }
  if (from == S::kSuccess) return to == S::kRefund || to == S::kReview;
  if (from == S::kRefund) return to == S::kReview;
  if (isTerminal(from)) return to == S::kReview;
  return false;
}

}  // namespace wx
