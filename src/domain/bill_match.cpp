#include "domain/bill_match.h"

#include <algorithm>
#include <cstring>

namespace wx {

namespace {

bool copyId(std::string_view from, std::array<char, kMaxBillId>& to, std::uint8_t& len) {
  if (from.size() > kMaxBillId) return false;
  std::memcpy(to.data(), from.data(), from.size());
  len = static_cast<std::uint8_t>(from.size());
  return true;
}

bool lineLess(const BillLine& a, const BillLine& b) {
  const int c = a.outTradeNo().compare(b.outTradeNo());
  if (c != 0) return c < 0;
  if (a.refund != b.refund) return !a.refund;
  return a.time_ms < b.time_ms;
}

std::string lineText(const BillLine& l) {
  return std::string("bill ") + (l.refund ? "refund " : "") + "transaction_id=" +
         std::string(l.transactionId()) + " " + formatYuan(l.amount) + " at " +
         formatBeijingDateTime(l.time());
}

std::string orderText(const Order& o) {
  return "order " + std::string(orderStateName(o.state)) + " total_fee=" + formatYuan(o.total_fee);
}

Finding make(DiscrepancyKind kind, const std::string& mch_id, const std::string& out_trade_no,
             std::string_view transaction_id, const CivilDate& day, std::string local,
             std::string remote, std::string detail) {
  Finding f;
  f.kind = kind;
  f.mch_id = mch_id;
  f.out_trade_no = out_trade_no;
  f.transaction_id = std::string(transaction_id);
  f.bill_date = day;
  f.local_value = std::move(local);
  f.remote_value = std::move(remote);
  f.detail = std::move(detail);
  return f;
}

}  // namespace

std::optional<BillLine> makeBillLine(std::string_view out_trade_no,
                                     std::string_view transaction_id, bool refund, Fen amount,
                                     TimePoint time) {
  BillLine l;
  if (!copyId(out_trade_no, l.out_trade_no, l.out_trade_no_len)) return std::nullopt;
  if (!copyId(transaction_id, l.transaction_id, l.transaction_id_len)) return std::nullopt;
  l.refund = refund;
  l.amount = amount;
  l.time_ms = time.time_since_epoch().count();
  return l;
}

void BillIndex::seal() { std::sort(lines_.begin(), lines_.end(), lineLess); }

BillLine* BillIndex::find(std::string_view out_trade_no, bool refund) {
  BillLine probe;
  if (!copyId(out_trade_no, probe.out_trade_no, probe.out_trade_no_len)) return nullptr;
  probe.refund = refund;
  probe.time_ms = INT64_MIN;
  auto it = std::lower_bound(lines_.begin(), lines_.end(), probe, lineLess);
  if (it == lines_.end() || it->outTradeNo() != out_trade_no || it->refund != refund) {
    return nullptr;
  }
  return &*it;
}

bool countsAsPaidLocally(const Order& o) {
  if (o.state == OrderState::kSuccess || o.state == OrderState::kRefund) return true;
  return o.state == OrderState::kReview && o.transaction_id.has_value() &&
         !o.transaction_id->empty();
}

Finding billAmountMismatch(const Order& o, const BillLine& line, const CivilDate& day) {
  return make(DiscrepancyKind::kBillAmountMismatch, o.mch_id, o.out_trade_no,
              line.transactionId(), day, orderText(o), lineText(line),
              "the bill's 订单金额 differs from the order's total_fee");
}

Finding billOnlyUnknownOrder(const std::string& mch_id, const BillLine& line,
                             const CivilDate& day) {
  return make(DiscrepancyKind::kBillOnly, mch_id, std::string(line.outTradeNo()),
              line.transactionId(), day, "no such order", lineText(line),
              "paid in the bill, unknown locally");
}

Finding billOnlyUnpaid(const Order& o, const BillLine& line, const CivilDate& day,
                       const std::string& why) {
  return make(DiscrepancyKind::kBillOnly, o.mch_id, o.out_trade_no, line.transactionId(), day,
              orderText(o), lineText(line), "paid in the bill, not paid locally: " + why);
}

Finding localOnly(const Order& o, const CivilDate& day) {
  return make(DiscrepancyKind::kLocalOnly, o.mch_id, o.out_trade_no,
              o.transaction_id.value_or(""), day,
              orderText(o) + " paid_at " + (o.paid_at ? formatBeijingDateTime(*o.paid_at) : "?"),
              "absent from the bills of D and D+1", "paid locally, not in the bill");
}

Finding billStatusMismatch(const Order& o, const BillLine& line, const CivilDate& day,
                           const std::string& why) {
  return make(DiscrepancyKind::kBillStatusMismatch, o.mch_id, o.out_trade_no,
              line.transactionId(), day, orderText(o), lineText(line), why);
}

std::optional<Finding> notifyMismatch(const Order& o, const BillLine& n, const BillLine& line,
                                      const CivilDate& day) {
  std::string diff;
  if (n.transactionId() != line.transactionId()) diff += " transaction_id";
  if (n.amount != line.amount) diff += " total_fee";
  // A notification without time_end carries time 0: nothing to compare.
  if (n.time_ms != 0 && n.time_ms != line.time_ms) diff += " time_end";
  if (diff.empty()) return std::nullopt;
  std::string local = "notification transaction_id=" + std::string(n.transactionId()) + " " +
                      formatYuan(n.amount);
  if (n.time_ms != 0) local += " at " + formatBeijingDateTime(n.time());
  return make(DiscrepancyKind::kNotifyMismatch, o.mch_id, o.out_trade_no, line.transactionId(),
              day, local, lineText(line), "notification and bill differ in" + diff);
}

Finding notifyMissing(const Order& o, const CivilDate& paid_day) {
  return make(DiscrepancyKind::kNotifyMissing, o.mch_id, o.out_trade_no,
              o.transaction_id.value_or(""), paid_day, orderText(o), "no notification",
              "paid, and no verified notification arrived within WeChat's resend window");
}

Finding billTotalsMismatch(const std::string& mch_id, const CivilDate& day,
                           const std::string& stated, const std::string& computed,
                           const std::string& why) {
  return make(DiscrepancyKind::kBillTotalsMismatch, mch_id, "", "", day, computed, stated,
              "bill rejected, nothing concluded from it: " + why);
}

}  // namespace wx
