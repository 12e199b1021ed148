// The bill side of the three-way comparison (DESIGN.md §6), pure: a bill's detail rows reduced
// to fixed-size records in one sorted vector (bounded memory: ~96 bytes a row, no heap per row),
// looked up by out_trade_no, and the findings a bill line and a local order give.
//
//   BillIndex bill;                         // fill while parseBill() streams the file
//   bill.add(line);  ...  bill.seal();      // sort once
//   const BillLine* p = bill.payment("ORD1");
//
// Where a bill row becomes a discrepancy: service/bill_run.cpp walks the local orders paid on
// D against this index and calls the finding builders below; kinds that need WeChat's answer
// (BILL_ONLY after a fresh query, PAID_AFTER_CLOSE, BILL_STATUS_MISMATCH) are decided there with
// the OrderChecker.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/money.h"
#include "common/time.h"
#include "domain/discrepancy.h"
#include "domain/order.h"

namespace wx {

// WeChat's id lengths: out_trade_no ≤ 32, transaction_id 28–32.
constexpr std::size_t kMaxBillId = 32;

// One bill line (payment or refund) or one verified notification, reduced to fixed size.
struct BillLine {
  std::array<char, kMaxBillId> out_trade_no{};
  std::array<char, kMaxBillId> transaction_id{};
  std::uint8_t out_trade_no_len = 0;
  std::uint8_t transaction_id_len = 0;
  bool refund = false;  // 交易状态 REFUND
  bool matched = false;  // set by the walk over local orders
  Fen amount = 0;        // payment: 订单金额 (legacy 总金额); refund: 退款金额
  std::int64_t time_ms = 0;  // 交易时间 (UTC epoch ms)

  std::string_view outTradeNo() const { return {out_trade_no.data(), out_trade_no_len}; }
  std::string_view transactionId() const { return {transaction_id.data(), transaction_id_len}; }
  TimePoint time() const { return TimePoint(Millis(time_ms)); }
};

// A record from a bill row's (or a notification's) facts; nullopt when an id is longer than
// WeChat allows (no real bill has one: the caller rejects the file).
std::optional<BillLine> makeBillLine(std::string_view out_trade_no,
                                     std::string_view transaction_id, bool refund, Fen amount,
                                     TimePoint time);

// A sorted vector of lines, looked up by (out_trade_no, refund). Not thread-safe.
class BillIndex {
 public:
  void reserve(std::size_t n) { lines_.reserve(n); }
  void add(const BillLine& line) { lines_.push_back(line); }
  // Sorts by (out_trade_no, refund, time); call once after the last add().
  void seal();
  std::size_t size() const { return lines_.size(); }
  std::size_t memoryBytes() const { return lines_.capacity() * sizeof(BillLine); }

  // The first payment (or refund) line of an order, or nullptr. Mutable: the walk marks it.
  BillLine* payment(std::string_view out_trade_no) { return find(out_trade_no, false); }
  BillLine* refund(std::string_view out_trade_no) { return find(out_trade_no, true); }
  std::vector<BillLine>& lines() { return lines_; }
  const std::vector<BillLine>& lines() const { return lines_; }

 private:
  BillLine* find(std::string_view out_trade_no, bool refund);
  std::vector<BillLine> lines_;
};

// "Paid locally on D" (DESIGN.md §6): SUCCESS, REFUND, or REVIEW with a transaction_id.
bool countsAsPaidLocally(const Order& o);

// The findings (bill_date = D). Values name the side they come from.
Finding billAmountMismatch(const Order& o, const BillLine& line, const CivilDate& day);
Finding billOnlyUnknownOrder(const std::string& mch_id, const BillLine& line,
                             const CivilDate& day);
Finding billOnlyUnpaid(const Order& o, const BillLine& line, const CivilDate& day,
                       const std::string& why);
Finding localOnly(const Order& o, const CivilDate& day);
Finding billStatusMismatch(const Order& o, const BillLine& line, const CivilDate& day,
                           const std::string& why);
// An ACCEPTED notification vs the bill line: nullopt when transaction_id, total_fee and
// time_end agree.
std::optional<Finding> notifyMismatch(const Order& o, const BillLine& notification,
                                      const BillLine& line, const CivilDate& day);
// Paid on D-1 (`paid_day`) and no ACCEPTED notification.
Finding notifyMissing(const Order& o, const CivilDate& paid_day);
Finding billTotalsMismatch(const std::string& mch_id, const CivilDate& day,
                           const std::string& stated, const std::string& computed,
                           const std::string& why);

}  // namespace wx
