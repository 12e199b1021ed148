// The one function that decides what happens to an order (DESIGN.md §5): pure — it takes the
// local order, its verified notifications, one WeChat outcome, `now` and the policy, and
// returns the transition(s), the discrepancies, the next check time and the next action.
// Every caller (sweep, notify-server confirmation, close sequence, bill run) goes through it;
// `resolve` uses isAllowedTransition() from order.h.
//
// The caller performs the returned action (query, closeorder, refundquery) and calls decide()
// again with its outcome and the step the action named; a plain check starts at kCheck.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/money.h"
#include "common/time.h"
#include "domain/discrepancy.h"
#include "domain/order.h"
#include "domain/policy.h"
#include "domain/trade_state.h"

namespace wx {


// The facts of a verified answer (signature, appid, mch_id and out_trade_no already checked).
struct AnswerFacts {
  Fen total_fee = 0;
  std::string fee_type;  // empty = CNY
  std::string transaction_id;
  std::optional<TimePoint> time_end;
};

enum class OutcomeKind {
  kAnswer,         // a verified, definitive answer (trade_state, or the close/refund result)
  kOrderNotExist,  // ORDERNOTEXIST (orderquery) / REFUNDNOTEXIST (refundquery)
  kUnknown,        // transport failure, timeout, 5xx, SYSTEMERROR, FREQUENCY_LIMITED: retry later
  kBadAnswer,      // bad signature, identity mismatch, malformed: retry later, and flag it
  kConfigFailure,  // return_code=FAIL to our request, SIGNERROR...: stop this merchant
};

struct QueryOutcome {
  OutcomeKind kind = OutcomeKind::kUnknown;
  TradeState trade_state = TradeState::kNotPay;  // when kAnswer
  AnswerFacts facts;                             // when kAnswer and paid/refunded
  std::string detail;                            // err_code / reason, for evidence and logs
};

enum class CloseResult { kSuccess, kOrderClosed, kOrderPaid, kOtherError };
struct CloseOrderOutcome {
  OutcomeKind kind = OutcomeKind::kUnknown;  // kAnswer carries `result`
  CloseResult result = CloseResult::kOtherError;
  std::string detail;
};

// refundquery confirms a REFUND answer for an order not yet SUCCESS locally.
struct RefundOutcome {
  OutcomeKind kind = OutcomeKind::kUnknown;  // kAnswer: total_fee/transaction_id present
  Fen total_fee = 0;
  std::string transaction_id;
  std::string detail;
};

// A notification that re-verified (signature and identity) for this order.
struct NotificationFact {
  std::string transaction_id;
  Fen total_fee = 0;
  std::optional<TimePoint> time_end;
  std::string body_sha256;
};

// Where in the sequence an outcome belongs.
enum class Step {
  kCheck,         // a plain orderquery (sweep, notify confirmation, bill line, recheck)
  kClose,         // the closeorder result
  kCloseRequery,  // the orderquery after closeorder said SUCCESS / ORDERCLOSED
  kPaidRequery,   // the orderquery after closeorder said ORDERPAID
  kRefundQuery,   // the refundquery after an orderquery said REFUND
  kNotification,  // a verified notification as evidence (policy.notification_is_evidence)
};

struct DecisionInput {
  const Order* order = nullptr;
  const std::vector<NotificationFact>* notifications = nullptr;  // verified ones; may be null
  Step step = Step::kCheck;
  QueryOutcome query;            // kCheck, kCloseRequery, kPaidRequery; for kRefundQuery, the
                                 // orderquery that said REFUND (its facts give time_end)
  CloseOrderOutcome close;       // kClose
  RefundOutcome refund;          // kRefundQuery
  NotificationFact notification; // kNotification
  TimePoint now;
  const Policy* policy = nullptr;
  TransitionSource source = TransitionSource::kQuery;  // who asked (query, notify, bill)
  double jitter = 0.5;  // uniform in [0,1): spreads backoff by ±20%
};

struct Transition {
  OrderState from;
  OrderState to;
  TransitionSource source;
  std::string evidence;
};

enum class Action {
  kNone,
  kQuery,          // call orderquery, then decide() with `next_step`
  kCloseOrder,     // call closeorder, then decide() with Step::kClose
  kRefundQuery,    // call refundquery, then decide() with Step::kRefundQuery (pass the query too)
  kStopMerchant,   // merchant-level configuration failure: write nothing, stop calling WeChat
};

struct Decision {
  std::vector<Transition> transitions;  // 0, 1, or 2 (NOTPAY -> SUCCESS -> REFUND)
  std::optional<std::string> set_transaction_id;
  std::optional<TimePoint> set_paid_at;
  std::vector<Finding> findings;
  std::vector<AutoResolve> resolves;
  // The schedule, written with the decision unless `action` is kStopMerchant or another call
  // follows (kQuery/kCloseOrder/kRefundQuery: the final decision writes it).
  std::optional<TimePoint> next_check_at;  // empty: due now
  int check_attempts = 0;
  std::optional<TimePoint> close_confirm_at;
  std::optional<TimePoint> not_exist_first_at;
  Action action = Action::kNone;
  Step next_step = Step::kCheck;
  // A short label for the run summary: paid, refunded, closed, unpaid, userpaying, revoked,
  // payerror, review, unknown, unchanged, stopped.
  std::string outcome;

  std::optional<OrderState> finalState() const {
    if (transitions.empty()) return std::nullopt;
    return transitions.back().to;
  }
};

Decision decide(const DecisionInput& in);

// Schedules (exposed for tests and the store's documentation).
// The earliest time an expired order may be closed: expire_at + close_grace_s, and never within
// 5 minutes of creation (WeChat's closeorder rule).
TimePoint closeDueAt(const Order& order, const Policy& policy);
// Next check after a definitive unfinished answer: now + poll_schedule[n] (n = schedule steps
// already elapsed since created_at; the last value repeats), but no later than closeDueAt.
TimePoint nextPollAt(const Order& order, TimePoint now, const Policy& policy);

}  // namespace wx
