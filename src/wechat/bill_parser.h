// The downloadbill file parser (WECHATPAY_V2.md §5, DESIGN.md §6, RELIABILITY.md invariant 2).
//
// A bill is: one header line (plain CSV names), detail rows (every field starts with '`'), the
// summary header (总交易单数,…) and one summary row. parseBill() streams it line by line from a
// std::istream (bounded memory: one read buffer, never the whole file), hands each detail row
// to a callback as a typed BillRow, then checks the summary row against the sums of the rows.
//
// Columns are chosen by header name, never by index; the layout (ALL, SUCCESS, REFUND,
// RECHARGE_REFUND, ALL_LEGACY) is recognised from the set of header names. Amounts are parsed
// digit by digit into fen; fees keep their 5 decimals exactly (FeeAmount).
//
// Splitting rule for the free-text columns (商品名称, 商户数据包): a data row is split on ",`"
// after dropping its leading '`'. Text containing ",`" splits into extra pieces; because every
// layout has a known column count, the k extra pieces of a row with (columns + k) pieces are
// re-joined (with their ",`") into 商品名称. When 商户数据包 was the column that contained ",`",
// the format cannot tell: the joined text is then attributed to 商品名称 — the row is flagged
// `free_text_rejoined` so callers can treat those two texts as uncertain. Amount, time and id
// columns are never re-joined, so misaligned rows still fail their field checks. A lone '`'
// or a ',' not followed by '`' inside text is kept as is. A line break inside text cannot be
// recovered: the row fails its column count and the file is rejected.
//
// Anything malformed — unknown header, wrong column count, bad amount or time, content after
// the summary, a missing summary, a read error (corrupt or truncated gzip) — rejects the file
// with a message naming the line and column. Nothing is skipped silently.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/money.h"
#include "common/status.h"
#include "common/time.h"

namespace wx {

enum class BillLayout {
  kUnknown,         // header not read (yet)
  kAll,             // 27 columns (免充值券 format)
  kSuccess,         // 20 columns
  kRefund,          // 29 columns
  kRechargeRefund,  // 28 columns (REFUND with 返还手续费, without 费率备注)
  kAllLegacy,       // 24 columns (pre-2018 format)
};

// "ALL", "SUCCESS", "REFUND", "RECHARGE_REFUND", "ALL_LEGACY", "UNKNOWN".
const char* billLayoutName(BillLayout layout);

// One detail row. The string_views point into the parser's read buffer: they are valid only
// during the callback; copy what you keep. Columns absent from a layout are empty / nullopt.
struct BillRow {
  std::size_t line = 0;               // 1-based line number in the (decompressed) file
  TimePoint trade_time;               // 交易时间 (Beijing in the file, UTC here)
  std::string_view appid;             // 公众账号ID
  std::string_view mch_id;            // 商户号
  std::string_view sub_mch_id;        // 特约商户号 (legacy: 子商户号)
  std::string_view device_info;       // 设备号
  std::string_view transaction_id;    // 微信订单号
  std::string_view out_trade_no;      // 商户订单号
  std::string_view openid;            // 用户标识
  std::string_view trade_type;        // 交易类型 (JSAPI, APP, NATIVE, …)
  std::string_view trade_state;       // 交易状态 (SUCCESS, REFUND, REVOKED)
  std::string_view bank_type;         // 付款银行
  std::string_view currency;          // 货币种类
  std::optional<Fen> settlement_fen;  // 应结订单金额 (absent in ALL_LEGACY)
  Fen coupon_fen = 0;                 // 代金券金额 (legacy: 代金券或立减优惠金额)
  std::optional<TimePoint> refund_apply_time;  // 退款申请时间 (REFUND layouts; may be empty)
  std::optional<TimePoint> refund_success_time;  // 退款成功时间 (REFUND layouts; may be empty)
  std::string_view refund_id;                    // 微信退款单号 ("0" on payment rows)
  std::string_view out_refund_no;                // 商户退款单号
  std::optional<Fen> refund_fen;                 // 退款金额 (absent in SUCCESS)
  std::optional<Fen> coupon_refund_fen;  // 充值券退款金额 (legacy: 代金券或立减优惠退款金额)
  std::string_view refund_type;    // 退款类型 (ORIGINAL, BALANCE)
  std::string_view refund_status;  // 退款状态
  std::string_view body;           // 商品名称 (attacker-controlled text)
  std::string_view attach;         // 商户数据包 (attacker-controlled text)
  FeeAmount fee;                   // 手续费 (RECHARGE_REFUND: 返还手续费), as printed
  std::string_view fee_rate;       // 费率, e.g. "0.60%"
  std::optional<Fen> order_fen;    // 订单金额 = total_fee (legacy: 总金额)
  std::optional<Fen> refund_applied_fen;  // 申请退款金额 (absent in SUCCESS, ALL_LEGACY)
  std::string_view fee_rate_note;         // 费率备注
  bool free_text_rejoined = false;        // see the splitting rule above
  // 交易状态 REFUND: a refund line, not a payment line.
  bool isRefundRow() const { return trade_state == "REFUND"; }
};

// Sums over the detail rows.
struct BillTotals {
  std::int64_t rows = 0;
  std::int64_t refund_rows = 0;  // rows with 交易状态 REFUND
  std::int64_t rejoined_rows = 0;
  Fen settlement_fen = 0;  // Σ 应结订单金额
  Fen coupon_fen = 0;      // Σ 代金券金额
  Fen refund_fen = 0;      // Σ 退款金额
  Fen coupon_refund_fen = 0;  // Σ 充值券退款金额 (legacy: 代金券或立减优惠退款金额)
  Fen order_fen = 0;          // Σ 订单金额 (legacy: 总金额)
  Fen refund_applied_fen = 0;    // Σ 申请退款金额
  FeeAmount fee_as_printed;      // Σ 手续费 with the signs the rows print
  FeeAmount fee_refunds_netted;  // Σ payment-row fees − Σ |refund-row fees|
};

// The summary row as the file states it. For ALL_LEGACY: order_fen = 总交易额, refund_fen =
// 总退款金额, coupon_refund_fen = 总代金券或立减优惠退款金额; settlement and refund_applied absent.
struct BillStatedSummary {
  std::int64_t trade_count = 0;  // 总交易单数
  std::optional<Fen> settlement_fen;
  Fen refund_fen = 0;
  Fen coupon_refund_fen = 0;
  FeeAmount fee;
  Fen order_fen = 0;
  std::optional<Fen> refund_applied_fen;
};

// The two inferred rules of WECHATPAY_V2 open question 7, and which reading the summary matched.
// kEither: the file cannot tell them apart (e.g. no refund rows); kNone: no reading matched.
enum class CountReading { kNone, kAllRows, kPaymentRowsOnly, kEither };
enum class FeeReading { kNone, kAsPrinted, kRefundsNetted, kEither };
const char* countReadingName(CountReading r);  // "all_rows", "payment_rows_only", "either", "none"
const char* feeReadingName(FeeReading r);      // "as_printed", "refunds_netted", "either", "none"

struct BillSummary {
  BillLayout layout = BillLayout::kUnknown;
  BillTotals totals;  // of the rows read (all of them when `complete`)
  std::optional<BillStatedSummary> stated;
  bool complete = false;  // read through the summary row without a format error
  bool summary_ok = false;
  CountReading count_reading = CountReading::kNone;
  FeeReading fee_reading = FeeReading::kNone;
  std::vector<std::string> mismatches;  // one line per failing summary component
  Status status;                        // OK exactly when summary_ok; else why the file is rejected

  // The row figures under the reading that matched (all rows / as printed when none did).
  std::int64_t tradeCount() const;
  FeeAmount feeTotal() const;
  // e.g. "总交易单数 counts refund rows; 手续费 as printed"
  std::string readingDescription() const;
};

// Called once per detail row, in file order. A non-OK return stops the parse; that Status
// becomes the summary's status.
using BillRowHandler = std::function<Status(const BillRow&)>;

// Longest accepted line (a real row is < 1 KiB); longer lines reject the file.
constexpr std::size_t kMaxBillLineBytes = 64 * 1024;

// Parses a whole (already decompressed) bill from `in`. Never throws: stream exceptions (e.g. a
// corrupt gzip under an InflatingInputStream with badbit exceptions) become a kDataLoss status.
// `on_row` may be empty.
BillSummary parseBill(std::istream& in, const BillRowHandler& on_row = {});

}  // namespace wx
