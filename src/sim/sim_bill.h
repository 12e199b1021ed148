// Daily bills (WECHATPAY_V2.md §5) built from the simulator's ground truth: header line, detail
// rows with every field prefixed by '`', then the summary header and row. One row per payment
// (交易状态 SUCCESS, on its pay-success Beijing day) and one per refund (REFUND, on its
// refund-accepted Beijing day), sorted by 交易时间. Amounts in yuan with 2 decimals; 手续费 with 5
// decimals: 0.6% of the amount rounded half-up to the fen, negative on refund rows.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "common/money.h"
#include "sim/sim_state.h"

namespace wx::sim {

enum class BillType { kAll, kSuccess, kRefund };
std::optional<BillType> parseBillType(
    const std::string& wire);  // "ALL" (or ""), "SUCCESS", "REFUND"

// 0.6% of `amount` rounded half-up to the fen (the bill's 手续费 before the 5-decimal rendering).
Fen billFeeFen(Fen amount);

struct BillTotals {
  std::uint64_t rows = 0;
  Fen settlement_total = 0;      // 应结订单总金额
  Fen refund_total = 0;          // 退款总金额
  std::int64_t fee_units = 0;    // 手续费总金额 in 1/100000 yuan
  Fen order_total = 0;           // 订单总金额
  Fen applied_refund_total = 0;  // 申请退款总金额
};

// Number of detail rows the bill would have (0 => "No Bill Exist").
std::uint64_t countBillRows(const BillSource& src, const CivilDate& day, BillType type);

// Writes the whole bill (header, rows, summary) to `out`. Streaming: memory is one index entry
// per row, not the text. Returns the totals written in the summary row.
BillTotals writeBill(std::ostream& out, const BillSource& src, const CivilDate& day, BillType type);

}  // namespace wx::sim
