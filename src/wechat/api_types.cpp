#include "wechat/api_types.h"

#include <utility>

namespace wx {
namespace {

// The one table between WeChat's trade_state strings and TradeState (WECHATPAY_V2.md §2).
constexpr std::pair<TradeState, const char*> kTradeStates[] = {
    {TradeState::kSuccess, "SUCCESS"},   {TradeState::kRefund, "REFUND"},
    {TradeState::kNotPay, "NOTPAY"},     {TradeState::kClosed, "CLOSED"},
    {TradeState::kRevoked, "REVOKED"},   {TradeState::kUserPaying, "USERPAYING"},
    {TradeState::kPayError, "PAYERROR"},
};

// refund_status_$n (WECHATPAY_V2.md §6). "FAIL" appears only in WxJava's javadoc: not mapped.
constexpr std::pair<RefundStatus, const char*> kRefundStatuses[] = {
    {RefundStatus::kSuccess, "SUCCESS"},
    {RefundStatus::kRefundClose, "REFUNDCLOSE"},
    {RefundStatus::kProcessing, "PROCESSING"},
    {RefundStatus::kChange, "CHANGE"},
};

}  // namespace

const char* answerKindName(AnswerKind k) {
  switch (k) {
    case AnswerKind::kDefinitive:
      return "definitive";
    case AnswerKind::kRetryLater:
      return "retry_later";
    case AnswerKind::kBadAnswer:
      return "bad_answer";
    case AnswerKind::kConfigFailure:
      return "config_failure";
  }
  return "unknown";
}

const char* answerCauseName(AnswerCause c) {
  switch (c) {
    case AnswerCause::kNone:
      return "none";
    case AnswerCause::kTransport:
      return "transport";
    case AnswerCause::kHttpStatus:
      return "http_status";
    case AnswerCause::kSystemError:
      return "system_error";
    case AnswerCause::kFrequencyLimited:
      return "frequency_limited";
    case AnswerCause::kBillNotReady:
      return "bill_not_ready";
    case AnswerCause::kUnknownOutcome:
      return "unknown_outcome";
    case AnswerCause::kMalformed:
      return "malformed";
    case AnswerCause::kBadSignature:
      return "bad_signature";
    case AnswerCause::kIdentityMismatch:
      return "identity_mismatch";
    case AnswerCause::kReturnCodeFail:
      return "return_code_fail";
    case AnswerCause::kRequestRejected:
      return "request_rejected";
  }
  return "unknown";
}

const char* tradeStateWireName(TradeState s) {
  for (const auto& [state, wire] : kTradeStates) {
    if (state == s) return wire;
  }
  return "?";
}

std::optional<TradeState> tradeStateFromWire(const std::string& wire) {
  for (const auto& [state, name] : kTradeStates) {
    if (wire == name) return state;
  }
  return std::nullopt;
}

const char* refundStatusWireName(RefundStatus s) {
  for (const auto& [status, wire] : kRefundStatuses) {
    if (status == s) return wire;
  }
  return "?";
}

std::optional<RefundStatus> refundStatusFromWire(const std::string& wire) {
  for (const auto& [status, name] : kRefundStatuses) {
    if (wire == name) return status;
  }
  return std::nullopt;
}

const char* billTypeWireName(BillType t) {
  switch (t) {
    case BillType::kAll:
      return "ALL";
    case BillType::kSuccess:
      return "SUCCESS";
    case BillType::kRefund:
      return "REFUND";
    case BillType::kRechargeRefund:
      return "RECHARGE_REFUND";
  }
  return "ALL";
}

const char* billStatusName(BillStatus s) {
  switch (s) {
    case BillStatus::kBill:
      return "bill";
    case BillStatus::kEmpty:
      return "empty";
    case BillStatus::kNotReady:
      return "not_ready";
    case BillStatus::kFailed:
      return "failed";
  }
  return "failed";
}

}  // namespace wx
