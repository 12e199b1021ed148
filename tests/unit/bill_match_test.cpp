// The pure bill matcher (domain/bill_match.h): lookups in the sorted fixed-size index and the
// findings a bill line gives.
#include <catch2/catch.hpp>

#include "domain/bill_match.h"

using namespace wx;

namespace {

const TimePoint kNoon = beijingDayStart({2024, 5, 1}) + std::chrono::hours(12);

BillLine line(const std::string& no, bool refund, Fen amount, const std::string& txn = "4200X") {
  auto l = makeBillLine(no, txn, refund, amount, kNoon);
  REQUIRE(l);
  return *l;
}

Order order(const std::string& no, OrderState state, Fen fee) {
  Order o;
  o.mch_id = "10000100";
  o.out_trade_no = no;
  o.state = state;
  o.total_fee = fee;
  o.transaction_id = "4200X";
  o.paid_at = kNoon;
  return o;
}

}  // namespace

TEST_CASE("BillIndex finds an order's payment and refund lines apart", "[bill_match]") {
  BillIndex idx;
  idx.add(line("B", true, 50));
  idx.add(line("C", false, 300));
  idx.add(line("B", false, 100));
  idx.add(line("A", false, 10));
  idx.add(line("-2*3", false, 1));  // any printable out_trade_no
  idx.seal();
  REQUIRE(idx.payment("B") != nullptr);
  CHECK(idx.payment("B")->amount == 100);
  REQUIRE(idx.refund("B") != nullptr);
  CHECK(idx.refund("B")->amount == 50);
  CHECK(idx.refund("A") == nullptr);
  CHECK(idx.payment("-2*3") != nullptr);
  CHECK(idx.payment("D") == nullptr);
  CHECK(idx.payment("") == nullptr);
  CHECK(idx.payment(std::string(40, 'x')) == nullptr);  // longer than any stored id
  CHECK(sizeof(BillLine) <= 96);                        // fixed size: bounded memory per row
}

TEST_CASE("makeBillLine refuses ids longer than WeChat's 32 characters", "[bill_match]") {
  CHECK(makeBillLine(std::string(32, 'a'), "t", false, 1, kNoon));
  CHECK_FALSE(makeBillLine(std::string(33, 'a'), "t", false, 1, kNoon));
  CHECK_FALSE(makeBillLine("a", std::string(33, 't'), false, 1, kNoon));
}

TEST_CASE("paid locally on D: SUCCESS, REFUND, or REVIEW with a transaction_id", "[bill_match]") {
  CHECK(countsAsPaidLocally(order("A", OrderState::kSuccess, 1)));
  CHECK(countsAsPaidLocally(order("A", OrderState::kRefund, 1)));
  CHECK(countsAsPaidLocally(order("A", OrderState::kReview, 1)));
  Order review = order("A", OrderState::kReview, 1);
  review.transaction_id.reset();
  CHECK_FALSE(countsAsPaidLocally(review));
  CHECK_FALSE(countsAsPaidLocally(order("A", OrderState::kClosed, 1)));
  CHECK_FALSE(countsAsPaidLocally(order("A", OrderState::kNotPay, 1)));
}

TEST_CASE("notifyMismatch names each differing field: agreement gives nothing", "[bill_match]") {
  const CivilDate day{2024, 5, 1};
  const Order o = order("A", OrderState::kSuccess, 100);
  const BillLine bill = line("A", false, 100, "4200X");
  CHECK_FALSE(notifyMismatch(o, line("A", false, 100, "4200X"), bill, day));
  auto f = notifyMismatch(o, line("A", false, 99, "4200Y"), bill, day);
  REQUIRE(f);
  CHECK(f->kind == DiscrepancyKind::kNotifyMismatch);
  CHECK(f->detail == "notification and bill differ in transaction_id total_fee");
  CHECK(f->bill_date == day);
  BillLine late = line("A", false, 100, "4200X");
  late.time_ms += 1000;
  auto t = notifyMismatch(o, late, bill, day);
  REQUIRE(t);
  CHECK(t->detail == "notification and bill differ in time_end");
}

TEST_CASE("finding builders carry the key, both values and the bill date", "[bill_match]") {
  const CivilDate day{2024, 5, 1};
  const Order o = order("A", OrderState::kSuccess, 170);
  Finding amount = billAmountMismatch(o, line("A", false, 160), day);
  CHECK(amount.kind == DiscrepancyKind::kBillAmountMismatch);
  CHECK(amount.out_trade_no == "A");
  CHECK(amount.local_value == "order SUCCESS total_fee=1.70");
  CHECK(amount.remote_value == "bill transaction_id=4200X 1.60 at 2024-05-01 12:00:00");
  CHECK(amount.bill_date == day);
  Finding unknown = billOnlyUnknownOrder("10000100", line("Z", false, 5), day);
  CHECK(unknown.kind == DiscrepancyKind::kBillOnly);
  CHECK(unknown.out_trade_no == "Z");
  CHECK(unknown.local_value == "no such order");
  CHECK(localOnly(o, day).kind == DiscrepancyKind::kLocalOnly);
  CHECK(notifyMissing(o, {2024, 4, 30}).bill_date == CivilDate{2024, 4, 30});
  Finding totals = billTotalsMismatch("10000100", day, "stated", "computed", "why");
  CHECK(totals.out_trade_no.empty());
  CHECK(totals.kind == DiscrepancyKind::kBillTotalsMismatch);
}
