#include "domain/state_machine.h"

#include <algorithm>

namespace wx {

namespace {

constexpr Millis kCloseMinAge = std::chrono::minutes(5);  // closeorder ≥ 5 min after creation
constexpr Millis kUnconfirmedAfter = std::chrono::seconds(60);  // NOTIFY_UNCONFIRMED threshold
constexpr Millis kExhaustedInterval = std::chrono::hours(1);

Millis seconds(int s) { return Millis(static_cast<std::int64_t>(s) * 1000); }

std::string fen(Fen v) { return "total_fee=" + std::to_string(v); }

std::string factsText(TradeState ts, const AnswerFacts& f) {
  std::string s = std::string("trade_state=") + tradeStateName(ts);
  if (!f.transaction_id.empty()) s += " transaction_id=" + f.transaction_id;
  s += " " + fen(f.total_fee);
  if (f.time_end) s += " time_end=" + formatBeijingCompact(*f.time_end);
  return s;
}

class Decider {
 public:
  explicit Decider(const DecisionInput& in) : in_(in), o_(*in.order), p_(*in.policy) {
    d_.check_attempts = o_.check_attempts;
    d_.next_check_at = o_.next_check_at;
    d_.close_confirm_at = o_.close_confirm_at;
    d_.not_exist_first_at = o_.not_exist_first_at;
  }

  Decision run();

 private:
  // --- building blocks ---
  Finding finding(DiscrepancyKind kind, std::string local, std::string remote, std::string detail,
                  const std::string& txn = "") const {
    Finding f;
    f.kind = kind;
    f.mch_id = o_.mch_id;
    f.out_trade_no = o_.out_trade_no;
    f.transaction_id = txn.empty() ? o_.transaction_id.value_or("") : txn;
    f.local_value = std::move(local);
    f.remote_value = std::move(remote);
    f.detail = std::move(detail);
    return f;
  }
  void move(OrderState to, TransitionSource source, std::string evidence) {
    const OrderState from = d_.transitions.empty() ? o_.state : d_.transitions.back().to;
    if (from == to) return;
    if (!isAllowedTransition(from, to, source)) {
      // Never happens by construction; refusing keeps the table the only law.
      d_.outcome = "refused";
      return;
    }
    d_.transitions.push_back({from, to, source, std::move(evidence)});
  }
  // A definitive answer: consecutive unknowns end, QUERY_EXHAUSTED clears.
  void definitive() {
    if (o_.check_attempts > static_cast<int>(p_.query_backoff.size())) {
      d_.resolves.push_back({DiscrepancyKind::kQueryExhausted,
                             "a definitive answer arrived after the query backoff ran out"});
    }
    d_.check_attempts = 0;
  }
  void unknown(const std::string& detail, bool bad_answer) {
    d_.check_attempts = o_.check_attempts + 1;
    const int n = static_cast<int>(p_.query_backoff.size());
    if (d_.check_attempts > n) {
      d_.next_check_at = in_.now + kExhaustedInterval;
      if (d_.check_attempts == n + 1) {
        d_.findings.push_back(finding(
            DiscrepancyKind::kQueryExhausted, "state=" + std::string(orderStateName(o_.state)),
            "no definitive answer after " + std::to_string(d_.check_attempts) + " attempts",
            "last: " + detail + "; now checked hourly"));
      }
    } else {
      const std::int64_t base =
          std::chrono::duration_cast<Millis>(
              p_.query_backoff[static_cast<std::size_t>(d_.check_attempts - 1)])
              .count();
      const double j = std::clamp(in_.jitter, 0.0, 0.999999);
      const std::int64_t jittered = base * 8 / 10 + static_cast<std::int64_t>(base * 4 / 10 * j);
      d_.next_check_at = in_.now + Millis(jittered);
    }
    if (bad_answer) {
      d_.findings.push_back(finding(DiscrepancyKind::kResponseBadSignature, "",
                                    "answer failed verification", detail));
    }
    d_.outcome = "unknown";
  }
  bool verifiedPaidNotificationOlderThan(Millis age) const {
    if (in_.notifications == nullptr) return false;
    for (const auto& n : *in_.notifications) {
      if (n.time_end && *n.time_end + age <= in_.now) return true;
    }
    return false;
  }
  bool anyVerifiedNotification() const {
    return in_.notifications != nullptr && !in_.notifications->empty();
  }
  void notifyUnconfirmed(const std::string& answer) {
    if (!verifiedPaidNotificationOlderThan(kUnconfirmedAfter)) return;
    const auto& n = in_.notifications->front();
    d_.findings.push_back(finding(
        DiscrepancyKind::kNotifyUnconfirmed,
        "notification transaction_id=" + n.transaction_id + " " + fen(n.total_fee), answer,
        "a verified notification says paid, a query made at least 60 s after its time_end says "
        "not paid",
        n.transaction_id));
  }
  void notifyMismatch(const AnswerFacts& f) {
    if (in_.notifications == nullptr) return;
    for (const auto& n : *in_.notifications) {
      std::string diff;
      if (n.transaction_id != f.transaction_id) diff += " transaction_id";
      if (n.total_fee != f.total_fee) diff += " total_fee";
      if (n.time_end && f.time_end && *n.time_end != *f.time_end) diff += " time_end";
      if (diff.empty()) continue;
      std::string local =
          "notification transaction_id=" + n.transaction_id + " " + fen(n.total_fee);
      if (n.time_end) local += " time_end=" + formatBeijingCompact(*n.time_end);
      std::string remote = "query transaction_id=" + f.transaction_id + " " + fen(f.total_fee);
      if (f.time_end) remote += " time_end=" + formatBeijingCompact(*f.time_end);
      d_.findings.push_back(finding(DiscrepancyKind::kNotifyMismatch, local, remote,
                                    "differs in" + diff, f.transaction_id));
      return;  // one row per order (the key has no notification id)
    }
  }
  bool feeMatches(const AnswerFacts& f) const {
    const std::string answer_type = f.fee_type.empty() ? "CNY" : f.fee_type;
    return f.total_fee == o_.total_fee && answer_type == o_.fee_type;
  }
  void schedulePoll() { d_.next_check_at = nextPollAt(o_, in_.now, p_); }
  void stopMerchant() {
    d_.action = Action::kStopMerchant;
    d_.outcome = "stopped";
  }
  void refundPending() {
    d_.action = Action::kRefundQuery;
    d_.next_step = Step::kRefundQuery;
    d_.outcome = "refund_pending";
  }
  // REVOKED / PAYERROR answers (micropay): final, no further checks.
  void failedPayment(TradeState ts, TransitionSource source, const std::string& evidence) {
    const bool revoked = ts == TradeState::kRevoked;
    move(revoked ? OrderState::kRevoked : OrderState::kPayError, source, evidence);
    d_.next_check_at.reset();
    d_.outcome = revoked ? "revoked" : "payerror";
  }

  // --- paths ---
  void paid(TradeState ts, const AnswerFacts& f, TransitionSource source);
  void refundConfirmed();
  void checkUnfinished(const QueryOutcome& q, TransitionSource source);
  void checkFinished(const QueryOutcome& q);
  void closeResult(const CloseOrderOutcome& c);
  void closeRequery(const QueryOutcome& q);
  void paidRequery(const QueryOutcome& q);
  void notificationEvidence();
  // A verified answer proved a payment the order does not show (PAID_AFTER_CLOSE): the order
  // keeps WeChat's transaction_id and time_end as paid_at (DESIGN.md §4), so the bill matches
  // it on its paid day and `resolve` has the evidence a paid state needs.
  void provenPayment(const std::string& transaction_id, const std::optional<TimePoint>& time_end) {
    if (!transaction_id.empty() && !o_.transaction_id) d_.set_transaction_id = transaction_id;
    if (time_end && !o_.paid_at) d_.set_paid_at = time_end;
  }

  const DecisionInput& in_;
  const Order& o_;
  const Policy& p_;
  Decision d_;
};

void Decider::paid(TradeState ts, const AnswerFacts& f, TransitionSource source) {
  const std::string evidence = factsText(ts, f);
  if (!feeMatches(f)) {
    move(OrderState::kReview, source, evidence);
    d_.findings.push_back(
        finding(DiscrepancyKind::kAmountMismatch, fen(o_.total_fee) + " " + o_.fee_type,
                fen(f.total_fee) + " " + (f.fee_type.empty() ? "CNY" : f.fee_type),
                "WeChat's answer says paid with a different amount", f.transaction_id));
    d_.outcome = "review";
  } else if (f.transaction_id.empty() || !f.time_end) {
    // A paid answer must name the payment; without it nothing is proven.
    unknown("paid answer without transaction_id/time_end", true);
    return;
  } else {
    move(OrderState::kSuccess, source, evidence);
    d_.set_transaction_id = f.transaction_id;
    d_.set_paid_at = f.time_end;
    d_.outcome = "paid";
  }
  notifyMismatch(f);
  d_.next_check_at.reset();
  d_.not_exist_first_at.reset();
}

void Decider::checkUnfinished(const QueryOutcome& q, TransitionSource source) {
  switch (q.kind) {
    case OutcomeKind::kConfigFailure:
      stopMerchant();
      return;
    case OutcomeKind::kUnknown:
    case OutcomeKind::kBadAnswer:
      unknown(q.detail, q.kind == OutcomeKind::kBadAnswer);
      return;
    case OutcomeKind::kOrderNotExist: {
      definitive();
      notifyUnconfirmed("ORDERNOTEXIST");
      const TimePoint due = closeDueAt(o_, p_);
      if (in_.now < due || anyVerifiedNotification()) {
        d_.not_exist_first_at.reset();
        schedulePoll();
        d_.outcome = "unpaid";
        return;
      }
      // After expiry: two ORDERNOTEXIST answers at least close_grace_s apart close it.
      if (o_.not_exist_first_at && *o_.not_exist_first_at + seconds(p_.close_grace_s) <= in_.now) {
        move(OrderState::kClosed, TransitionSource::kClose,
             "orderquery=ORDERNOTEXIST at " + formatIso8601Utc(*o_.not_exist_first_at) + " and " +
                 formatIso8601Utc(in_.now) + ": never created at WeChat");
        d_.not_exist_first_at.reset();
        d_.next_check_at.reset();
        d_.outcome = "closed";
        return;
      }
      if (!o_.not_exist_first_at) d_.not_exist_first_at = in_.now;
      d_.next_check_at = *d_.not_exist_first_at + seconds(p_.close_grace_s);
      d_.outcome = "unpaid";
      return;
    }
    case OutcomeKind::kAnswer:
      break;
  }
  definitive();
  d_.not_exist_first_at.reset();
  switch (q.trade_state) {
    case TradeState::kSuccess:
      paid(q.trade_state, q.facts, source);
      return;
    case TradeState::kRefund:
      refundPending();
      return;
    case TradeState::kNotPay:
    case TradeState::kUserPaying: {
      if (q.trade_state == TradeState::kNotPay)
        move(OrderState::kNotPay, source, "trade_state=NOTPAY");
      if (q.trade_state == TradeState::kUserPaying) {
        move(OrderState::kUserPaying, source, "trade_state=USERPAYING");
      }
      notifyUnconfirmed(std::string("trade_state=") + tradeStateName(q.trade_state));
      // Close only an expired, unpaid order that no verified notification calls paid.
      if (q.trade_state == TradeState::kNotPay && in_.now >= closeDueAt(o_, p_) &&
          !anyVerifiedNotification()) {
        d_.action = Action::kCloseOrder;
        d_.next_step = Step::kClose;
        d_.outcome = "closing";
        return;
      }
      schedulePoll();
      d_.outcome = q.trade_state == TradeState::kUserPaying ? "userpaying" : "unpaid";
      return;
    }
    case TradeState::kClosed:
      notifyUnconfirmed("trade_state=CLOSED");
      move(OrderState::kClosed, source, "trade_state=CLOSED (closed at WeChat)");
      d_.next_check_at.reset();
      d_.outcome = "closed";
      return;
    case TradeState::kRevoked:
    case TradeState::kPayError:
      notifyUnconfirmed(std::string("trade_state=") + tradeStateName(q.trade_state));
      failedPayment(q.trade_state, source,
                    std::string("trade_state=") + tradeStateName(q.trade_state));
      return;
  }
}

void Decider::checkFinished(const QueryOutcome& q) {
  // Finished and REVIEW orders are queried only by a recheck (rerun --recheck-final), the
  // confirming query after a close, or a bill line. Only DESIGN.md §5's moves exist here.
  if (q.kind == OutcomeKind::kConfigFailure) {
    stopMerchant();
    return;
  }
  if (q.kind == OutcomeKind::kUnknown || q.kind == OutcomeKind::kBadAnswer) {
    if (q.kind == OutcomeKind::kBadAnswer) {
      d_.findings.push_back(finding(DiscrepancyKind::kResponseBadSignature, "",
                                    "answer failed verification", q.detail));
    }
    if (o_.close_confirm_at)
      d_.close_confirm_at = in_.now + seconds(std::max(p_.close_grace_s, 15));
    d_.outcome = "unknown";
    return;
  }
  d_.close_confirm_at.reset();
  const bool says_paid = q.kind == OutcomeKind::kAnswer && (q.trade_state == TradeState::kSuccess ||
                                                            q.trade_state == TradeState::kRefund);
  const std::string remote =
      q.kind == OutcomeKind::kOrderNotExist ? "ORDERNOTEXIST" : factsText(q.trade_state, q.facts);
  const TransitionSource source = in_.source;
  if (isTerminal(o_.state)) {
    if (says_paid) {
      move(OrderState::kReview, source, remote);
      d_.findings.push_back(finding(
          DiscrepancyKind::kPaidAfterClose, std::string("state=") + orderStateName(o_.state),
          remote,
          "WeChat says paid; the order is " + std::string(orderStateName(o_.state)) + " locally",
          q.facts.transaction_id));
      provenPayment(q.facts.transaction_id, q.facts.time_end);
      d_.outcome = "review";
    } else {
      d_.outcome = "unchanged";
    }
    return;
  }
  if (o_.state == OrderState::kReview) {
    d_.outcome = "unchanged";  // a person decides
    return;
  }
  // SUCCESS or REFUND locally.
  if (says_paid) {
    if (!feeMatches(q.facts)) {
      move(OrderState::kReview, source, remote);
      d_.findings.push_back(finding(DiscrepancyKind::kAmountMismatch, fen(o_.total_fee), remote,
                                    "WeChat's answer says paid with a different amount",
                                    q.facts.transaction_id));
      d_.outcome = "review";
      return;
    }
    if (o_.transaction_id && !q.facts.transaction_id.empty() &&
        *o_.transaction_id != q.facts.transaction_id) {
      // An order's transaction_id never changes (RELIABILITY.md invariant 3).
      move(OrderState::kReview, source, remote);
      d_.findings.push_back(finding(
          DiscrepancyKind::kResponseBadSignature, "transaction_id=" + *o_.transaction_id, remote,
          "WeChat names another transaction for this order", q.facts.transaction_id));
      d_.outcome = "review";
      return;
    }
    notifyMismatch(q.facts);
    if (o_.state == OrderState::kSuccess && q.trade_state == TradeState::kRefund) {
      move(OrderState::kRefund, source, remote);
      d_.outcome = "refunded";
      return;
    }
    if (o_.state == OrderState::kRefund && q.trade_state == TradeState::kSuccess) {
      d_.findings.push_back(finding(DiscrepancyKind::kBillStatusMismatch, "state=REFUND", remote,
                                    "refunded locally; WeChat's answer says SUCCESS"));
    }
    d_.outcome = "unchanged";
    return;
  }
  d_.findings.push_back(finding(DiscrepancyKind::kBillStatusMismatch,
                                std::string("state=") + orderStateName(o_.state), remote,
                                "paid locally; WeChat's answer says not paid"));
  d_.outcome = "unchanged";
}

void Decider::closeResult(const CloseOrderOutcome& c) {
  switch (c.kind) {
    case OutcomeKind::kConfigFailure:
      stopMerchant();
      return;
    case OutcomeKind::kUnknown:
    case OutcomeKind::kBadAnswer:
    case OutcomeKind::kOrderNotExist:
      // Any other closeorder answer (including the unknown answer to a too-early close):
      // retry later, never terminal.
      unknown("closeorder: " + c.detail, c.kind == OutcomeKind::kBadAnswer);
      return;
    case OutcomeKind::kAnswer:
      break;
  }
  switch (c.result) {
    case CloseResult::kSuccess:
    case CloseResult::kOrderClosed:
      d_.action = Action::kQuery;
      d_.next_step = Step::kCloseRequery;
      d_.outcome = "closing";
      return;
    case CloseResult::kOrderPaid:
      d_.action = Action::kQuery;
      d_.next_step = Step::kPaidRequery;
      d_.outcome = "closing";
      return;
    case CloseResult::kOtherError:
      unknown("closeorder: " + c.detail, false);
      return;
  }
}

void Decider::closeRequery(const QueryOutcome& q) {
  if (q.kind == OutcomeKind::kConfigFailure) {
    stopMerchant();
    return;
  }
  if (q.kind != OutcomeKind::kAnswer) {
    // ORDERNOTEXIST right after a successful close proves nothing; retry the sequence later.
    unknown("orderquery after closeorder: " + (q.detail.empty() ? "no answer" : q.detail),
            q.kind == OutcomeKind::kBadAnswer);
    return;
  }
  definitive();
  switch (q.trade_state) {
    case TradeState::kClosed:
      move(OrderState::kClosed, TransitionSource::kClose, "close=SUCCESS, requery=CLOSED");
      d_.next_check_at.reset();
      d_.outcome = "closed";
      return;
    case TradeState::kNotPay:
      // WeChat accepted the close but still says NOTPAY (seen in the wild): closed, with one
      // more query after close_grace_s.
      move(OrderState::kClosed, TransitionSource::kClose, "close=SUCCESS, requery=NOTPAY");
      d_.close_confirm_at = in_.now + seconds(p_.close_grace_s);
      d_.next_check_at.reset();
      d_.outcome = "closed";
      return;
    case TradeState::kSuccess:
      paid(q.trade_state, q.facts, TransitionSource::kClose);
      return;
    case TradeState::kRefund:
      refundPending();
      return;
    case TradeState::kUserPaying:
      move(OrderState::kUserPaying, TransitionSource::kClose, "close=SUCCESS, requery=USERPAYING");
      schedulePoll();
      d_.outcome = "userpaying";
      return;
    case TradeState::kRevoked:
    case TradeState::kPayError:
      failedPayment(q.trade_state, TransitionSource::kClose,
                    std::string("close=SUCCESS, requery=") + tradeStateName(q.trade_state));
      return;
  }
}

void Decider::paidRequery(const QueryOutcome& q) {
  if (q.kind == OutcomeKind::kConfigFailure) {
    stopMerchant();
    return;
  }
  if (q.kind == OutcomeKind::kAnswer && q.trade_state == TradeState::kSuccess) {
    definitive();
    paid(q.trade_state, q.facts, TransitionSource::kClose);
    return;
  }
  if (q.kind == OutcomeKind::kAnswer && q.trade_state == TradeState::kRefund) {
    definitive();
    refundPending();
    return;
  }
  // closeorder said ORDERPAID; until a query confirms it, nothing is proven.
  unknown(
      "closeorder=ORDERPAID but orderquery does not confirm yet: " +
          (q.kind == OutcomeKind::kAnswer ? std::string(tradeStateName(q.trade_state)) : q.detail),
      q.kind == OutcomeKind::kBadAnswer);
}

void Decider::refundConfirmed() {
  const RefundOutcome& r = in_.refund;
  const TransitionSource source = in_.source;
  if (r.kind == OutcomeKind::kConfigFailure) {
    stopMerchant();
    return;
  }
  if (r.kind == OutcomeKind::kUnknown || r.kind == OutcomeKind::kBadAnswer) {
    unknown("refundquery: " + r.detail, r.kind == OutcomeKind::kBadAnswer);
    return;
  }
  const std::string evidence =
      "trade_state=REFUND; refundquery transaction_id=" + r.transaction_id + " " + fen(r.total_fee);
  if (isTerminal(o_.state)) {
    move(OrderState::kReview, source, evidence);
    d_.findings.push_back(finding(
        DiscrepancyKind::kPaidAfterClose, std::string("state=") + orderStateName(o_.state),
        evidence, "WeChat says refunded (so paid); the order is closed locally", r.transaction_id));
    provenPayment(r.transaction_id, in_.query.facts.time_end);
    d_.outcome = "review";
    return;
  }
  const AnswerFacts& q = in_.query.facts;
  const bool confirmed = r.kind == OutcomeKind::kAnswer && r.total_fee == o_.total_fee &&
                         !r.transaction_id.empty() &&
                         (q.transaction_id.empty() || q.transaction_id == r.transaction_id);
  if (!confirmed) {
    // A REFUND answer proves payment but carries no amount we could confirm.
    move(OrderState::kReview, source, evidence);
    if (r.kind == OutcomeKind::kAnswer && r.total_fee != o_.total_fee) {
      d_.findings.push_back(finding(DiscrepancyKind::kAmountMismatch, fen(o_.total_fee), evidence,
                                    "refunded order paid with a different amount",
                                    r.transaction_id));
    }
    d_.next_check_at.reset();
    d_.outcome = "review";
    return;
  }
  if (isUnfinished(o_.state)) {
    move(OrderState::kSuccess, source, evidence);
    d_.set_transaction_id = r.transaction_id;
    if (q.time_end) d_.set_paid_at = q.time_end;
  }
  move(OrderState::kRefund, source, evidence);
  d_.next_check_at.reset();
  d_.not_exist_first_at.reset();
  d_.outcome = "refunded";
}

void Decider::notificationEvidence() {
  const NotificationFact& n = in_.notification;
  if (!isUnfinished(o_.state)) {
    d_.outcome = "unchanged";
    return;
  }
  if (!p_.notification_is_evidence) {
    // The notification only triggers a query (DESIGN.md §5 evidence rule).
    d_.action = Action::kQuery;
    d_.next_step = Step::kCheck;
    d_.outcome = "query";
    return;
  }
  AnswerFacts f;
  f.total_fee = n.total_fee;
  f.transaction_id = n.transaction_id;
  f.time_end = n.time_end;
  f.fee_type = o_.fee_type;
  const std::string evidence =
      "notification body_sha256=" + n.body_sha256 + " " + factsText(TradeState::kSuccess, f);
  if (n.total_fee != o_.total_fee) {
    move(OrderState::kReview, TransitionSource::kNotify, evidence);
    d_.findings.push_back(finding(
        DiscrepancyKind::kAmountMismatch, fen(o_.total_fee), "notification " + fen(n.total_fee),
        "a verified notification says paid with a different amount", n.transaction_id));
    d_.outcome = "review";
    return;
  }
  if (n.transaction_id.empty() || !n.time_end) {
    d_.action = Action::kQuery;  // not enough to prove anything; ask WeChat
    d_.outcome = "query";
    return;
  }
  definitive();
  move(OrderState::kSuccess, TransitionSource::kNotify, evidence);
  d_.set_transaction_id = n.transaction_id;
  d_.set_paid_at = n.time_end;
  d_.next_check_at.reset();
  d_.outcome = "paid";
}

Decision Decider::run() {
  switch (in_.step) {
    case Step::kCheck:
      if (isUnfinished(o_.state)) {
        checkUnfinished(in_.query, in_.source);
      } else {
        checkFinished(in_.query);
      }
      break;
    case Step::kClose:
      if (isUnfinished(o_.state)) closeResult(in_.close);
      break;
    case Step::kCloseRequery:
      if (isUnfinished(o_.state)) closeRequery(in_.query);
      break;
    case Step::kPaidRequery:
      if (isUnfinished(o_.state)) paidRequery(in_.query);
      break;
    case Step::kRefundQuery:
      refundConfirmed();
      break;
    case Step::kNotification:
      notificationEvidence();
      break;
  }
  if (d_.outcome.empty()) d_.outcome = "unchanged";
  return d_;
}

}  // namespace

const char* tradeStateName(TradeState s) {
  switch (s) {
    case TradeState::kSuccess:
      return "SUCCESS";
    case TradeState::kRefund:
      return "REFUND";
    case TradeState::kNotPay:
      return "NOTPAY";
    case TradeState::kClosed:
      return "CLOSED";
    case TradeState::kRevoked:
      return "REVOKED";
    case TradeState::kUserPaying:
      return "USERPAYING";
    case TradeState::kPayError:
      return "PAYERROR";
  }
  return "?";
}

TimePoint closeDueAt(const Order& order, const Policy& policy) {
  return std::max(order.expire_at + seconds(policy.close_grace_s), order.created_at + kCloseMinAge);
}

TimePoint nextPollAt(const Order& order, TimePoint now, const Policy& policy) {
  std::size_t n = 0;
  Millis offset(0);
  const auto& sched = policy.poll_schedule;
  while (n < sched.size()) {
    offset += std::chrono::duration_cast<Millis>(sched[n]);
    if (order.created_at + offset > now) break;
    ++n;
  }
  const std::size_t idx = std::min(n, sched.empty() ? std::size_t{0} : sched.size() - 1);
  const Millis interval = sched.empty() ? Millis(std::chrono::minutes(30))
                                        : std::chrono::duration_cast<Millis>(sched[idx]);
  TimePoint next = now + interval;
  const TimePoint due = closeDueAt(order, policy);
  if (due > now && due < next) next = due;
  return next;
}

Decision decide(const DecisionInput& in) { return Decider(in).run(); }

}  // namespace wx
