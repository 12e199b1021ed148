// wxpay-sim downloadbill: the synthetic 5-row bill of WECHATPAY_V2.md §5 reproduced from ground
// truth (hand-written expected text), bill types, GZIP, midnight Beijing, "Bill Creating",
// "No Bill Exist", and generated days (totals recomputed here from the rows).
#include <Poco/InflatingStream.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "common/money.h"
#include "support/sim_expect.h"
#include "support/sim_process.h"

using wx::FieldMap;
using wx::test::billFields;
using wx::test::SimProcess;
using wx::test::xmlValue;

namespace {

wx::test::HttpResult bill(const SimProcess& sim, const std::string& date,
                          const std::string& type = "", const std::string& tar = "") {
  FieldMap f{{"appid", "wx2421b1c4370ec43b"}, {"bill_date", date}};
  if (!type.empty()) f["bill_type"] = type;
  if (!tar.empty()) f["tar_type"] = tar;
  return sim.pay("downloadbill", f);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string gunzip(const std::string& bytes) {
  std::istringstream in(bytes);
  Poco::InflatingInputStream z(in, Poco::InflatingStreamBuf::STREAM_GZIP);
  z.exceptions(std::ios::badbit);
  std::ostringstream out;
  out << z.rdbuf();
  return out.str();
}

void makeSampleDay(const SimProcess& sim) {
  struct O {
    const char *no, *fee, *openid, *type, *bank, *body, *paid_at;
  };
  const O orders[] = {
      {"ORD0001", "600", "oUser_A", "JSAPI", "CFT", "商品A", "2024-05-01T00:35:41Z"},
      {"ORD0002", "100", "oUser_A", "APP", "OTHERS", "商品B", "2024-05-01T01:10:02Z"},
      {"ORD0003", "50", "oUser_B", "NATIVE", "CMB_DEBIT", "商品C", "2024-05-01T04:00:00Z"},
      {"ORD0004", "200", "oUser_B", "JSAPI", "CFT", "商品D", "2024-05-01T10:20:15Z"},
  };
  for (const auto& o : orders) {
    sim.controlJson(
        "POST", "/sim/orders",
        std::string(R"({"mch_id":"10000100","appid":"wx2421b1c4370ec43b","out_trade_no":")") +
            o.no + R"(","total_fee":)" + o.fee + R"(,"openid":")" + o.openid +
            R"(","trade_type":")" + o.type + R"(","bank_type":")" + o.bank + R"(","body":")" +
            o.body + R"("})");
    sim.controlJson("POST", std::string("/sim/orders/") + o.no + "/pay",
                    std::string(R"({"notify":"lose","paid_at":")") + o.paid_at + "\"}");
  }
  sim.controlJson(
      "POST", "/sim/orders/ORD0002/refund",
      R"({"refund_fee":100,"out_refund_no":"RF0002","refunded_at":"2024-05-01T12:53:36Z"})");
}

}  // namespace

TEST_CASE("sim: the 5-row sample bill of WECHATPAY_V2 §5, byte for byte", "[integration][sim]") {
  SimProcess sim;
  makeSampleDay(sim);
  sim.controlJson("POST", "/sim/clock", R"({"now":"2024-05-02T02:00:00Z"})");  // 10:00 Beijing
  auto r = bill(sim, "20240501");
  REQUIRE(r.status == 200);
  // The doc's sample with the simulator's ids (transaction_id = 4200000 + pay day + sequence).
  const std::string expected =
      "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
      "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
      "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
      "费率备注\n"
      "`2024-05-01 "
      "08:35:41,`wx2421b1c4370ec43b,`10000100,`0,`,`4200000202405010000000000001,`ORD0001,`oUser_A,"
      "`JSAPI,`SUCCESS,`CFT,`CNY,`6.00,`0.00,`0,`0,`0.00,`0.00,`,`,`商品A,`,`0.04000,`0.60%,`6.00,`"
      "0.00,`\n"
      "`2024-05-01 "
      "09:10:02,`wx2421b1c4370ec43b,`10000100,`0,`,`4200000202405010000000000002,`ORD0002,`oUser_A,"
      "`APP,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`商品B,`,`0.01000,`0.60%,`1.00,"
      "`0.00,`\n"
      "`2024-05-01 "
      "12:00:00,`wx2421b1c4370ec43b,`10000100,`0,`,`4200000202405010000000000003,`ORD0003,`oUser_B,"
      "`NATIVE,`SUCCESS,`CMB_DEBIT,`CNY,`0.50,`0.00,`0,`0,`0.00,`0.00,`,`,`商品C,`,`0.00000,`0.60%,"
      "`0.50,`0.00,`\n"
      "`2024-05-01 "
      "18:20:15,`wx2421b1c4370ec43b,`10000100,`0,`,`4200000202405010000000000004,`ORD0004,`oUser_B,"
      "`JSAPI,`SUCCESS,`CFT,`CNY,`2.00,`0.00,`0,`0,`0.00,`0.00,`,`,`商品D,`,`0.01000,`0.60%,`2.00,`"
      "0.00,`\n"
      "`2024-05-01 "
      "20:53:36,`wx2421b1c4370ec43b,`10000100,`0,`,`4200000202405010000000000002,`ORD0002,`oUser_A,"
      "`APP,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50000002024050100000000000001,`RF0002,`1.00,`0.00,`"
      "ORIGINAL,`SUCCESS,`商品B,`,`-0.01000,`0.60%,`0.00,`1.00,`\n"
      "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
      "申请退款总金额\n"
      "`5,`9.50,`1.00,`0.00,`0.05000,`9.50,`1.00\n";
  CHECK(r.body == expected);

  auto gz = bill(sim, "20240501", "ALL", "GZIP");
  REQUIRE(gz.body.size() > 2);
  CHECK(static_cast<unsigned char>(gz.body[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz.body[1]) == 0x8b);
  CHECK(gunzip(gz.body) == expected);

  auto success = lines(bill(sim, "20240501", "SUCCESS").body);
  REQUIRE(success.size() == 7);  // header, 4 payments, summary header, summary
  CHECK(success[0] ==
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
        "交易状态,"
        "付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,"
        "费率备注");
  CHECK(billFields(success[1]).size() == 20);
  CHECK(success[1] ==
        "`2024-05-01 08:35:41,`wx2421b1c4370ec43b,`10000100,`0,`,`4200000202405010000000000001,"
        "`ORD0001,`oUser_A,`JSAPI,`SUCCESS,`CFT,`CNY,`6.00,`0.00,`商品A,`,`0.04000,`0.60%,`6.00,`");
  CHECK(success[6] == "`4,`9.50,`0.00,`0.00,`0.06000,`9.50,`0.00");

  auto refund = lines(bill(sim, "20240501", "REFUND").body);
  REQUIRE(refund.size() == 4);
  CHECK(billFields(refund[1]).size() == 29);
  CHECK(refund[1] ==
        "`2024-05-01 20:53:36,`wx2421b1c4370ec43b,`10000100,`0,`,`4200000202405010000000000002,"
        "`ORD0002,`oUser_A,`APP,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`2024-05-01 20:53:36,"
        "`2024-05-01 20:53:36,`50000002024050100000000000001,`RF0002,`1.00,`0.00,`ORIGINAL,"
        "`SUCCESS,`商品B,`,`-0.01000,`0.60%,`0.00,`1.00,`");
  CHECK(refund[3] == "`1,`0.00,`1.00,`0.00,`-0.01000,`0.00,`1.00");
}

TEST_CASE("sim: bill errors: Bill Creating before 10:00 Beijing, No Bill Exist, bad requests",
          "[integration][sim]") {
  SimProcess sim;
  makeSampleDay(sim);
  struct Case {
    const char* why;
    const char* clock;
    std::string date, type, tar;
    std::string expected;
  };
  const std::string creating =
      "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[Bill "
      "Creating]]></return_msg></xml>";
  const std::string no_bill =
      "<xml><error_code><![CDATA[20002]]></error_code><return_code><![CDATA[FAIL]]></return_code>"
      "<return_msg><![CDATA[No Bill Exist]]></return_msg></xml>";
  const std::string bad_date =
      "<xml><error_code><![CDATA[20001]]></error_code><return_code><![CDATA[FAIL]]></return_code>"
      "<return_msg><![CDATA[invalid bill_date]]></return_msg></xml>";
  const Case cases[] = {
      {"the same day", "2024-05-01T15:00:00Z", "20240501", "", "", creating},
      {"09:59:59 Beijing the next day", "2024-05-02T01:59:59Z", "20240501", "", "", creating},
      {"a day without trades", "2024-05-02T02:00:00Z", "20240430", "", "", no_bill},
      {"a day with payments but no refunds, REFUND bill", "2024-05-02T02:00:00Z", "20240501",
       "REFUND", "", ""},
      {"a malformed date", "2024-05-02T02:00:00Z", "2024-5-1", "", "", bad_date},
      {"an impossible date", "2024-05-02T02:00:00Z", "20240231", "", "", bad_date},
      {"a future date", "2024-05-02T02:00:00Z", "20240510", "", "", bad_date},
      {"an unknown bill_type", "2024-05-02T02:00:00Z", "20240501", "EVERYTHING", "",
       "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[invalid "
       "bill_type]]></return_msg></xml>"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    sim.controlJson("POST", "/sim/clock", std::string(R"({"now":")") + c.clock + "\"}");
    auto r = bill(sim, c.date, c.type, c.tar);
    CHECK(r.status == 200);
    if (c.expected.empty()) {
      CHECK(r.body.rfind("交易时间", 0) == 0);  // a bill (the refund made on 05-01)
    } else {
      CHECK(r.body == c.expected);
    }
  }
  sim.controlJson("POST", "/sim/clock", R"({"now":"2024-05-02T02:00:00Z"})");
  auto r = sim.pay("downloadbill", {{"appid", "wx2421b1c4370ec43b"}, {"bill_date", "20240501"}}, 0);
  CHECK(r.body.rfind("交易时间", 0) == 0);
  // A bad signature on downloadbill says so in the bill API's words.
  auto bad = wx::test::httpExchange(
      sim.url(), "POST", "/pay/downloadbill",
      "<xml><appid>wx2421b1c4370ec43b</appid><mch_id>10000100</mch_id><nonce_str>a</nonce_str>"
      "<bill_date>20240501</bill_date><sign>0123456789ABCDEF0123456789ABCDEF</sign></xml>");
  CHECK(bad.body ==
        "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[SIGN "
        "ERROR]]></return_msg></xml>");
}

TEST_CASE("sim: bills cut at midnight Beijing by pay time and by refund time",
          "[integration][sim]") {
  SimProcess sim;
  for (const char* no : {"MID000001", "MID000002"}) {
    sim.controlJson(
        "POST", "/sim/orders",
        std::string(R"({"mch_id":"10000100","appid":"wx2421b1c4370ec43b","out_trade_no":")") + no +
            R"(","total_fee":1000,"created_at":"2024-05-01T14:00:00Z"})");
  }
  // 23:59:59 and 00:00:00 Beijing; the first is refunded at 00:00:01 the next day.
  sim.controlJson("POST", "/sim/orders/MID000001/pay",
                  R"({"notify":"lose","paid_at":"2024-05-01T15:59:59Z"})");
  sim.controlJson("POST", "/sim/orders/MID000002/pay",
                  R"({"notify":"lose","paid_at":"2024-05-01T16:00:00Z"})");
  sim.controlJson("POST", "/sim/orders/MID000001/refund",
                  R"({"refund_fee":400,"refunded_at":"2024-05-01T16:00:01Z"})");
  sim.controlJson("POST", "/sim/clock", R"({"now":"2024-05-03T02:00:00Z"})");

  auto day1 = lines(bill(sim, "20240501").body);
  REQUIRE(day1.size() == 4);
  CHECK(billFields(day1[1])[0] == "2024-05-01 23:59:59");
  CHECK(billFields(day1[1])[6] == "MID000001");
  CHECK(day1[3] == "`1,`10.00,`0.00,`0.00,`0.06000,`10.00,`0.00");

  auto day2 = lines(bill(sim, "20240502").body);
  REQUIRE(day2.size() == 5);
  CHECK(billFields(day2[1])[0] == "2024-05-02 00:00:00");
  CHECK(billFields(day2[1])[9] == "SUCCESS");
  CHECK(billFields(day2[2])[0] == "2024-05-02 00:00:01");
  CHECK(billFields(day2[2])[9] == "REFUND");
  CHECK(billFields(day2[2])[6] == "MID000001");
  CHECK(billFields(day2[2])[16] == "4.00");
  // 10.00 paid (fee 0.06), 4.00 refunded (fee -0.02: 0.6% of 400 fen = 2.4 -> 2 fen).
  CHECK(day2[4] == "`2,`10.00,`4.00,`0.00,`0.04000,`10.00,`4.00");
}

TEST_CASE("sim: a generated day: bill totals add up, CSV export, queries, determinism",
          "[integration][sim]") {
  SimProcess sim;
  auto gen = sim.controlJson(
      "POST", "/sim/generate",
      R"({"mch_id":"10000100","date":"2024-04-20","rows":10000,"seed":42,"refund_ratio":0.1})");
  CHECK(gen->getValue<int>("rows") == 10000);
  auto r = bill(sim, "20240420");
  REQUIRE(r.status == 200);
  auto ls = lines(r.body);
  REQUIRE(ls.size() > 10003);
  const std::size_t rows = ls.size() - 3;
  std::size_t pays = 0, refunds = 0;
  wx::Fen settle = 0, refund = 0, order = 0, applied = 0;
  std::int64_t fee = 0;
  std::string last_time;
  for (std::size_t i = 1; i <= rows; ++i) {
    auto f = billFields(ls[i]);
    REQUIRE(f.size() == 27);
    CHECK(f[0].rfind("2024-04-20 ", 0) == 0);
    CHECK(f[0] >= last_time);  // sorted by 交易时间
    last_time = f[0];
    (f[9] == "SUCCESS" ? pays : refunds)++;
    settle += *wx::parseYuan(f[12]);
    refund += *wx::parseYuan(f[16]);
    fee += wx::parseFee(f[22])->units;
    order += *wx::parseYuan(f[24]);
    applied += *wx::parseYuan(f[25]);
    // The fee is 0.6% of the row's amount, rounded half-up to the fen.
    const wx::Fen amount = f[9] == "SUCCESS" ? *wx::parseYuan(f[24]) : *wx::parseYuan(f[25]);
    const std::int64_t expect_fee = ((amount * 6 + 500) / 1000) * 1000;
    CHECK(wx::parseFee(f[22])->units == (f[9] == "SUCCESS" ? expect_fee : -expect_fee));
  }
  CHECK(pays == 10000);
  CHECK(refunds > 800);
  CHECK(refunds < 1200);
  CHECK(ls[rows + 1] ==
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
        "申请退款总金额");
  CHECK(ls[rows + 2] == "`" + std::to_string(rows) + ",`" + wx::formatYuan(settle) + ",`" +
                            wx::formatYuan(refund) + ",`0.00,`" + wx::formatFee({fee}) + ",`" +
                            wx::formatYuan(order) + ",`" + wx::formatYuan(applied));

  // The CSV has one line per order with the merchant_order column order.
  auto csv = lines(sim.control("GET", "/sim/orders.csv?mch_id=10000100&date=2024-04-20").body);
  REQUIRE(csv.size() == 10001);
  CHECK(csv[0] ==
        "mch_id,appid,out_trade_no,total_fee,fee_type,trade_type,state,transaction_id,paid_at,"
        "created_at,expire_at");
  // Row 5 of the CSV agrees with orderquery and with its bill row.
  std::vector<std::string> c;
  {
    std::istringstream in(csv[6]);
    for (std::string x; std::getline(in, x, ',');) c.push_back(x);
  }
  REQUIRE(c.size() == 11);
  CHECK(c[2] == "G20240420000000005");
  auto q = sim.pay("orderquery", {{"appid", "wxd930ea5d5a258f4f"}, {"out_trade_no", c[2]}});
  CHECK(xmlValue(q.body, "trade_state") == c[6]);
  CHECK(xmlValue(q.body, "total_fee") == c[3]);
  CHECK(xmlValue(q.body, "transaction_id") == c[7]);
  auto notpay =
      lines(sim.control("GET", "/sim/orders.csv?mch_id=10000100&date=2024-04-20&as=NOTPAY").body);
  CHECK(notpay[6].find(",NOTPAY,\\N,\\N,") != std::string::npos);

  // Refunding a generated order moves it out of the generated rows, once.
  sim.controlJson("POST", "/sim/orders/G20240420000000005/refund",
                  R"({"refund_fee":1,"refunded_at":"2024-04-20T15:59:59Z"})");
  auto after = lines(bill(sim, "20240420").body);
  CHECK(after.size() == ls.size() + 1);

  // Same seed, same day in another simulator: the same bill.
  SimProcess twin;
  twin.controlJson(
      "POST", "/sim/generate",
      R"({"mch_id":"10000100","date":"2024-04-20","rows":10000,"seed":42,"refund_ratio":0.1})");
  CHECK(bill(twin, "20240420").body == r.body);
  twin.controlJson(
      "POST", "/sim/generate",
      R"({"mch_id":"10000100","date":"2024-04-20","rows":10000,"seed":43,"refund_ratio":0.1})");
  CHECK(bill(twin, "20240420").body != r.body);
}

TEST_CASE("sim: /sim/bills/override answers one merchant-day with given bytes or an error",
          "[integration][sim]") {
  SimProcess sim;
  makeSampleDay(sim);
  sim.controlJson("POST", "/sim/clock", R"({"now":"2024-05-02T02:00:00Z"})");
  const std::string text = "交易时间,x\n`a,`b\n";  // any bytes: the sim does not check them
  // base64 of `text` and of a non-gzip, non-text byte string.
  const std::string text64 = "5Lqk5piT5pe26Ze0LHgKYGEsYGIK", raw64 = "H4sA/wA=";
  sim.controlJson("POST", "/sim/bills/override",
                  R"({"mch_id":"10000100","date":"2024-05-01","body_base64":")" + text64 + "\"}");
  CHECK(bill(sim, "20240501").body == text);
  CHECK(gunzip(bill(sim, "20240501", "", "GZIP").body) == text);
  // Another day and another merchant keep their generated answers.
  CHECK(bill(sim, "20240430").body.find("No Bill Exist") != std::string::npos);

  sim.controlJson(
      "POST", "/sim/bills/override",
      R"({"mch_id":"10000100","date":"20240501","body_base64":")" + raw64 + R"(","raw":true})");
  const std::string raw_expected("\x1f\x8b\x00\xff\x00", 5);
  CHECK(bill(sim, "20240501", "", "GZIP").body == raw_expected);
  CHECK(bill(sim, "20240501").body == raw_expected);

  sim.controlJson("POST", "/sim/bills/override",
                  R"({"mch_id":"10000100","date":"2024-05-01","error":"No Bill Exist",)"
                  R"("error_code":"20002"})");
  CHECK(bill(sim, "20240501", "", "GZIP").body ==
        "<xml><error_code><![CDATA[20002]]></error_code><return_code><![CDATA[FAIL]]>"
        "</return_code><return_msg><![CDATA[No Bill Exist]]></return_msg></xml>");
  // Even before 10:00 Beijing the override answers (it replaces the day's whole answer).
  sim.controlJson("POST", "/sim/clock", R"({"now":"2024-05-01T15:00:00Z"})");
  CHECK(bill(sim, "20240501").body.find("No Bill Exist") != std::string::npos);

  // Bad requests name what is wrong.
  const struct {
    const char* body;
    const char* error;
  } bad[] = {
      {R"({"mch_id":"10000100","date":"2024-05-01"})", "exactly one"},
      {R"({"mch_id":"10000100","date":"2024-05-01","body_base64":"","error":"x"})", "exactly one"},
      {R"({"mch_id":"99","date":"2024-05-01","error":"x"})", "unknown mch_id"},
      {R"({"mch_id":"10000100","date":"2024-02-30","error":"x"})", "date"},
      {R"({"mch_id":"10000100","date":"2024-05-01","body_base64":"%%%"})", "base64"},
      {R"({"mch_id":"10000100","date":"2024-05-01","error":"x","oops":1})", "oops"},
  };
  for (const auto& b : bad) {
    INFO(b.body);
    auto r = sim.control("POST", "/sim/bills/override", b.body);
    CHECK(r.status == 400);
    CHECK(r.body.find(b.error) != std::string::npos);
  }

  // /sim/reset forgets the override: the day is generated from ground truth again.
  sim.controlJson("POST", "/sim/reset");
  sim.controlJson("POST", "/sim/clock", R"({"now":"2024-05-02T02:00:00Z"})");
  CHECK(bill(sim, "20240501").body.find("No Bill Exist") != std::string::npos);
}
