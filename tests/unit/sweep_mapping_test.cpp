// The one mapping from PayClient answers to the decision function's outcomes (service/sweep.h).
#include <catch2/catch.hpp>

#include "service/sweep.h"

using namespace wx;

namespace {

template <typename A>
A answer(AnswerKind kind, AnswerCause cause) {
  A a;
  a.kind = kind;
  a.cause = cause;
  return a;
}

}  // namespace

TEST_CASE("toQueryOutcome: each answer kind and cause", "[sweep][unit]") {
  struct Row {
    AnswerKind kind;
    AnswerCause cause;
    OutcomeKind want;
    const char* why;
  };
  const Row rows[] = {
      {AnswerKind::kRetryLater, AnswerCause::kTransport, OutcomeKind::kUnknown, "timeout/reset"},
      {AnswerKind::kRetryLater, AnswerCause::kSystemError, OutcomeKind::kUnknown, "SYSTEMERROR"},
      {AnswerKind::kRetryLater, AnswerCause::kFrequencyLimited, OutcomeKind::kUnknown, "QPS"},
      {AnswerKind::kBadAnswer, AnswerCause::kBadSignature, OutcomeKind::kBadAnswer,
       "bad signature: RESPONSE_BAD_SIGNATURE"},
      {AnswerKind::kBadAnswer, AnswerCause::kIdentityMismatch, OutcomeKind::kBadAnswer,
       "another order's answer: RESPONSE_BAD_SIGNATURE"},
      {AnswerKind::kBadAnswer, AnswerCause::kMalformed, OutcomeKind::kUnknown,
       "a truncated body is an ordinary unknown"},
      {AnswerKind::kConfigFailure, AnswerCause::kReturnCodeFail, OutcomeKind::kConfigFailure,
       "return_code=FAIL"},
      {AnswerKind::kConfigFailure, AnswerCause::kRequestRejected, OutcomeKind::kConfigFailure,
       "SIGNERROR"},
  };
  for (const auto& r : rows) {
    INFO(r.why);
    CHECK(toQueryOutcome(answer<OrderQueryAnswer>(r.kind, r.cause)).kind == r.want);
    CHECK(toCloseOutcome(answer<CloseOrderAnswer>(r.kind, r.cause)).kind == r.want);
    CHECK(toRefundOutcome(answer<RefundQueryAnswer>(r.kind, r.cause)).kind == r.want);
  }
}

TEST_CASE("toQueryOutcome: definitive answers carry their facts", "[sweep][unit]") {
  auto a = answer<OrderQueryAnswer>(AnswerKind::kDefinitive, AnswerCause::kNone);
  a.result.exists = false;
  CHECK(toQueryOutcome(a).kind == OutcomeKind::kOrderNotExist);

  a.result.exists = true;
  a.result.trade_state = TradeState::kSuccess;
  a.result.total_fee = 1234;
  a.result.transaction_id = "4200000001";
  a.result.time_end = TimePoint(Millis(1714521600000));
  const QueryOutcome q = toQueryOutcome(a);
  CHECK(q.kind == OutcomeKind::kAnswer);
  CHECK(q.trade_state == TradeState::kSuccess);
  CHECK(q.facts.total_fee == 1234);
  CHECK(q.facts.transaction_id == "4200000001");
  CHECK(q.facts.time_end == a.result.time_end);

  auto r = answer<RefundQueryAnswer>(AnswerKind::kDefinitive, AnswerCause::kNone);
  r.result.exists = false;
  CHECK(toRefundOutcome(r).kind == OutcomeKind::kOrderNotExist);
  r.result.exists = true;
  r.result.total_fee = 800;
  r.result.transaction_id = "4200000002";
  CHECK(toRefundOutcome(r).kind == OutcomeKind::kAnswer);
  CHECK(toRefundOutcome(r).total_fee == 800);
}

TEST_CASE("toCloseOutcome: closeorder results", "[sweep][unit]") {
  auto c = answer<CloseOrderAnswer>(AnswerKind::kDefinitive, AnswerCause::kNone);
  c.result = CloseOutcome::kClosed;
  CHECK(toCloseOutcome(c).result == CloseResult::kSuccess);
  c.result = CloseOutcome::kAlreadyClosed;
  CHECK(toCloseOutcome(c).result == CloseResult::kOrderClosed);
  c.result = CloseOutcome::kOrderPaid;
  CHECK(toCloseOutcome(c).result == CloseResult::kOrderPaid);
  CHECK(toCloseOutcome(c).kind == OutcomeKind::kAnswer);
}

TEST_CASE("SweepSummary::exitCode follows DESIGN.md section 1", "[sweep][unit]") {
  SweepSummary s;
  CHECK(s.exitCode() == 0);
  s.new_high = 1;
  CHECK(s.exitCode() == 3);
  s.wechat_calls = 4;
  s.transport_failures = 4;
  CHECK(s.exitCode() == 1);  // WeChat unreachable for every call
  s.transport_failures = 3;
  CHECK(s.exitCode() == 3);
  s.store_failures = 1;
  CHECK(s.exitCode() == 1);  // an order could not be read or written
  CHECK(s.runStatus() == "FAILED");
  s.store_failures = 0;
  s.stopped_merchants["10000100"] = "签名错误";
  CHECK(s.exitCode() == 2);
  s.db_failed = true;
  CHECK(s.exitCode() == 1);
}
