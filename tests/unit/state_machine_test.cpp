// The decision function (DESIGN.md §5) — table-driven over (local state × outcome), each row
// with its reason, plus the schedules and the close sequence.
#include <catch2/catch.hpp>

#include "domain/state_machine.h"

using namespace wx;
using namespace std::chrono;

namespace {

const TimePoint kT0 = *parseIso8601Utc("2024-05-01T02:00:00Z");  // 10:00 Beijing

Order order(OrderState s) {
  Order o;
  o.id = 7;
  o.mch_id = "10000100";
  o.appid = "wx2421b1c4370ec43b";
  o.out_trade_no = "ORD-7";
  o.total_fee = 101;
  o.state = s;
  o.created_at = kT0;
  o.expire_at = kT0 + minutes(30);
  if (isPaidState(s) || s == OrderState::kReview) {
    o.transaction_id = "4200000001";
    o.paid_at = kT0 + minutes(1);
  }
  return o;
}

AnswerFacts paidFacts(Fen fee = 101, std::string txn = "4200000001") {
  AnswerFacts f;
  f.total_fee = fee;
  f.transaction_id = std::move(txn);
  f.time_end = kT0 + minutes(1);
  return f;
}

QueryOutcome answer(TradeState ts, AnswerFacts f = {}) {
  QueryOutcome q;
  q.kind = OutcomeKind::kAnswer;
  q.trade_state = ts;
  q.facts = std::move(f);
  return q;
}

QueryOutcome outcome(OutcomeKind k, std::string detail = "x") {
  QueryOutcome q;
  q.kind = k;
  q.detail = std::move(detail);
  return q;
}

struct Env {
  Policy policy;
  std::vector<NotificationFact> notes;
  Decision check(const Order& o, const QueryOutcome& q, TimePoint now,
                 TransitionSource src = TransitionSource::kQuery) {
    DecisionInput in;
    in.order = &o;
    in.notifications = &notes;
    in.step = Step::kCheck;
    in.query = q;
    in.now = now;
    in.policy = &policy;
    in.source = src;
    return decide(in);
  }
  Decision step(const Order& o, Step s, const QueryOutcome& q, TimePoint now) {
    DecisionInput in;
    in.order = &o;
    in.notifications = &notes;
    in.step = s;
    in.query = q;
    in.now = now;
    in.policy = &policy;
    return decide(in);
  }
  Decision close(const Order& o, OutcomeKind k, CloseResult r, TimePoint now) {
    DecisionInput in;
    in.order = &o;
    in.notifications = &notes;
    in.step = Step::kClose;
    in.close.kind = k;
    in.close.result = r;
    in.now = now;
    in.policy = &policy;
    return decide(in);
  }
  Decision refund(const Order& o, OutcomeKind k, Fen fee, std::string txn, TimePoint now) {
    DecisionInput in;
    in.order = &o;
    in.notifications = &notes;
    in.step = Step::kRefundQuery;
    in.query = answer(TradeState::kRefund, paidFacts());
    in.refund.kind = k;
    in.refund.total_fee = fee;
    in.refund.transaction_id = std::move(txn);
    in.now = now;
    in.policy = &policy;
    return decide(in);
  }
};

bool hasFinding(const Decision& d, DiscrepancyKind k) {
  for (const auto& f : d.findings) {
    if (f.kind == k) return true;
  }
  return false;
}

std::string finalName(const Decision& d, OrderState start) {
  return orderStateName(d.finalState().value_or(start));
}

}  // namespace

TEST_CASE("the transition table allows exactly DESIGN.md §5's moves", "[state]") {
  using S = OrderState;
  using T = TransitionSource;
  const S all[] = {S::kNotPay, S::kUserPaying, S::kSuccess, S::kRefund,
                   S::kClosed, S::kRevoked,    S::kPayError, S::kReview};
  const T sources[] = {T::kQuery, T::kNotify, T::kClose, T::kBill, T::kManual};
  for (S from : all) {
    for (S to : all) {
      for (T src : sources) {
        bool expected = false;
        if (from == to) {
          expected = false;
        } else if (from == S::kReview) {
          expected = src == T::kManual;  // REVIEW -> any state, resolve only
        } else if (src == T::kManual) {
          expected = false;
        } else if (isUnfinished(from)) {
          expected = to != S::kRefund &&  // REFUND only via SUCCESS (two rows)
                     (to != S::kClosed || src == T::kClose || src == T::kQuery);
        } else if (from == S::kSuccess) {
          expected = to == S::kRefund || to == S::kReview;
        } else {  // REFUND and the terminal states leave only for REVIEW
          expected = to == S::kReview;
        }
        INFO(orderStateName(from) << " -> " << orderStateName(to) << " by "
                                  << transitionSourceName(src));
        CHECK(isAllowedTransition(from, to, src) == expected);
      }
    }
  }
}

TEST_CASE("orderquery answers for unfinished orders", "[state]") {
  const TimePoint before_expiry = kT0 + minutes(10);
  const TimePoint after_expiry = kT0 + minutes(40);
  struct Row {
    OrderState from;
    QueryOutcome q;
    TimePoint now;
    const char* to;
    Action action;
    const char* why;
  };
  const Row rows[] = {
      {OrderState::kNotPay, answer(TradeState::kSuccess, paidFacts()), before_expiry, "SUCCESS",
       Action::kNone, "verified paid answer with the order's amount"},
      {OrderState::kUserPaying, answer(TradeState::kSuccess, paidFacts()), before_expiry, "SUCCESS",
       Action::kNone, "USERPAYING -> SUCCESS too"},
      {OrderState::kNotPay, answer(TradeState::kSuccess, paidFacts(100)), before_expiry, "REVIEW",
       Action::kNone, "amount differs: REVIEW, never SUCCESS"},
      {OrderState::kNotPay, answer(TradeState::kRefund, paidFacts()), before_expiry, "NOTPAY",
       Action::kRefundQuery, "REFUND carries no amount: confirm with refundquery first"},
      {OrderState::kNotPay, answer(TradeState::kNotPay), before_expiry, "NOTPAY", Action::kNone,
       "still unpaid, not expired: poll"},
      {OrderState::kUserPaying, answer(TradeState::kNotPay), before_expiry, "NOTPAY", Action::kNone,
       "USERPAYING -> NOTPAY by query"},
      {OrderState::kNotPay, answer(TradeState::kUserPaying), before_expiry, "USERPAYING",
       Action::kNone, "NOTPAY -> USERPAYING by query"},
      {OrderState::kNotPay, answer(TradeState::kNotPay), after_expiry, "NOTPAY", Action::kCloseOrder,
       "expired and still NOTPAY: close"},
      {OrderState::kUserPaying, answer(TradeState::kUserPaying), after_expiry, "USERPAYING",
       Action::kNone, "never close while the user is paying"},
      {OrderState::kNotPay, answer(TradeState::kClosed), before_expiry, "CLOSED", Action::kNone,
       "WeChat says CLOSED"},
      {OrderState::kNotPay, answer(TradeState::kRevoked), before_expiry, "REVOKED", Action::kNone,
       "micropay revoked"},
      {OrderState::kUserPaying, answer(TradeState::kPayError), before_expiry, "PAYERROR",
       Action::kNone, "micropay failed"},
      {OrderState::kNotPay, outcome(OutcomeKind::kOrderNotExist), before_expiry, "NOTPAY",
       Action::kNone, "not created at WeChat yet, before expiry: poll"},
      {OrderState::kNotPay, outcome(OutcomeKind::kUnknown), after_expiry, "NOTPAY", Action::kNone,
       "unknown is never terminal"},
      {OrderState::kNotPay, outcome(OutcomeKind::kBadAnswer), after_expiry, "NOTPAY", Action::kNone,
       "a badly signed answer proves nothing"},
      {OrderState::kNotPay, outcome(OutcomeKind::kConfigFailure), after_expiry, "NOTPAY",
       Action::kStopMerchant, "our own request was refused: stop the merchant"},
  };
  for (const auto& r : rows) {
    INFO(r.why);
    Env env;
    const Order o = order(r.from);
    const Decision d = env.check(o, r.q, r.now);
    CHECK(finalName(d, r.from) == std::string(r.to));
    CHECK(d.action == r.action);
    for (const auto& t : d.transitions) CHECK(isAllowedTransition(t.from, t.to, t.source));
  }
}

TEST_CASE("SUCCESS records WeChat's transaction and time_end, not the time we learned it", "[state]") {
  Env env;
  const Decision d = env.check(order(OrderState::kNotPay), answer(TradeState::kSuccess, paidFacts()),
                               kT0 + hours(5));
  REQUIRE(d.transitions.size() == 1);
  CHECK(d.transitions[0].source == TransitionSource::kQuery);
  CHECK(*d.set_transaction_id == "4200000001");
  CHECK(*d.set_paid_at == kT0 + minutes(1));
  CHECK_THAT(d.transitions[0].evidence, Catch::Contains("transaction_id=4200000001") &&
                                            Catch::Contains("total_fee=101") &&
                                            Catch::Contains("time_end=20240501100100"));
  CHECK(d.outcome == "paid");
}

TEST_CASE("amount mismatch goes to REVIEW with AMOUNT_MISMATCH", "[state]") {
  Env env;
  const Decision d = env.check(order(OrderState::kNotPay), answer(TradeState::kSuccess, paidFacts(1)),
                               kT0 + minutes(2));
  CHECK(finalName(d, OrderState::kNotPay) == "REVIEW");
  REQUIRE(hasFinding(d, DiscrepancyKind::kAmountMismatch));
  CHECK_FALSE(d.set_transaction_id.has_value());
  CHECK(severityOf(DiscrepancyKind::kAmountMismatch) == Severity::kHigh);
  // Currency is checked too (RELIABILITY.md invariant 2).
  AnswerFacts usd = paidFacts();
  usd.fee_type = "USD";
  const Decision d2 = env.check(order(OrderState::kNotPay), answer(TradeState::kSuccess, usd),
                                kT0 + minutes(2));
  CHECK(finalName(d2, OrderState::kNotPay) == "REVIEW");
}

TEST_CASE("a paid answer without transaction_id or time_end proves nothing", "[state]") {
  Env env;
  AnswerFacts f = paidFacts();
  f.time_end.reset();
  const Decision d = env.check(order(OrderState::kNotPay), answer(TradeState::kSuccess, f),
                               kT0 + minutes(2));
  CHECK(d.transitions.empty());
  CHECK(d.check_attempts == 1);
  CHECK(hasFinding(d, DiscrepancyKind::kResponseBadSignature));
}

TEST_CASE("answers for finished and REVIEW orders move only along the table", "[state]") {
  struct Row {
    OrderState from;
    QueryOutcome q;
    const char* to;
    DiscrepancyKind kind;
    bool expect_finding;
    const char* why;
  };
  const DiscrepancyKind none = DiscrepancyKind::kNotifyMissing;
  const Row rows[] = {
      {OrderState::kClosed, answer(TradeState::kSuccess, paidFacts()), "REVIEW",
       DiscrepancyKind::kPaidAfterClose, true, "paid after local close"},
      {OrderState::kRevoked, answer(TradeState::kRefund, paidFacts()), "REVIEW",
       DiscrepancyKind::kPaidAfterClose, true, "refunded means paid"},
      {OrderState::kPayError, answer(TradeState::kSuccess, paidFacts()), "REVIEW",
       DiscrepancyKind::kPaidAfterClose, true, "PAYERROR then paid"},
      {OrderState::kClosed, answer(TradeState::kClosed), "CLOSED", none, false, "agrees"},
      {OrderState::kClosed, answer(TradeState::kNotPay), "CLOSED", none, false,
       "terminal never goes back to NOTPAY"},
      {OrderState::kSuccess, answer(TradeState::kRefund, paidFacts()), "REFUND", none, false,
       "SUCCESS -> REFUND"},
      {OrderState::kSuccess, answer(TradeState::kSuccess, paidFacts()), "SUCCESS", none, false,
       "agrees"},
      {OrderState::kSuccess, answer(TradeState::kSuccess, paidFacts(5)), "REVIEW",
       DiscrepancyKind::kAmountMismatch, true, "amount differs"},
      {OrderState::kSuccess, answer(TradeState::kSuccess, paidFacts(101, "4299999999")), "REVIEW",
       DiscrepancyKind::kResponseBadSignature, true, "transaction_id never changes"},
      {OrderState::kSuccess, answer(TradeState::kNotPay), "SUCCESS",
       DiscrepancyKind::kBillStatusMismatch, true, "never moves a paid order backwards"},
      {OrderState::kRefund, answer(TradeState::kSuccess, paidFacts()), "REFUND",
       DiscrepancyKind::kBillStatusMismatch, true, "REFUND never goes back to SUCCESS"},
      {OrderState::kRefund, answer(TradeState::kRefund, paidFacts(3)), "REVIEW",
       DiscrepancyKind::kAmountMismatch, true, "REFUND -> REVIEW on amount"},
      {OrderState::kReview, answer(TradeState::kSuccess, paidFacts()), "REVIEW", none, false,
       "only a person moves REVIEW"},
      {OrderState::kClosed, outcome(OutcomeKind::kUnknown), "CLOSED", none, false,
       "unknown changes nothing"},
  };
  for (const auto& r : rows) {
    INFO(r.why);
    Env env;
    const Decision d = env.check(order(r.from), r.q, kT0 + hours(1));
    CHECK(finalName(d, r.from) == std::string(r.to));
    if (r.expect_finding) CHECK(hasFinding(d, r.kind));
    for (const auto& t : d.transitions) CHECK(isAllowedTransition(t.from, t.to, t.source));
  }
}

TEST_CASE("the close sequence", "[state][close]") {
  Env env;
  const Order o = order(OrderState::kNotPay);
  const TimePoint now = kT0 + minutes(40);
  SECTION("close SUCCESS, requery CLOSED -> CLOSED") {
    auto c = env.close(o, OutcomeKind::kAnswer, CloseResult::kSuccess, now);
    CHECK(c.action == Action::kQuery);
    CHECK(c.next_step == Step::kCloseRequery);
    CHECK(c.transitions.empty());
    auto r = env.step(o, Step::kCloseRequery, answer(TradeState::kClosed), now);
    CHECK(finalName(r, o.state) == "CLOSED");
    CHECK(r.transitions[0].source == TransitionSource::kClose);
    CHECK(r.transitions[0].evidence == "close=SUCCESS, requery=CLOSED");
    CHECK_FALSE(r.close_confirm_at.has_value());
  }
  SECTION("close SUCCESS, requery NOTPAY -> CLOSED with one more query after close_grace_s") {
    auto r = env.step(o, Step::kCloseRequery, answer(TradeState::kNotPay), now);
    CHECK(finalName(r, o.state) == "CLOSED");
    CHECK(r.transitions[0].evidence == "close=SUCCESS, requery=NOTPAY");
    REQUIRE(r.close_confirm_at.has_value());
    CHECK(*r.close_confirm_at == now + seconds(60));
    // The confirming query: paid after all -> REVIEW + PAID_AFTER_CLOSE.
    Order closed = order(OrderState::kClosed);
    closed.close_confirm_at = r.close_confirm_at;
    auto late = env.check(closed, answer(TradeState::kSuccess, paidFacts()), now + seconds(61));
    CHECK(finalName(late, OrderState::kClosed) == "REVIEW");
    CHECK(hasFinding(late, DiscrepancyKind::kPaidAfterClose));
    CHECK_FALSE(late.close_confirm_at.has_value());
  }
  SECTION("close SUCCESS, requery SUCCESS -> the paid path") {
    auto r = env.step(o, Step::kCloseRequery, answer(TradeState::kSuccess, paidFacts()), now);
    CHECK(finalName(r, o.state) == "SUCCESS");
  }
  SECTION("ORDERPAID -> query -> SUCCESS; no confirmation -> retry, never CLOSED") {
    auto c = env.close(o, OutcomeKind::kAnswer, CloseResult::kOrderPaid, now);
    CHECK(c.action == Action::kQuery);
    CHECK(c.next_step == Step::kPaidRequery);
    auto r = env.step(o, Step::kPaidRequery, answer(TradeState::kSuccess, paidFacts()), now);
    CHECK(finalName(r, o.state) == "SUCCESS");
    auto u = env.step(o, Step::kPaidRequery, answer(TradeState::kNotPay), now);
    CHECK(u.transitions.empty());
    CHECK(u.check_attempts == 1);
  }
  SECTION("ORDERCLOSED -> requery too") {
    auto c = env.close(o, OutcomeKind::kAnswer, CloseResult::kOrderClosed, now);
    CHECK(c.next_step == Step::kCloseRequery);
  }
  SECTION("any other closeorder answer: retry later, never terminal") {
    for (auto k : {OutcomeKind::kUnknown, OutcomeKind::kBadAnswer, OutcomeKind::kOrderNotExist}) {
      auto c = env.close(o, k, CloseResult::kOtherError, now);
      CHECK(c.transitions.empty());
      CHECK(c.check_attempts == 1);
      REQUIRE(c.next_check_at.has_value());
    }
    auto e = env.close(o, OutcomeKind::kAnswer, CloseResult::kOtherError, now);
    CHECK(e.transitions.empty());
  }
  SECTION("never close within 5 minutes of creation") {
    Order young = o;
    young.expire_at = kT0 + seconds(10);  // a short expiry
    auto d = env.check(young, answer(TradeState::kNotPay), kT0 + minutes(2));
    CHECK(d.action == Action::kNone);
    CHECK(*d.next_check_at == kT0 + minutes(4));  // the poll schedule (1m, then 2m) comes first
    auto d2 = env.check(young, answer(TradeState::kNotPay), kT0 + minutes(5));
    CHECK(d2.action == Action::kCloseOrder);
  }
  SECTION("not before expire_at + close_grace_s") {
    auto d = env.check(o, answer(TradeState::kNotPay), kT0 + minutes(30) + seconds(59));
    CHECK(d.action == Action::kNone);
    CHECK(*d.next_check_at == kT0 + minutes(31));
    auto d2 = env.check(o, answer(TradeState::kNotPay), kT0 + minutes(31));
    CHECK(d2.action == Action::kCloseOrder);
  }
}

TEST_CASE("ORDERNOTEXIST after expiry closes only after two answers close_grace_s apart", "[state]") {
  Env env;
  Order o = order(OrderState::kNotPay);
  const TimePoint t1 = kT0 + minutes(40);
  auto first = env.check(o, outcome(OutcomeKind::kOrderNotExist), t1);
  CHECK(first.transitions.empty());
  REQUIRE(first.not_exist_first_at.has_value());
  CHECK(*first.next_check_at == t1 + seconds(60));
  o.not_exist_first_at = first.not_exist_first_at;
  auto early = env.check(o, outcome(OutcomeKind::kOrderNotExist), t1 + seconds(30));
  CHECK(early.transitions.empty());
  auto second = env.check(o, outcome(OutcomeKind::kOrderNotExist), t1 + seconds(60));
  CHECK(finalName(second, o.state) == "CLOSED");
  CHECK(second.transitions[0].source == TransitionSource::kClose);
  CHECK_THAT(second.transitions[0].evidence, Catch::Contains("never created at WeChat"));
  // A different answer in between resets the count.
  auto notpay = env.check(o, answer(TradeState::kNotPay), t1 + seconds(10));
  CHECK_FALSE(notpay.not_exist_first_at.has_value());
}

TEST_CASE("REFUND for an order never SUCCESS locally: confirm, then two transitions", "[state]") {
  Env env;
  const Order o = order(OrderState::kNotPay);
  auto ok = env.refund(o, OutcomeKind::kAnswer, 101, "4200000001", kT0 + hours(2));
  REQUIRE(ok.transitions.size() == 2);
  CHECK(ok.transitions[0].to == OrderState::kSuccess);
  CHECK(ok.transitions[1].from == OrderState::kSuccess);
  CHECK(ok.transitions[1].to == OrderState::kRefund);
  CHECK(*ok.set_paid_at == kT0 + minutes(1));
  auto wrong = env.refund(o, OutcomeKind::kAnswer, 50, "4200000001", kT0 + hours(2));
  CHECK(finalName(wrong, o.state) == "REVIEW");
  CHECK(hasFinding(wrong, DiscrepancyKind::kAmountMismatch));
  auto none = env.refund(o, OutcomeKind::kOrderNotExist, 0, "", kT0 + hours(2));
  CHECK(finalName(none, o.state) == "REVIEW");  // the amount cannot be confirmed
  auto later = env.refund(o, OutcomeKind::kUnknown, 0, "", kT0 + hours(2));
  CHECK(later.transitions.empty());  // a timeout is not "cannot be confirmed"
  CHECK(later.check_attempts == 1);
  // SUCCESS locally: one transition.
  auto one = env.refund(order(OrderState::kSuccess), OutcomeKind::kAnswer, 101, "4200000001",
                        kT0 + hours(2));
  REQUIRE(one.transitions.size() == 1);
  CHECK(one.transitions[0].to == OrderState::kRefund);
}

TEST_CASE("unknown outcomes back off with jitter, then QUERY_EXHAUSTED hourly", "[state]") {
  Env env;
  Order o = order(OrderState::kNotPay);
  const TimePoint now = kT0 + minutes(3);
  const seconds expected[] = {seconds(15), seconds(30), seconds(60), seconds(120),
                              seconds(300), seconds(600), seconds(1800), seconds(3600)};
  for (int i = 0; i < 8; ++i) {
    o.check_attempts = i;
    for (double j : {0.0, 0.5, 0.999}) {
      DecisionInput in;
      in.order = &o;
      in.step = Step::kCheck;
      in.query = outcome(OutcomeKind::kUnknown);
      in.now = now;
      in.policy = &env.policy;
      in.jitter = j;
      auto d = decide(in);
      CHECK(d.check_attempts == i + 1);
      const auto delay = *d.next_check_at - now;
      const auto base = duration_cast<Millis>(expected[i]);
      CHECK(delay >= base * 8 / 10);
      CHECK(delay <= base * 12 / 10);
      CHECK_FALSE(hasFinding(d, DiscrepancyKind::kQueryExhausted));
    }
  }
  o.check_attempts = 8;
  auto exhausted = env.check(o, outcome(OutcomeKind::kUnknown), now);
  CHECK(exhausted.check_attempts == 9);
  CHECK(hasFinding(exhausted, DiscrepancyKind::kQueryExhausted));
  CHECK(*exhausted.next_check_at == now + hours(1));
  o.check_attempts = 9;
  auto again = env.check(o, outcome(OutcomeKind::kUnknown), now);
  CHECK_FALSE(hasFinding(again, DiscrepancyKind::kQueryExhausted));  // raised once
  CHECK(*again.next_check_at == now + hours(1));
  // A definitive answer resets the count and clears QUERY_EXHAUSTED.
  auto answered = env.check(o, answer(TradeState::kNotPay), now);
  CHECK(answered.check_attempts == 0);
  REQUIRE(answered.resolves.size() == 1);
  CHECK(answered.resolves[0].kind == DiscrepancyKind::kQueryExhausted);
}

TEST_CASE("a merchant configuration failure changes nothing", "[state]") {
  Env env;
  Order o = order(OrderState::kNotPay);
  o.check_attempts = 3;
  o.next_check_at = kT0 + minutes(9);
  auto d = env.check(o, outcome(OutcomeKind::kConfigFailure), kT0 + minutes(10));
  CHECK(d.action == Action::kStopMerchant);
  CHECK(d.transitions.empty());
  CHECK(d.check_attempts == 3);
  CHECK(d.next_check_at == o.next_check_at);
}

TEST_CASE("poll schedule after definitive unpaid answers", "[state]") {
  Env env;
  Order o = order(OrderState::kNotPay);
  o.expire_at = kT0 + hours(24);
  // created at T0; cumulative offsets 1m, 3m, 8m, 18m, 48m, then every 30m
  CHECK(nextPollAt(o, kT0 + seconds(10), env.policy) == kT0 + seconds(10) + minutes(1));
  CHECK(nextPollAt(o, kT0 + minutes(1), env.policy) == kT0 + minutes(3));
  CHECK(nextPollAt(o, kT0 + minutes(4), env.policy) == kT0 + minutes(9));
  CHECK(nextPollAt(o, kT0 + minutes(10), env.policy) == kT0 + minutes(20));
  CHECK(nextPollAt(o, kT0 + hours(5), env.policy) == kT0 + hours(5) + minutes(30));
  // Never later than the close due time.
  o.expire_at = kT0 + minutes(6);
  CHECK(nextPollAt(o, kT0 + minutes(4), env.policy) == kT0 + minutes(7));
}

TEST_CASE("notifications: unconfirmed, mismatched, and as evidence", "[state][notify]") {
  Env env;
  NotificationFact n;
  n.transaction_id = "4200000001";
  n.total_fee = 101;
  n.time_end = kT0 + minutes(1);
  n.body_sha256 = "ab";
  env.notes = {n};
  const Order o = order(OrderState::kNotPay);
  SECTION("query ≥ 60 s after time_end says NOTPAY: NOTIFY_UNCONFIRMED, keeps the state, not closed") {
    auto d = env.check(o, answer(TradeState::kNotPay), kT0 + minutes(40));
    CHECK(hasFinding(d, DiscrepancyKind::kNotifyUnconfirmed));
    CHECK(d.transitions.empty());
    CHECK(d.action == Action::kNone);  // never closed while a verified notification says paid
    REQUIRE(d.next_check_at.has_value());
  }
  SECTION("query within 60 s of time_end: no finding yet") {
    auto d = env.check(o, answer(TradeState::kNotPay), kT0 + minutes(1) + seconds(30));
    CHECK_FALSE(hasFinding(d, DiscrepancyKind::kNotifyUnconfirmed));
  }
  SECTION("notification differs from the query: NOTIFY_MISMATCH") {
    env.notes[0].time_end = kT0 + minutes(2);
    auto d = env.check(o, answer(TradeState::kSuccess, paidFacts()), kT0 + minutes(5));
    CHECK(finalName(d, o.state) == "SUCCESS");
    CHECK(hasFinding(d, DiscrepancyKind::kNotifyMismatch));
  }
  SECTION("notification as evidence only when the policy says so") {
    DecisionInput in;
    in.order = &o;
    in.step = Step::kNotification;
    in.notification = n;
    in.now = kT0 + minutes(2);
    in.policy = &env.policy;
    auto d = decide(in);
    CHECK(d.transitions.empty());
    CHECK(d.action == Action::kQuery);
    env.policy.notification_is_evidence = true;
    auto e = decide(in);
    REQUIRE(e.transitions.size() == 1);
    CHECK(e.transitions[0].to == OrderState::kSuccess);
    CHECK(e.transitions[0].source == TransitionSource::kNotify);
    in.notification.total_fee = 1;
    auto m = decide(in);
    CHECK(finalName(m, o.state) == "REVIEW");
    CHECK(hasFinding(m, DiscrepancyKind::kAmountMismatch));
  }
}

TEST_CASE("the caller's source labels query transitions", "[state]") {
  Env env;
  auto d = env.check(order(OrderState::kNotPay), answer(TradeState::kSuccess, paidFacts()),
                     kT0 + minutes(2), TransitionSource::kBill);
  REQUIRE(d.transitions.size() == 1);
  CHECK(d.transitions[0].source == TransitionSource::kBill);
}

TEST_CASE("names map one to one", "[state]") {
  for (auto s : {OrderState::kNotPay, OrderState::kUserPaying, OrderState::kSuccess,
                 OrderState::kRefund, OrderState::kClosed, OrderState::kRevoked,
                 OrderState::kPayError, OrderState::kReview}) {
    CHECK(*parseOrderState(orderStateName(s)) == s);
  }
  CHECK_FALSE(parseOrderState("PAID").isOk());
  DiscrepancyKind k;
  CHECK(parseDiscrepancyKind("LOCAL_ONLY", k));
  CHECK(k == DiscrepancyKind::kLocalOnly);
  CHECK(severityOf(DiscrepancyKind::kNotifyMissing) == Severity::kLow);
  CHECK(severityOf(DiscrepancyKind::kQueryExhausted) == Severity::kMedium);
}
