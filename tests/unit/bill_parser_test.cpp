// The bill parser against the RELIABILITY T12 corpus (tests/fixtures/bills/) and hand-made
// malformed bills. Every expectation is a constant worked out from the fixture by hand.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "wechat/bill_input.h"
#include "wechat/bill_parser.h"

using namespace wx;

namespace {

std::string fixture(const std::string& name) {
  return std::string(WX_SOURCE_DIR) + "/tests/fixtures/bills/" + name;
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct Parsed {
  BillSummary summary;
  std::vector<std::string> bodies;
  std::vector<std::string> attaches;
  std::vector<BillRow> rows;  // string_views dangle after the parse: only typed fields are used
  bool gzip = false;
};

Parsed parseFixture(const std::string& name) {
  auto input = BillInput::openFile(fixture(name));
  REQUIRE(input.isOk());
  Parsed p;
  p.gzip = (*input)->gzip();
  p.summary = parseBill((*input)->stream(), [&](const BillRow& row) {
    p.bodies.emplace_back(row.body);
    p.attaches.emplace_back(row.attach);
    p.rows.push_back(row);
    return Status::ok();
  });
  return p;
}

BillSummary parseText(const std::string& text) {
  std::istringstream in(text);
  return parseBill(in);
}

TimePoint utc(int y, int mo, int d, int h, int mi, int s) {
  const std::int64_t secs = daysFromCivil({y, mo, d}) * 86400 + h * 3600 + mi * 60 + s;
  return TimePoint(Millis(secs * 1000));
}

const std::string kHeader =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const std::string kRow =
    "`2024-05-01 08:35:41,`wx2421b1c4370ec43b,`10000100,`0,`,`4200000001202405010000000001,"
    "`ORD0001,`oUser_A,`JSAPI,`SUCCESS,`CFT,`CNY,`6.00,`0.00,`0,`0,`0.00,`0.00,`,`,`商品A,`,"
    "`0.04000,`0.60%,`6.00,`0.00,`";
const std::string kSummaryHeader =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
const std::string kSummaryRow = "`1,`6.00,`0.00,`0.00,`0.04000,`6.00,`0.00";

std::string bill(const std::string& row) {
  return kHeader + "\n" + row + "\n" + kSummaryHeader + "\n" + kSummaryRow + "\n";
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the synthetic 5-row ALL bill of WECHATPAY_V2 §5 parses to its exact totals", "[bill]") {
  const Parsed p = parseFixture("all_synthetic.csv");
  const BillSummary& s = p.summary;
  INFO(s.status.toString());
  REQUIRE(s.status.isOk());
  CHECK(s.summary_ok);
  CHECK(s.complete);
  CHECK_FALSE(p.gzip);
  CHECK(s.layout == BillLayout::kAll);
  CHECK(s.totals.rows == 5);
  CHECK(s.totals.refund_rows == 1);
  CHECK(s.totals.settlement_fen == 950);
  CHECK(s.totals.refund_fen == 100);
  CHECK(s.totals.coupon_refund_fen == 0);
  CHECK(s.totals.order_fen == 950);
  CHECK(s.totals.refund_applied_fen == 100);
  CHECK(s.totals.fee_as_printed.units == 5000);
  CHECK(s.totals.fee_refunds_netted.units == 5000);  // the refund row prints -0.01000
  CHECK(s.count_reading == CountReading::kAllRows);
  CHECK(s.fee_reading == FeeReading::kEither);
  CHECK(s.tradeCount() == 5);
  CHECK(formatFee(s.feeTotal()) == "0.05000");
  REQUIRE(s.stated.has_value());
  CHECK(s.stated->trade_count == 5);
  CHECK(s.stated->settlement_fen == Fen{950});
  CHECK(s.stated->refund_applied_fen == Fen{100});

  REQUIRE(p.rows.size() == 5);
  const BillRow& first = p.rows[0];
  CHECK(first.line == 2);
  CHECK(first.trade_time == utc(2024, 5, 1, 0, 35, 41));  // 08:35:41 Beijing
  CHECK(first.settlement_fen == Fen{600});
  CHECK(first.order_fen == Fen{600});
  CHECK(first.fee.units == 4000);
  CHECK_FALSE(first.refund_apply_time.has_value());
  CHECK(p.bodies[0] == "商品A");
  const BillRow& refund = p.rows[4];
  CHECK(refund.line == 6);
  CHECK(refund.refund_fen == Fen{100});
  CHECK(refund.refund_applied_fen == Fen{100});
  CHECK(refund.fee.units == -1000);
  CHECK(refund.settlement_fen == Fen{0});
  CHECK_FALSE(refund.free_text_rejoined);
}

TEST_CASE("row text fields are typed by header name", "[bill]") {
  std::istringstream in(bill(kRow));
  std::vector<std::string> seen;
  const BillSummary s = parseBill(in, [&](const BillRow& r) {
    seen = {
        std::string(r.appid),         std::string(r.mch_id),         std::string(r.sub_mch_id),
        std::string(r.device_info),   std::string(r.transaction_id), std::string(r.out_trade_no),
        std::string(r.openid),        std::string(r.trade_type),     std::string(r.trade_state),
        std::string(r.bank_type),     std::string(r.currency),       std::string(r.refund_id),
        std::string(r.out_refund_no), std::string(r.refund_type),    std::string(r.refund_status),
        std::string(r.body),          std::string(r.attach),         std::string(r.fee_rate),
        std::string(r.fee_rate_note)};
    return Status::ok();
  });
  REQUIRE(s.summary_ok);
  const std::vector<std::string> want = {"wx2421b1c4370ec43b",
                                         "10000100",
                                         "0",
                                         "",
                                         "4200000001202405010000000001",
                                         "ORD0001",
                                         "oUser_A",
                                         "JSAPI",
                                         "SUCCESS",
                                         "CFT",
                                         "CNY",
                                         "0",
                                         "0",
                                         "",
                                         "",
                                         "商品A",
                                         "",
                                         "0.60%",
                                         ""};
  CHECK(seen == want);
}

TEST_CASE("the T12 corpus is classified 100% correctly", "[bill]") {
  struct Case {
    const char* file;
    bool accepted;
    BillLayout layout;
    std::int64_t rows;
    const char* error;  // substring of the rejection, or "" when accepted
    const char* why;
  };
  const Case cases[] = {
      {"all_synthetic.csv", true, BillLayout::kAll, 5, "", "the §5 sample verbatim"},
      {"all_no_final_newline.csv", true, BillLayout::kAll, 5, "", "summary row without '\\n'"},
      {"all_crlf.csv", true, BillLayout::kAll, 5, "", "CRLF line endings"},
      {"all_bom.csv", true, BillLayout::kAll, 5, "", "UTF-8 BOM before the header"},
      {"all_trailing_blank_lines.csv", true, BillLayout::kAll, 5, "", "blank lines at the end"},
      {"all_synthetic.csv.gz", true, BillLayout::kAll, 5, "", "gzip (tar_type=GZIP)"},
      {"all_count_payments_only.csv", true, BillLayout::kAll, 5, "",
       "总交易单数 without refund rows (reading 2)"},
      {"all_refund_fee_positive.csv", true, BillLayout::kAll, 5, "",
       "refund-row fee printed positive, netted in the summary"},
      {"body_backtick_comma.csv", true, BillLayout::kAll, 5, "", "`,` and ` in 商品名称"},
      {"empty_day.csv", true, BillLayout::kAll, 0, "", "header + summary, no rows"},
      {"fullwidth_colon.csv", true, BillLayout::kAll, 5, "", "16：33：45 style time"},
      {"success.csv", true, BillLayout::kSuccess, 4, "", "SUCCESS layout, 20 columns"},
      {"refund.csv", true, BillLayout::kRefund, 2, "", "REFUND layout, 29 columns"},
      {"legacy_all.csv", true, BillLayout::kAllLegacy, 5, "", "old 24-column layout"},
      {"corrupt.csv.gz", false, BillLayout::kUnknown, -1, "reading the bill failed",
       "gzip with damaged deflate data"},
      {"truncated.csv.gz", false, BillLayout::kUnknown, -1, "reading the bill failed",
       "gzip cut in half"},
      {"truncated_trailer.csv.gz", false, BillLayout::kUnknown, -1, "reading the bill failed",
       "gzip with all text but no CRC/size trailer"},
      {"missing_summary.csv", false, BillLayout::kAll, 5, "without the summary",
       "plain bill cut before the summary"},
      {"mismatch_count.csv", false, BillLayout::kAll, 5, "总交易单数", "count off by one"},
      {"mismatch_settlement.csv", false, BillLayout::kAll, 5, "应结订单总金额", "+1 fen"},
      {"mismatch_refund.csv", false, BillLayout::kAll, 5, "退款总金额", "-1 fen"},
      {"mismatch_coupon_refund.csv", false, BillLayout::kAll, 5, "充值券退款总金额", "+1 fen"},
      {"mismatch_fee.csv", false, BillLayout::kAll, 5, "手续费总金额", "+0.01 yuan"},
      {"mismatch_order.csv", false, BillLayout::kAll, 5, "订单总金额", "-0.10 yuan"},
      {"mismatch_refund_applied.csv", false, BillLayout::kAll, 5, "申请退款总金额", "+0.10"},
      {"no_bill_exist.xml", false, BillLayout::kUnknown, 0, "not a recognised bill header",
       "an error answer is never a bill"},
  };
  for (const auto& c : cases) {
    INFO(c.file << " — " << c.why);
    const Parsed p = parseFixture(c.file);
    const BillSummary& s = p.summary;
    INFO(s.status.toString());
    CHECK(s.summary_ok == c.accepted);
    CHECK(s.status.isOk() == c.accepted);
    if (c.layout != BillLayout::kUnknown) CHECK(s.layout == c.layout);
    if (c.rows >= 0) CHECK(s.totals.rows == c.rows);
    if (!c.accepted) CHECK_THAT(s.status.message(), Catch::Contains(c.error));
  }
}

TEST_CASE("a summary mismatch names exactly the failing component", "[bill]") {
  const char* files[] = {"mismatch_count.csv",         "mismatch_settlement.csv",
                         "mismatch_refund.csv",        "mismatch_coupon_refund.csv",
                         "mismatch_fee.csv",           "mismatch_order.csv",
                         "mismatch_refund_applied.csv"};
  for (const char* f : files) {
    INFO(f);
    const BillSummary s = parseFixture(f).summary;
    CHECK(s.complete);  // the file was read; only the numbers disagree
    CHECK(s.status.code() == StatusCode::kDataLoss);
    CHECK(s.mismatches.size() == 1);
  }
  const BillSummary s = parseFixture("mismatch_settlement.csv").summary;
  REQUIRE(s.mismatches.size() == 1);
  CHECK(s.mismatches[0] == "应结订单总金额: summary 9.51, rows sum to 9.50");
  const BillSummary c = parseFixture("mismatch_count.csv").summary;
  REQUIRE(c.mismatches.size() == 1);
  CHECK(c.mismatches[0] ==
        "总交易单数: summary 6, rows give 5 (counting refund rows) or 4 (payment rows only)");
  CHECK(c.count_reading == CountReading::kNone);
}

TEST_CASE("both inferred readings of open question 7 are accepted and reported", "[bill]") {
  const BillSummary pay = parseFixture("all_count_payments_only.csv").summary;
  REQUIRE(pay.summary_ok);
  CHECK(pay.count_reading == CountReading::kPaymentRowsOnly);
  CHECK(pay.tradeCount() == 4);

  const BillSummary fee = parseFixture("all_refund_fee_positive.csv").summary;
  REQUIRE(fee.summary_ok);
  CHECK(fee.fee_reading == FeeReading::kRefundsNetted);
  CHECK(fee.totals.fee_as_printed.units == 7000);
  CHECK(fee.totals.fee_refunds_netted.units == 5000);
  CHECK(formatFee(fee.feeTotal()) == "0.05000");
  CHECK_THAT(fee.readingDescription(), Catch::Contains("subtracts refund-row fees"));

  const BillSummary none = parseFixture("empty_day.csv").summary;
  REQUIRE(none.summary_ok);
  CHECK(none.count_reading == CountReading::kEither);
  CHECK(none.fee_reading == FeeReading::kEither);
}

TEST_CASE("gzip, CRLF, BOM and trailing blank lines give the plain file's totals", "[bill]") {
  const BillSummary plain = parseFixture("all_synthetic.csv").summary;
  for (const char* f : {"all_synthetic.csv.gz", "all_crlf.csv", "all_bom.csv",
                        "all_trailing_blank_lines.csv", "all_no_final_newline.csv"}) {
    INFO(f);
    const BillSummary s = parseFixture(f).summary;
    REQUIRE(s.summary_ok);
    CHECK(s.totals.rows == plain.totals.rows);
    CHECK(s.totals.settlement_fen == plain.totals.settlement_fen);
    CHECK(s.totals.order_fen == plain.totals.order_fen);
    CHECK(s.totals.fee_as_printed == plain.totals.fee_as_printed);
  }
  CHECK(parseFixture("all_synthetic.csv.gz").gzip);
}

TEST_CASE("corrupt and truncated gzip are data loss, never a short bill", "[bill]") {
  for (const char* f : {"corrupt.csv.gz", "truncated.csv.gz", "truncated_trailer.csv.gz"}) {
    INFO(f);
    const Parsed p = parseFixture(f);
    CHECK(p.gzip);
    CHECK_FALSE(p.summary.summary_ok);
    CHECK_FALSE(p.summary.complete);
    CHECK(p.summary.status.code() == StatusCode::kDataLoss);
  }
}

TEST_CASE("商品名称 with ,` and ` is re-joined by the known column count", "[bill]") {
  const Parsed p = parseFixture("body_backtick_comma.csv");
  REQUIRE(p.summary.summary_ok);
  REQUIRE(p.bodies.size() == 5);
  CHECK(p.bodies[0] == "奶茶,`大杯`加冰,`少糖");
  CHECK(p.rows[0].free_text_rejoined);
  CHECK(p.rows[0].fee.units == 4000);  // the columns after the text stay aligned
  CHECK(p.bodies[1] == "a,b``c`");     // a ',' or '`' alone never splits
  CHECK_FALSE(p.rows[1].free_text_rejoined);
  CHECK(p.attaches[2] == "{\"k\":\"v\"}");
  CHECK(p.summary.totals.rejoined_rows == 1);
  CHECK(p.summary.totals.settlement_fen == 950);
}

TEST_CASE("SUCCESS, REFUND and legacy layouts map their columns by name", "[bill]") {
  const Parsed success = parseFixture("success.csv");
  REQUIRE(success.summary.summary_ok);
  CHECK(success.summary.totals.settlement_fen == 950);
  CHECK(success.summary.totals.fee_as_printed.units == 6000);
  CHECK_FALSE(success.rows[0].refund_fen.has_value());
  CHECK_FALSE(success.rows[0].refund_applied_fen.has_value());

  const Parsed refund = parseFixture("refund.csv");
  REQUIRE(refund.summary.summary_ok);
  CHECK(refund.summary.totals.refund_fen == 150);
  CHECK(refund.summary.totals.refund_applied_fen == 150);
  CHECK(refund.summary.totals.fee_as_printed.units == -1300);
  CHECK(refund.summary.count_reading == CountReading::kAllRows);
  REQUIRE(refund.rows.size() == 2);
  CHECK(refund.rows[0].refund_apply_time == utc(2024, 5, 1, 12, 53, 36));
  CHECK(refund.rows[0].refund_success_time == utc(2024, 5, 1, 12, 53, 40));
  CHECK_FALSE(refund.rows[1].refund_success_time.has_value());  // still PROCESSING

  const Parsed legacy = parseFixture("legacy_all.csv");
  REQUIRE(legacy.summary.summary_ok);
  CHECK(legacy.summary.totals.order_fen == 950);  // 总金额
  CHECK(legacy.summary.totals.refund_fen == 100);
  CHECK_FALSE(legacy.rows[0].settlement_fen.has_value());
  CHECK(legacy.rows[0].order_fen == Fen{600});
  REQUIRE(legacy.summary.stated.has_value());
  CHECK_FALSE(legacy.summary.stated->settlement_fen.has_value());
  CHECK_FALSE(legacy.summary.stated->refund_applied_fen.has_value());
  CHECK(legacy.summary.stated->order_fen == 950);  // 总交易额
}

TEST_CASE("full-width colons in 交易时间 give the same instant", "[bill]") {
  const Parsed p = parseFixture("fullwidth_colon.csv");
  REQUIRE(p.summary.summary_ok);
  CHECK(p.rows[0].trade_time == utc(2024, 5, 1, 0, 35, 41));
}

TEST_CASE("malformed bills are rejected naming line and column", "[bill]") {
  const std::string good = bill(kRow);
  struct Case {
    std::string text;
    const char* error;
    const char* why;
  };
  const Case cases[] = {
      {"", "empty", "no bytes at all"},
      {kHeader + "\n", "without the summary", "header only"},
      {kHeader + "\n" + kRow + "\n" + kSummaryHeader + "\n", "without the summary row",
       "summary header without its row"},
      {replaced(good, "`6.00,`0.00,`0,", "`6.0x,`0.00,`0,"),
       "line 2, column 13 (应结订单金额): amount \"6.0x\"", "letter in an amount"},
      {replaced(good, "`6.00,`0.00,`0,", "`6.001,`0.00,`0,"), "line 2, column 13", "3 decimals"},
      {replaced(good, "`6.00,`0.00,`0,", "`,`0.00,`0,"), "line 2, column 13", "empty amount"},
      {replaced(good, "`0.04000", "`0.040001"), "line 2, column 23 (手续费)", "6-decimal fee"},
      {replaced(good, "08:35:41", "25:35:41"), "line 2, column 1 (交易时间)", "hour 25"},
      {replaced(good, "2024-05-01 08:35:41", "2024/05/01 08:35:41"), "line 2, column 1",
       "slashes in the date"},
      {replaced(good, "`CFT,", ""), "line 2: 26 fields, the ALL header has 27", "a field missing"},
      {replaced(good, "交易时间,", "交易日期,"), "line 1: not a recognised bill header",
       "unknown column name"},
      {replaced(good, ",费率备注", ""), "line 1: not a recognised bill header", "26 names"},
      {replaced(good, kSummaryRow, "`1,`6.00,`0.00,`0.00,`0.04000,`6.00"),
       "summary row has 6 fields", "short summary row"},
      {replaced(good, kSummaryRow, "`x,`6.00,`0.00,`0.00,`0.04000,`6.00,`0.00"),
       "line 4, column 1 (总交易单数)", "non-numeric count"},
      {replaced(good, kSummaryRow, "`1,`6.00,`0.00,`0.00,`0.04000,`6.00,`0.0z"),
       "line 4, column 7 (申请退款总金额)", "bad summary amount"},
      {replaced(good, kSummaryRow, "1,6.00,0.00,0.00,0.04000,6.00,0.00"),
       "line 4: expected the summary row", "summary row without backticks"},
      {good + "`1,`2\n", "line 5: unexpected content after the summary row", "extra line"},
      {replaced(good, kRow + "\n", kRow + "\n\n"), "line 3 is blank", "blank line inside"},
      {replaced(good, kRow, "2024-05-01 08:35:41"), "line 2: neither a detail row",
       "row without backticks"},
      {replaced(good, "商品A", std::string(70000, 'x')), "line 2 is longer than", "huge line"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    const BillSummary s = parseText(c.text);
    INFO(s.status.toString());
    CHECK_FALSE(s.summary_ok);
    CHECK_FALSE(s.status.isOk());
    CHECK_THAT(s.status.message(), Catch::Contains(c.error));
  }
}

TEST_CASE("running totals that would overflow int64 reject the file", "[bill]") {
  const std::string big = replaced(kRow, "`6.00,`0.00,`0,", "`92233720368547758.07,`0.00,`0,");
  const std::string text =
      kHeader + "\n" + big + "\n" + big + "\n" + kSummaryHeader + "\n" + kSummaryRow + "\n";
  const BillSummary s = parseText(text);
  CHECK_FALSE(s.summary_ok);
  CHECK_THAT(s.status.message(), Catch::Contains("line 3: the running totals overflow"));
}

TEST_CASE("a handler error stops the parse and becomes the status", "[bill]") {
  std::istringstream in(readFile(fixture("all_synthetic.csv")));
  int calls = 0;
  const BillSummary s = parseBill(in, [&](const BillRow& r) {
    ++calls;
    if (r.line == 3) return Status::unavailable("database gone");
    return Status::ok();
  });
  CHECK(calls == 2);
  CHECK_FALSE(s.summary_ok);
  CHECK(s.status.code() == StatusCode::kUnavailable);
}

TEST_CASE("a large bill streams across read-buffer boundaries with exact totals", "[bill]") {
  // ~3 MiB: lines straddle the parser's 1 MiB reads; body lengths vary so they straddle
  // at different offsets.
  const int n = 12000;
  std::string text = kHeader + "\r\n";
  for (int i = 0; i < n; ++i) {
    std::string row =
        replaced(kRow, "商品A", "商品" + std::string(static_cast<std::size_t>(i % 97), 'x'));
    row = replaced(row, "`6.00,`0.00,`0,", "`0." + std::to_string(10 + i % 90) + ",`0.00,`0,");
    text += row + "\r\n";
  }
  Fen want = 0;
  for (int i = 0; i < n; ++i) want += 10 + i % 90;
  text += kSummaryHeader + "\r\n`" + std::to_string(n) + ",`" + formatYuan(want) +
          ",`0.00,`0.00,`" + formatFee(FeeAmount{4000LL * n}) + ",`" + formatYuan(600LL * n) +
          ",`0.00\r\n";
  std::istringstream in(text);
  std::size_t longest_body = 0;
  const BillSummary s = parseBill(in, [&](const BillRow& r) {
    longest_body = std::max(longest_body, r.body.size());
    return Status::ok();
  });
  INFO(s.status.toString());
  REQUIRE(s.summary_ok);
  CHECK(s.totals.rows == n);
  CHECK(s.totals.settlement_fen == want);
  CHECK(longest_body == std::string("商品").size() + 96);
}

TEST_CASE("downloadbill response bodies are classified per WECHATPAY_V2 §5", "[bill]") {
  struct Case {
    std::string body;
    bool gzip_requested;
    BillResponseKind kind;
    const char* why;
  };
  const std::string gz = readFile(fixture("all_synthetic.csv.gz"));
  const std::string csv = readFile(fixture("all_synthetic.csv"));
  const Case cases[] = {
      {readFile(fixture("no_bill_exist.xml")), false, BillResponseKind::kEmptyDay, "fixture"},
      {readFile(fixture("no_bill_exist.xml")), true, BillResponseKind::kEmptyDay, "GZIP asked"},
      {readFile(fixture("bill_creating.xml")), false, BillResponseKind::kNotReady, "fixture"},
      {readFile(fixture("invalid_bill_date.xml")), false, BillResponseKind::kFailed, "20001"},
      {"<xml><return_code>FAIL</return_code><return_msg>NO Bill Exist</return_msg></xml>", false,
       BillResponseKind::kEmptyDay, "the doc's spelling, no CDATA"},
      {"\xEF\xBB\xBF \r\n<XML><return_msg><![CDATA[bill creating]]></return_msg></XML>", false,
       BillResponseKind::kNotReady, "BOM, whitespace, upper-case tag, lower-case message"},
      {"<xml><return_code>FAIL</return_code><error_code>20002</error_code></xml>", false,
       BillResponseKind::kEmptyDay, "error_code alone"},
      {"<xml><return_msg><![CDATA[SYSTEMERROR]]></return_msg></xml>", false,
       BillResponseKind::kFailed, "transient error"},
      {"<xml><return_msg>No Bill Ex", false, BillResponseKind::kFailed,
       "cut before the message ends"},
      {gz, true, BillResponseKind::kBillData, "gzip bill"},
      {gz, false, BillResponseKind::kBillData, "gzip although plain was asked"},
      {csv, false, BillResponseKind::kBillData, "plain bill"},
      {"\xEF\xBB\xBF" + csv, false, BillResponseKind::kBillData, "plain bill with BOM"},
      {csv, true, BillResponseKind::kFailed, "GZIP asked, plain text came"},
      {"", false, BillResponseKind::kFailed, "empty body"},
      {"  \n", false, BillResponseKind::kFailed, "whitespace only"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    const BillResponseClass r = classifyBillResponse(c.body, c.gzip_requested);
    INFO(r.detail);
    CHECK(r.kind == c.kind);
  }
  const BillResponseClass none = classifyBillResponse(readFile(fixture("no_bill_exist.xml")), true);
  CHECK(none.return_msg == "No Bill Exist");
  CHECK(none.error_code == "20002");
  CHECK(std::string(billResponseKindName(none.kind)) == "EMPTY");
}

TEST_CASE("BillInput sniffs gzip from any stream", "[bill]") {
  std::istringstream raw(readFile(fixture("all_synthetic.csv.gz")));
  auto input = BillInput::wrap(raw);
  CHECK(input->gzip());
  const BillSummary s = parseBill(input->stream());
  CHECK(s.summary_ok);
  std::istringstream tiny("x");
  auto one = BillInput::wrap(tiny);
  CHECK_FALSE(one->gzip());
  std::string got;
  std::getline(one->stream(), got);
  CHECK(got == "x");
  CHECK(BillInput::openFile(fixture("does_not_exist.csv")).status().code() ==
        StatusCode::kNotFound);
}
