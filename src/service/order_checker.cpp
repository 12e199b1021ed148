#include "service/order_checker.h"

#include <algorithm>

#include "common/test_hooks.h"
#include "service/notification_verifier.h"

namespace wx {

namespace {

std::string why(const AnswerInfo& a) {
  std::string s = answerCauseName(a.cause);
  if (!a.err_code.empty()) s += " err_code=" + a.err_code;
  if (!a.detail.empty()) s += ": " + a.detail;
  return s;
}

// The shared part of the mapping: what a non-definitive answer means to decide().
OutcomeKind nonDefinitiveKind(const AnswerInfo& a) {
  switch (a.kind) {
    case AnswerKind::kConfigFailure:
      return OutcomeKind::kConfigFailure;
    case AnswerKind::kBadAnswer:
      // Only a signature or identity failure is RESPONSE_BAD_SIGNATURE; a malformed body
      // (truncated, garbage) is an ordinary unknown outcome.
      return a.cause == AnswerCause::kBadSignature || a.cause == AnswerCause::kIdentityMismatch
                 ? OutcomeKind::kBadAnswer
                 : OutcomeKind::kUnknown;
    case AnswerKind::kRetryLater:
    case AnswerKind::kDefinitive:
      break;
  }
  return OutcomeKind::kUnknown;
}

}  // namespace

QueryOutcome toQueryOutcome(const OrderQueryAnswer& a) {
  QueryOutcome q;
  if (!a.definitive()) {
    q.kind = nonDefinitiveKind(a);
    q.detail = why(a);
    return q;
  }
  if (!a.result.exists) {
    q.kind = OutcomeKind::kOrderNotExist;
    q.detail = "ORDERNOTEXIST";
    return q;
  }
  q.kind = OutcomeKind::kAnswer;
  q.trade_state = a.result.trade_state;
  q.facts.total_fee = a.result.total_fee.value_or(0);
  q.facts.fee_type = a.result.fee_type;
  q.facts.transaction_id = a.result.transaction_id;
  q.facts.time_end = a.result.time_end;
  return q;
}

CloseOrderOutcome toCloseOutcome(const CloseOrderAnswer& a) {
  CloseOrderOutcome c;
  if (!a.definitive()) {
    c.kind = nonDefinitiveKind(a);
    c.detail = why(a);
    return c;
  }
  c.kind = OutcomeKind::kAnswer;
  switch (a.result) {
    case CloseOutcome::kClosed:
      c.result = CloseResult::kSuccess;
      break;
    case CloseOutcome::kOrderPaid:
      c.result = CloseResult::kOrderPaid;
      break;
    case CloseOutcome::kAlreadyClosed:
      c.result = CloseResult::kOrderClosed;
      break;
  }
  return c;
}

RefundOutcome toRefundOutcome(const RefundQueryAnswer& a) {
  RefundOutcome r;
  if (!a.definitive()) {
    r.kind = nonDefinitiveKind(a);
    r.detail = why(a);
    return r;
  }
  if (!a.result.exists) {
    r.kind = OutcomeKind::kOrderNotExist;
    r.detail = "REFUNDNOTEXIST";
    return r;
  }
  r.kind = OutcomeKind::kAnswer;
  r.total_fee = a.result.total_fee;
  r.transaction_id = a.result.transaction_id;
  return r;
}

OrderChecker::OrderChecker(NotificationStore& notifications, PayClient& client, const Clock& clock,
                           const std::vector<MerchantConfig>& merchants, const Policy& policy,
                           std::size_t max_body_bytes)
    : notifications_(notifications),
      client_(client),
      clock_(clock),
      merchants_(merchants),
      policy_(policy),
      max_body_bytes_(max_body_bytes) {}

Result<std::vector<NotificationFact>> OrderChecker::verifiedNotifications(const Order& o) const {
  auto rows = notifications_.forOrder(o.mch_id, o.out_trade_no);
  if (!rows) return rows.status();
  std::vector<NotificationFact> facts;
  for (const auto& row : *rows) {
    // Stored verdicts are advisory (DESIGN.md §4): the raw bytes are verified again.
    VerifiedNotification v = verifyNotification(row.raw_body, merchants_, max_body_bytes_);
    if (v.verdict != NotificationVerdict::kAccepted) continue;
    // The parsed columns may come from a merchant's own endpoint: the body must name the order.
    if (v.mch_id != o.mch_id || v.out_trade_no != o.out_trade_no) continue;
    const NotificationVerdict verdict = checkAgainstOrder(v, o);
    if (verdict != NotificationVerdict::kAccepted &&
        verdict != NotificationVerdict::kAmountMismatch) {
      continue;
    }
    NotificationFact f = v.fact();
    f.body_sha256 = row.body_sha256;
    facts.push_back(std::move(f));
  }
  return facts;
}

CheckResult OrderChecker::check(const Order& o, const MerchantConfig& m,
                                const CheckOptions& options, double jitter) const {
  CheckResult r;
  auto notified = verifiedNotifications(o);
  if (!notified) {
    r.end = CheckEnd::kNotificationsUnreadable;
    r.error = notified.status().message();
    return r;
  }
  const std::vector<NotificationFact> facts = std::move(*notified);
  auto count = [&r](const AnswerInfo& a) {
    ++r.wechat_calls;
    if (!a.definitive()) ++r.call_failures;
    if (a.cause == AnswerCause::kTransport) ++r.transport_failures;
  };

  DecisionInput in;
  in.order = &o;
  in.notifications = &facts;
  in.policy = &policy_;
  in.source = options.source;
  in.jitter = jitter;
  in.now = clock_.now();

  Decision& d = r.decision;
  std::vector<Decision> earlier;
  if (policy_.notification_is_evidence && isUnfinished(o.state) && !facts.empty()) {
    in.step = Step::kNotification;
    in.notification = facts.front();
    d = decide(in);
  } else {
    d.action = Action::kQuery;
    d.next_step = Step::kCheck;
  }
  if (hooks::broken(hooks::Break::kCloseWithoutQuery) && options.allow_close &&
      isUnfinished(o.state) && in.now >= closeDueAt(o, policy_)) {  // test build only
    in.step = Step::kCloseRequery;  // as if closeorder and its requery had said NOTPAY
    in.query.kind = OutcomeKind::kAnswer;
    d = decide(in);
  }

  // decide() -> perform its action -> decide() with the outcome, until no action is left. The
  // longest chain is query, close, requery, refundquery; the bound only guards against a bug.
  for (int round = 0; round < 8 && d.action != Action::kNone; ++round) {
    if (d.action == Action::kStopMerchant) break;
    if (options.abandon && options.abandon()) {
      r.end = CheckEnd::kAbandoned;
      return r;
    }
    if (d.action == Action::kCloseOrder && !options.allow_close) {
      r.end = CheckEnd::kCloseWanted;
      break;
    }
    earlier.push_back(d);
    const Action action = d.action;
    in.step = d.next_step;
    switch (action) {
      case Action::kQuery: {
        OrderQueryRequest req;
        req.appid = o.appid;
        req.out_trade_no = o.out_trade_no;
        OrderQueryAnswer a = client_.orderQuery(m, req);
        count(a);
        in.query = toQueryOutcome(a);
        if (a.kind == AnswerKind::kConfigFailure) in.query.detail = a.return_msg + " " + why(a);
        break;
      }
      case Action::kCloseOrder: {
        CloseOrderRequest req;
        req.appid = o.appid;
        req.out_trade_no = o.out_trade_no;
        CloseOrderAnswer a = client_.closeOrder(m, req);
        count(a);
        in.step = Step::kClose;
        in.close = toCloseOutcome(a);
        if (a.kind == AnswerKind::kConfigFailure) in.close.detail = a.return_msg + " " + why(a);
        break;
      }
      case Action::kRefundQuery: {
        RefundQueryRequest req;
        req.appid = o.appid;
        req.out_trade_no = o.out_trade_no;
        RefundQueryAnswer a = client_.refundQuery(m, req);
        count(a);
        in.step = Step::kRefundQuery;  // in.query keeps the orderquery that said REFUND
        in.refund = toRefundOutcome(a);
        if (a.kind == AnswerKind::kConfigFailure) in.refund.detail = a.return_msg + " " + why(a);
        break;
      }
      case Action::kNone:
      case Action::kStopMerchant:
        break;
    }
    in.now = clock_.now();
    d = decide(in);
  }

  if (d.action == Action::kStopMerchant) {
    r.end = CheckEnd::kMerchantStopped;
    r.stop_reason = in.query.detail;
    if (in.step == Step::kClose) r.stop_reason = in.close.detail;
    if (in.step == Step::kRefundQuery) r.stop_reason = in.refund.detail;
    return r;
  }
  if (r.end != CheckEnd::kCloseWanted && d.action != Action::kNone) {
    r.end = CheckEnd::kLoopBug;
    return r;
  }
  // Findings of the earlier steps of the chain (the final decision carries only its own).
  for (const auto& e : earlier) {
    for (const auto& f : e.findings) {
      const bool dup = std::any_of(d.findings.begin(), d.findings.end(),
                                   [&](const Finding& x) { return x.kind == f.kind; });
      if (!dup) d.findings.push_back(f);
    }
    for (const auto& res : e.resolves) {
      const bool dup = std::any_of(d.resolves.begin(), d.resolves.end(),
                                   [&](const AutoResolve& x) { return x.kind == res.kind; });
      if (!dup) d.resolves.push_back(res);
    }
  }
  return r;
}

}  // namespace wx
