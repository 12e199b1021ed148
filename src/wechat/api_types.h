// Typed answers of the WeChat Pay v2 calls wxrecon makes (WECHATPAY_V2.md §2, §3, §5, §6).
// Wire names (trade_state strings, err_codes) are mapped to these enums in one table each, in
// api_types.cpp; nothing outside the codecs compares WeChat strings.
//
// Every answer says first what the caller may conclude (AnswerKind, DESIGN.md §5), then carries
// the business content, meaningful only when kind == kDefinitive (bill: see BillResult).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/money.h"
#include "common/time.h"
#include "domain/trade_state.h"
#include "wechat/http_transport.h"
#include "wechat/xml_codec.h"

namespace wx {

enum class AnswerKind {
  kDefinitive,     // a verified answer with a business outcome (NOTPAY is definitive)
  kRetryLater,     // transport failure, HTTP non-200, SYSTEMERROR, FREQUENCY_LIMITED, bill not
                   // ready, an unknown err_code or state: nothing is known, reschedule
  kBadAnswer,      // bad signature, identity mismatch, malformed XML: reschedule like kRetryLater
                   // but report it (RESPONSE_BAD_SIGNATURE for kBadSignature/kIdentityMismatch)
  kConfigFailure,  // return_code=FAIL to our request, SIGNERROR, REQUIRE_POST_METHOD,
                   // XML_FORMAT_ERROR: stop calling WeChat for this merchant in this run
};
const char* answerKindName(AnswerKind k);

// The precise reason behind a non-definitive kind (for logs, metrics and tests).
enum class AnswerCause {
  kNone,
  kTransport,         // see AnswerInfo::transport
  kHttpStatus,        // see AnswerInfo::http_status
  kSystemError,       // err_code SYSTEMERROR (or a bill's SYSTEMERROR / gzip error)
  kFrequencyLimited,  // err_code FREQUENCY_LIMITED (the merchant's rate is halved for 60 s)
  kBillNotReady,      // "Bill Creating"
  kUnknownOutcome,    // an err_code, trade_state, refund_status or bill message we do not know
  kMalformed,         // not parseable, or a required field missing or malformed
  kBadSignature,
  kIdentityMismatch,  // appid, mch_id, out_trade_no, transaction_id... not what we asked
  kReturnCodeFail,    // return_code=FAIL (return_msg says why)
  kRequestRejected,   // SIGNERROR / REQUIRE_POST_METHOD / XML_FORMAT_ERROR / bill request bugs
};
const char* answerCauseName(AnswerCause c);

// What every answer carries besides its result. Never holds the API key.
struct AnswerInfo {
  AnswerKind kind = AnswerKind::kRetryLater;
  AnswerCause cause = AnswerCause::kNone;
  std::string detail;  // human-readable reason for logs; empty when definitive
  TransportOutcome transport = TransportOutcome::kOk;  // of the last attempt
  int http_status = 0;
  bool via_backup = false;  // answered by backup_url after a connect failure
  bool verified_with_previous_key = false;
  std::string return_msg;  // WeChat's return_msg when present
  std::string err_code;    // result_code=FAIL
  std::string err_code_des;
  FieldMap fields;  // the parsed (and, when signed, verified) answer: evidence
  bool definitive() const { return kind == AnswerKind::kDefinitive; }
};

// ---- orderquery -------------------------------------------------------------------------------

// WeChat's trade_state (WECHATPAY_V2.md §2). ACCEPT (pap only) and unknown strings are not
// mapped: such an answer is kRetryLater/kUnknownOutcome.
const char* tradeStateWireName(TradeState s);  // "SUCCESS", "NOTPAY", ...
std::optional<TradeState> tradeStateFromWire(const std::string& wire);

struct OrderQueryRequest {
  std::string appid;           // the order's appid (must be one of the merchant's)
  std::string out_trade_no;    // one of the two is required; when both are given,
  std::string transaction_id;  // transaction_id is sent and both are checked in the answer
};

struct OrderQueryResult {
  bool exists = true;  // false: ORDERNOTEXIST (then nothing below is set)
  TradeState trade_state = TradeState::kNotPay;
  std::string trade_state_desc;
  std::string out_trade_no;
  std::string transaction_id;  // set when SUCCESS (required then)
  std::string trade_type, bank_type, fee_type, cash_fee_type, attach, openid;
  std::optional<Fen> total_fee;  // required when SUCCESS
  std::optional<Fen> cash_fee, settlement_total_fee, coupon_fee;
  std::optional<TimePoint> time_end;  // UTC; required when SUCCESS
};

struct OrderQueryAnswer : AnswerInfo {
  OrderQueryResult result;
};

// ---- closeorder -------------------------------------------------------------------------------

enum class CloseOutcome {
  kClosed,         // result_code=SUCCESS (re-query before concluding: DESIGN.md §5)
  kOrderPaid,      // ORDERPAID: go down the paid path
  kAlreadyClosed,  // ORDERCLOSED
};

struct CloseOrderRequest {
  std::string appid;
  std::string out_trade_no;
};

struct CloseOrderAnswer : AnswerInfo {
  CloseOutcome result = CloseOutcome::kClosed;
};

// ---- refundquery ------------------------------------------------------------------------------

enum class RefundStatus { kSuccess, kRefundClose, kProcessing, kChange };
const char* refundStatusWireName(RefundStatus s);
std::optional<RefundStatus> refundStatusFromWire(const std::string& wire);

struct RefundQueryRequest {
  std::string appid;
  // The first non-empty one is sent (WeChat's priority order); every non-empty one is checked.
  std::string refund_id;
  std::string out_refund_no;
  std::string transaction_id;
  std::string out_trade_no;
  std::optional<int> offset;  // pages of 10 when there are more than 10 refunds
};

struct RefundItem {
  std::string out_refund_no, refund_id, refund_channel, refund_account, refund_recv_account;
  Fen refund_fee = 0;  // requested
  std::optional<Fen> settlement_refund_fee, coupon_refund_fee;
  RefundStatus status = RefundStatus::kProcessing;
  std::optional<TimePoint> success_time;  // UTC
};

struct RefundQueryResult {
  bool exists = true;  // false: REFUNDNOTEXIST
  std::string transaction_id, out_trade_no, fee_type;
  Fen total_fee = 0;
  std::optional<Fen> settlement_total_fee, cash_fee, refund_fee;
  int refund_count = 0;
  std::optional<int> total_refund_count;
  std::vector<RefundItem> refunds;  // refund_count items, $n = 0..refund_count-1
};

struct RefundQueryAnswer : AnswerInfo {
  RefundQueryResult result;
};

// ---- downloadbill -----------------------------------------------------------------------------

enum class BillType { kAll, kSuccess, kRefund, kRechargeRefund };
const char* billTypeWireName(BillType t);

struct BillRequest {
  std::string appid;    // any of the merchant's appids (the bill is per mch_id)
  CivilDate bill_date;  // a Beijing day
  BillType bill_type = BillType::kAll;
  bool gzip = false;  // tar_type=GZIP
};

enum class BillStatus {
  kBill,      // bytes went to the sink (kDefinitive)
  kEmpty,     // "No Bill Exist": nothing traded that day (kDefinitive); the sink got nothing
  kNotReady,  // "Bill Creating" (kRetryLater); the sink got nothing
  kFailed,    // anything else (see the AnswerInfo kind); the sink got nothing, or a partial
              // body that must be discarded when the transfer broke
};
const char* billStatusName(BillStatus s);

struct BillResult {
  BillStatus status = BillStatus::kFailed;
  std::uint64_t bytes = 0;  // bytes given to the sink
  std::string error_code;   // downloadbill's error_code (not err_code), when an XML error came
};

struct BillAnswer : AnswerInfo {
  BillResult result;  // always set, whatever the kind
};

}  // namespace wx
