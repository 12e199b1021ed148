// The order as wxrecon sees it (DESIGN.md §4, §5). Pure data; the MySQL store maps columns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/money.h"
#include "common/status.h"
#include "common/time.h"

namespace wx {

enum class OrderState {
  kNotPay,      // initial
  kUserPaying,  // micropay: the user is entering a password
  kSuccess,     // paid
  kRefund,      // paid, a refund exists
  kClosed,
  kRevoked,
  kPayError,
  kReview,  // evidence conflicts; a person decides via `wxrecon resolve`
};

// The database and WeChat names ("NOTPAY", "USERPAYING", ...): the one mapping table.
const char* orderStateName(OrderState s);
Result<OrderState> parseOrderState(const std::string& name);

// NOTPAY and USERPAYING: the sweep claims only these.
bool isUnfinished(OrderState s);
// CLOSED, REVOKED, PAYERROR: no automatic transition except to REVIEW.
bool isTerminal(OrderState s);
// SUCCESS and REFUND: money was received.
bool isPaidState(OrderState s);

// Who moved an order (order_transition.source).
enum class TransitionSource { kQuery, kNotify, kClose, kBill, kManual };
const char* transitionSourceName(TransitionSource s);

// DESIGN.md §5's table of allowed transitions: everything else is refused by the decision
// function and by `resolve`.
bool isAllowedTransition(OrderState from, OrderState to, TransitionSource source);

struct Order {
  std::int64_t id = 0;
  std::string mch_id;
  std::string appid;
  std::string out_trade_no;
  Fen total_fee = 0;
  std::string fee_type = "CNY";
  OrderState state = OrderState::kNotPay;
  std::optional<std::string> transaction_id;
  std::optional<TimePoint> paid_at;  // WeChat's time_end of the proving answer, in UTC
  TimePoint created_at;
  TimePoint expire_at;
  std::optional<TimePoint> next_check_at;  // empty = due now
  int check_attempts = 0;                  // consecutive unknown outcomes
  std::int64_t lease_generation = 0;
  std::int64_t version = 0;
  // Bookkeeping of the close sequence (DESIGN.md §5).
  std::optional<TimePoint> close_confirm_at;    // CLOSED on requery=NOTPAY: one more query due
  std::optional<TimePoint> not_exist_first_at;  // first ORDERNOTEXIST after expiry
};

}  // namespace wx
