// RELIABILITY.md T14: money conservation. A generated day of 2,000 paid orders (10% refunded the
// same day) at wxpay-sim, the same orders loaded locally from /sim/orders.csv; `wxrecon bill`
// must match every one and write day totals equal to the fen to the sums computed here from the
// simulator's ground truth (orders.csv and each refunded order's refunds), with 0 discrepancies.
#include <catch2/catch.hpp>

#include <sstream>

#include "integration/bill_env.h"

using namespace wx;
using namespace wx::test;
using Catch::Matchers::Contains;
using namespace Poco::Data::Keywords;

namespace {

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string sqlValue(const std::string& v) { return v == "\\N" ? "NULL" : "'" + v + "'"; }

// Fen as the bill's 5-decimal fee text ("12.34000"); fees here are never negative in total.
std::string feeText(std::int64_t fen) {
  const std::string cents = std::to_string(100 + fen % 100).substr(1);
  return std::to_string(fen / 100) + "." + cents + "000";
}

// WeChat's (and the simulator's) 0.6% rate, half-up to the fen, per bill row.
std::int64_t rowFee(std::int64_t fen) { return (fen * 6 + 500) / 1000; }

}  // namespace

TEST_CASE("bill (T14): a generated day of 2,000 orders with refunds: totals equal to the fen",
          "[bill][integration][money]") {
  BillEnv env(7);  // a day of its own (bill_env.h)
  const std::string mch = env.merchant(0).mch_id, date = formatIsoDate(env.day);
  env.sim().controlJson("POST", "/sim/generate",
                        R"({"mch_id":")" + mch + R"(","date":")" + date +
                            R"(","rows":2000,"seed":7,"refund_ratio":0.1})");
  const auto csv = env.sim().control("GET", "/sim/orders.csv?mch_id=" + mch + "&date=" + date);
  REQUIRE(csv.status == 200);

  std::istringstream lines(csv.body);
  std::string line;
  std::getline(lines, line);  // header
  REQUIRE(line ==
          "mch_id,appid,out_trade_no,total_fee,fee_type,trade_type,state,"
          "transaction_id,paid_at,created_at,expire_at");
  std::int64_t count = 0, amount = 0, fees = 0, refunds = 0, refund_rows = 0;
  std::vector<std::string> refunded;
  std::string insert;
  auto s = env.db().session();
  auto flush = [&] {
    if (insert.empty()) return;
    s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, fee_type, "
         "trade_type, state, transaction_id, paid_at, created_at, expire_at) VALUES " +
             insert,
        now;
    insert.clear();
  };
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const auto f = splitCsv(line);
    REQUIRE(f.size() == 11);
    const std::int64_t fee = std::stoll(f[3]);
    ++count;
    amount += fee;
    fees += rowFee(fee);
    if (f[6] == "REFUND") refunded.push_back(f[2]);
    insert += std::string(insert.empty() ? "" : ",") + "(";
    for (std::size_t i = 0; i < f.size(); ++i) insert += (i ? "," : "") + sqlValue(f[i]);
    insert += ")";
    if (count % 500 == 0) flush();
  }
  flush();
  REQUIRE(count == 2000);
  REQUIRE(refunded.size() > 100);  // ~10%
  for (const auto& no : refunded) {
    auto truth = env.sim().controlJson("GET", "/sim/orders/" + no + "?mch_id=" + mch);
    auto list = truth->getArray("refunds");
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::int64_t fee = list->getObject(i)->getValue<std::int64_t>("refund_fee");
      refunds += fee;
      fees -= rowFee(fee);
      ++refund_rows;
    }
  }

  auto r = env.bill();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("bill OK"));
  CHECK(env.discrepancies().empty());
  std::int64_t local = 0, local_amount = 0, bill_count = 0, bill_amount = 0, settlement = 0,
               bill_refund = 0, net = 0, matched = 0, matched_amount = 0, unmatched_local = 0,
               unmatched_bill = 0;
  std::string bill_fee;
  s << "SELECT local_count, local_amount_fen, bill_count, bill_order_amount_fen, "
       "bill_settlement_fen, bill_refund_fen, bill_fee, bill_net_fen, matched_count, "
       "matched_amount_fen, unmatched_local_count, unmatched_bill_count FROM bill_day",
      into(local), into(local_amount), into(bill_count), into(bill_amount), into(settlement),
      into(bill_refund), into(bill_fee), into(net), into(matched), into(matched_amount),
      into(unmatched_local), into(unmatched_bill), now;
  CHECK(local == 2000);
  CHECK(local_amount == amount);
  CHECK(bill_count == 2000);
  CHECK(bill_amount == amount);
  CHECK(settlement == amount);  // the simulator gives no coupons: 应结订单金额 = 订单金额
  CHECK(bill_refund == refunds);
  CHECK(bill_fee == feeText(fees));
  CHECK(net == amount - refunds);
  CHECK(matched == 2000);
  CHECK(matched_amount == amount);
  CHECK(unmatched_local == 0);
  CHECK(unmatched_bill == 0);
  std::int64_t rows = 0;
  s << "SELECT `rows` FROM bill_file WHERE status = 'OK'", into(rows), now;
  CHECK(rows == 2000 + refund_rows);
}
