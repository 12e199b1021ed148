// wxpay-sim conformance: every /pay endpoint and error shape against HAND-WRITTEN expected XML
// whose sign is recomputed here with OpenSSL over a hand-written string to sign.
#include <catch2/catch.hpp>

#include "support/sim_expect.h"
#include "support/sim_process.h"

using wx::FieldMap;
using wx::SignType;
using wx::test::fill;
using wx::test::hmacSha256Upper;
using wx::test::md5Upper;
using wx::test::SimProcess;
using wx::test::xmlValue;

namespace {

const char kKey[] = "192006250b4c09247ec02edce69f6a2d";

void createOrder(const SimProcess& sim, const std::string& no, const std::string& extra = "") {
  sim.controlJson("POST", "/sim/orders",
                  R"({"mch_id":"10000100","appid":"wx2421b1c4370ec43b","out_trade_no":")" + no +
                      R"(","total_fee":1)" + extra + "}");
}

}  // namespace

TEST_CASE("sim: the independent MD5/HMAC helpers reproduce WeChat's test vectors TV1/TV2",
          "[integration][sim]") {
  const std::string a =
      "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str="
      "ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d";
  CHECK(md5Upper(a) == "9A0A8659F005D6984697E2CA0A9CF3B7");
  CHECK(hmacSha256Upper(kKey, a) ==
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6");
}

TEST_CASE("sim: orderquery of a paid order is byte-for-byte the hand-written answer",
          "[integration][sim]") {
  SimProcess sim;
  createOrder(
      sim, "1415757673",
      R"(,"openid":"oUpF8uN95-Ptaags6E_roPHg7AG0","trade_type":"MICROPAY","attach":"订单额外描述")");
  sim.controlJson("POST", "/sim/orders/1415757673/pay",
                  R"({"notify":"lose","paid_at":"2024-05-01T09:00:43Z"})");
  auto r = sim.pay("orderquery", {{"appid", "wx2421b1c4370ec43b"}, {"out_trade_no", "1415757673"}});
  REQUIRE(r.status == 200);
  const std::string nonce = xmlValue(r.body, "nonce_str");
  REQUIRE(nonce.size() == 16);
  const std::string to_sign = fill(
      "appid=wx2421b1c4370ec43b&attach=订单额外描述&bank_type=CFT&cash_fee=1&fee_type=CNY&"
      "is_subscribe=N&mch_id=10000100&nonce_str={N}&openid=oUpF8uN95-Ptaags6E_roPHg7AG0&"
      "out_trade_no=1415757673&result_code=SUCCESS&return_code=SUCCESS&return_msg=OK&"
      "time_end=20240501170043&total_fee=1&trade_state=SUCCESS&trade_state_desc=支付成功&"
      "trade_type=MICROPAY&transaction_id=4200000202405010000000000001&key={K}",
      {{"N", nonce}, {"K", kKey}});
  const std::string expected = fill(
      "<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid><attach><![CDATA[订单额外描述]]></attach>"
      "<bank_type><![CDATA[CFT]]></bank_type><cash_fee><![CDATA[1]]></cash_fee>"
      "<fee_type><![CDATA[CNY]]></fee_type><is_subscribe><![CDATA[N]]></is_subscribe>"
      "<mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[{N}]]></nonce_str>"
      "<openid><![CDATA[oUpF8uN95-Ptaags6E_roPHg7AG0]]></openid>"
      "<out_trade_no><![CDATA[1415757673]]></out_trade_no>"
      "<result_code><![CDATA[SUCCESS]]></result_code><return_code><![CDATA[SUCCESS]]></return_code>"
      "<return_msg><![CDATA[OK]]></return_msg><sign><![CDATA[{S}]]></sign>"
      "<time_end><![CDATA[20240501170043]]></time_end><total_fee><![CDATA[1]]></total_fee>"
      "<trade_state><![CDATA[SUCCESS]]></trade_state>"
      "<trade_state_desc><![CDATA[支付成功]]></trade_state_desc>"
      "<trade_type><![CDATA[MICROPAY]]></trade_type>"
      "<transaction_id><![CDATA[4200000202405010000000000001]]></transaction_id></xml>",
      {{"N", nonce}, {"S", md5Upper(to_sign)}});
  CHECK(r.body == expected);

  // The same query by transaction_id (which wins over a wrong out_trade_no) names the same order.
  auto t = sim.pay("orderquery", {{"appid", "wx2421b1c4370ec43b"},
                                  {"transaction_id", "4200000202405010000000000001"},
                                  {"out_trade_no", "SOMETHINGELSE"}});
  CHECK(xmlValue(t.body, "out_trade_no") == "1415757673");
  CHECK(xmlValue(t.body, "trade_state") == "SUCCESS");
}

TEST_CASE("sim: ORDERNOTEXIST is a signed result_code=FAIL answer, HMAC when asked",
          "[integration][sim]") {
  SimProcess sim;
  auto r = sim.pay("orderquery", {{"out_trade_no", "NOSUCHORDER1"}}, 0, SignType::kHmacSha256);
  REQUIRE(r.status == 200);
  const std::string nonce = xmlValue(r.body, "nonce_str");
  const std::string sign = hmacSha256Upper(
      kKey, fill("appid=wxd930ea5d5a258f4f&err_code=ORDERNOTEXIST&err_code_des=此交易订单号不存在&"
                 "mch_id=10000100&nonce_str={N}&result_code=FAIL&return_code=SUCCESS&"
                 "return_msg=OK&key={K}",
                 {{"N", nonce}, {"K", kKey}}));
  CHECK(r.body ==
        fill("<xml><appid><![CDATA[wxd930ea5d5a258f4f]]></appid>"
             "<err_code><![CDATA[ORDERNOTEXIST]]></err_code>"
             "<err_code_des><![CDATA[此交易订单号不存在]]></err_code_des>"
             "<mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[{N}]]></nonce_str>"
             "<result_code><![CDATA[FAIL]]></result_code>"
             "<return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
             "<sign><![CDATA[{S}]]></sign></xml>",
             {{"N", nonce}, {"S", sign}}));
  CHECK(sign.size() == 64);
}

TEST_CASE("sim: request-level failures are unsigned return_code=FAIL answers",
          "[integration][sim]") {
  SimProcess sim;
  createOrder(sim, "ORDSIGN01");
  struct Case {
    const char* why;
    std::string body;
    const char* method;
    std::string expected_msg;
  };
  const std::string good_fields =
      "<appid>wx2421b1c4370ec43b</appid><mch_id>10000100</mch_id><nonce_str>abc</nonce_str>"
      "<out_trade_no>ORDSIGN01</out_trade_no>";
  // Sign of the four fields above with the right key, computed here.
  const std::string good_sign = md5Upper(
      "appid=wx2421b1c4370ec43b&mch_id=10000100&nonce_str=abc&out_trade_no=ORDSIGN01&key=" +
      std::string(kKey));
  const std::string wrong_key_sign = md5Upper(
      "appid=wx2421b1c4370ec43b&mch_id=10000100&nonce_str=abc&out_trade_no=ORDSIGN01&key="
      "00000000000000000000000000000000");
  const Case cases[] = {
      {"sign made with another key",
       "<xml>" + good_fields + "<sign>" + wrong_key_sign + "</sign></xml>", "POST", "签名错误"},
      {"a signed field changed after signing",
       "<xml><appid>wx2421b1c4370ec43b</appid><mch_id>10000100</mch_id><nonce_str>abd</nonce_str>"
       "<out_trade_no>ORDSIGN01</out_trade_no><sign>" +
           good_sign + "</sign></xml>",
       "POST", "签名错误"},
      {"an MD5 sign claimed as HMAC-SHA256",
       "<xml>" + good_fields + "<sign_type>HMAC-SHA256</sign_type><sign>" + good_sign +
           "</sign></xml>",
       "POST", "签名错误"},
      {"no sign at all", "<xml>" + good_fields + "</xml>", "POST", "缺少参数sign"},
      {"not XML", "appid=wx2421b1c4370ec43b&mch_id=10000100", "POST", "XML格式错误"},
      {"a DOCTYPE (XXE attempt)",
       "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml>" +
           good_fields + "<sign>" + good_sign + "</sign></xml>",
       "POST", "XML格式错误"},
      {"appid not bound to the mch_id",
       "<xml><appid>wxother00000000001</appid><mch_id>10000100</mch_id><nonce_str>abc</nonce_str>"
       "<out_trade_no>ORDSIGN01</out_trade_no><sign>" +
           good_sign + "</sign></xml>",
       "POST", "appid和mch_id不匹配"},
      {"unknown mch_id",
       "<xml><appid>wx2421b1c4370ec43b</appid><mch_id>99999999</mch_id><nonce_str>abc</nonce_str>"
       "<out_trade_no>ORDSIGN01</out_trade_no><sign>" +
           good_sign + "</sign></xml>",
       "POST", "appid和mch_id不匹配"},
      {"GET instead of POST", "", "GET", "请使用post方法"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto r = wx::test::httpExchange(sim.url(), c.method, "/pay/orderquery", c.body);
    CHECK(r.status == 200);
    CHECK(r.body == "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[" +
                        c.expected_msg + "]]></return_msg></xml>");
  }
  // The control: the same request with the right sign is answered.
  auto ok = wx::test::httpExchange(sim.url(), "POST", "/pay/orderquery",
                                   "<xml>" + good_fields + "<sign>" + good_sign + "</sign></xml>");
  CHECK(xmlValue(ok.body, "trade_state") == "NOTPAY");
}

TEST_CASE("sim: an unpaid order answers NOTPAY with only out_trade_no, even past time_expire",
          "[integration][sim]") {
  SimProcess sim;
  createOrder(sim, "ORDNOTPAY1", R"(,"time_expire":"2024-05-01T00:10:00Z")");
  sim.controlJson("POST", "/sim/clock", R"({"advance_s":86400})");
  auto r = sim.pay("orderquery", {{"appid", "wx2421b1c4370ec43b"}, {"out_trade_no", "ORDNOTPAY1"}});
  const std::string nonce = xmlValue(r.body, "nonce_str");
  const std::string sign = md5Upper(
      fill("appid=wx2421b1c4370ec43b&mch_id=10000100&nonce_str={N}&out_trade_no=ORDNOTPAY1&"
           "result_code=SUCCESS&return_code=SUCCESS&return_msg=OK&trade_state=NOTPAY&"
           "trade_state_desc=订单未支付&key={K}",
           {{"N", nonce}, {"K", kKey}}));
  CHECK(r.body ==
        fill("<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid>"
             "<mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[{N}]]></nonce_str>"
             "<out_trade_no><![CDATA[ORDNOTPAY1]]></out_trade_no>"
             "<result_code><![CDATA[SUCCESS]]></result_code>"
             "<return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
             "<sign><![CDATA[{S}]]></sign><trade_state><![CDATA[NOTPAY]]></trade_state>"
             "<trade_state_desc><![CDATA[订单未支付]]></trade_state_desc></xml>",
             {{"N", nonce}, {"S", sign}}));
}

TEST_CASE("sim: closeorder keeps the 5-minute rule: closed never pays, paid never closes",
          "[integration][sim]") {
  SimProcess sim;
  createOrder(sim, "ORDCLOSE01");
  const FieldMap close{{"appid", "wx2421b1c4370ec43b"}, {"out_trade_no", "ORDCLOSE01"}};
  const FieldMap query = close;

  // 4 min 59 s after creation: refused (retryable) and the order stays open.
  sim.controlJson("POST", "/sim/clock", R"({"advance_s":299})");
  auto early = sim.pay("closeorder", close);
  CHECK(xmlValue(early.body, "result_code") == "FAIL");
  CHECK(xmlValue(early.body, "err_code") == "SYSTEMERROR");
  CHECK(xmlValue(sim.pay("orderquery", query).body, "trade_state") == "NOTPAY");

  // At 5 minutes: closed, with the hand-written success shape.
  sim.controlJson("POST", "/sim/clock", R"({"advance_s":1})");
  auto ok = sim.pay("closeorder", close);
  const std::string nonce = xmlValue(ok.body, "nonce_str");
  const std::string sign = md5Upper(fill(
      "appid=wx2421b1c4370ec43b&mch_id=10000100&nonce_str={N}&result_code=SUCCESS&result_msg=OK&"
      "return_code=SUCCESS&return_msg=OK&key={K}",
      {{"N", nonce}, {"K", kKey}}));
  CHECK(ok.body ==
        fill("<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid>"
             "<mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[{N}]]></nonce_str>"
             "<result_code><![CDATA[SUCCESS]]></result_code><result_msg><![CDATA[OK]]></result_msg>"
             "<return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
             "<sign><![CDATA[{S}]]></sign></xml>",
             {{"N", nonce}, {"S", sign}}));
  CHECK(xmlValue(sim.pay("orderquery", query).body, "trade_state") == "CLOSED");
  CHECK(xmlValue(sim.pay("closeorder", close).body, "err_code") == "ORDERCLOSED");
  // A closed order can never be paid.
  auto pay = sim.control("POST", "/sim/orders/ORDCLOSE01/pay", "{}");
  CHECK(pay.status == 409);
  CHECK(xmlValue(sim.pay("orderquery", query).body, "trade_state") == "CLOSED");

  // A paid order cannot be closed (ORDERPAID), only refunded.
  createOrder(sim, "ORDPAID001");
  sim.controlJson("POST", "/sim/orders/ORDPAID001/pay", R"({"notify":"lose"})");
  sim.controlJson("POST", "/sim/clock", R"({"advance_s":600})");
  const FieldMap close_paid{{"appid", "wx2421b1c4370ec43b"}, {"out_trade_no", "ORDPAID001"}};
  CHECK(xmlValue(sim.pay("closeorder", close_paid).body, "err_code") == "ORDERPAID");
  CHECK(sim.control("POST", "/sim/orders/ORDPAID001/pay", "{}").status == 409);
  CHECK(sim.control("POST", "/sim/orders/ORDPAID001/state", R"({"state":"REVOKED"})").status ==
        409);
  CHECK(xmlValue(sim.pay("closeorder",
                         {{"appid", "wx2421b1c4370ec43b"}, {"out_trade_no", "NEVERMADE01"}})
                     .body,
                 "err_code") == "ORDERNOTEXIST");
  sim.controlJson("POST", "/sim/orders/ORDPAID001/refund", R"({"refund_fee":1})");
  CHECK(xmlValue(sim.pay("orderquery", close_paid).body, "trade_state") == "REFUND");
  CHECK(sim.control("POST", "/sim/orders/ORDPAID001/refund", R"({"refund_fee":1})").status == 409);
}

TEST_CASE("sim: unifiedorder creates, repeats idempotently, refuses reuse, signs with HMAC",
          "[integration][sim]") {
  SimProcess sim;
  FieldMap uo{{"appid", "wxd930ea5d5a258f4f"},   {"body", "test"},
              {"out_trade_no", "UO0000001"},     {"total_fee", "101"},
              {"spbill_create_ip", "127.0.0.1"}, {"notify_url", "http://127.0.0.1:9/notify"},
              {"trade_type", "NATIVE"}};
  auto first = sim.pay("unifiedorder", uo, 0, SignType::kHmacSha256);
  REQUIRE(xmlValue(first.body, "result_code") == "SUCCESS");
  const std::string prepay = xmlValue(first.body, "prepay_id");
  CHECK(prepay.rfind("wx20240501080000", 0) == 0);
  CHECK(xmlValue(first.body, "code_url").rfind("weixin://wxpay/bizpayurl?pr=", 0) == 0);
  const std::string to_sign = fill(
      "appid=wxd930ea5d5a258f4f&code_url={C}&mch_id=10000100&nonce_str={N}&prepay_id={P}&"
      "result_code=SUCCESS&return_code=SUCCESS&return_msg=OK&trade_type=NATIVE&key={K}",
      {{"C", xmlValue(first.body, "code_url")},
       {"N", xmlValue(first.body, "nonce_str")},
       {"P", prepay},
       {"K", kKey}});
  CHECK(xmlValue(first.body, "sign") == hmacSha256Upper(kKey, to_sign));

  auto again = sim.pay("unifiedorder", uo);
  CHECK(xmlValue(again.body, "prepay_id") == prepay);
  uo["total_fee"] = "102";
  CHECK(xmlValue(sim.pay("unifiedorder", uo).body, "err_code") == "OUT_TRADE_NO_USED");
  uo["total_fee"] = "101";

  auto order = sim.controlJson("GET", "/sim/orders/UO0000001");
  CHECK(order->getValue<std::string>("state") == "NOTPAY");
  CHECK(order->getValue<std::string>("sign_type") == "HMAC-SHA256");
  CHECK(order->getValue<int>("total_fee") == 101);

  FieldMap missing = uo;
  missing.erase("notify_url");
  missing["out_trade_no"] = "UO0000002";
  auto m = sim.pay("unifiedorder", missing);
  CHECK(m.body ==
        "<xml><return_code><![CDATA[FAIL]]></return_code>"
        "<return_msg><![CDATA[缺少参数notify_url]]></return_msg></xml>");
  FieldMap jsapi = uo;
  jsapi["trade_type"] = "JSAPI";
  jsapi["out_trade_no"] = "UO0000003";
  CHECK(xmlValue(sim.pay("unifiedorder", jsapi).body, "err_code") == "PARAM_ERROR");
  FieldMap short_expiry = uo;
  short_expiry["out_trade_no"] = "UO0000004";
  short_expiry["time_expire"] = "20240501080400";  // 4 minutes after now (08:00 Beijing)
  CHECK(xmlValue(sim.pay("unifiedorder", short_expiry).body, "err_code_des") ==
        "time_expire时间过短，刷卡至少1分钟，其他5分钟");

  sim.controlJson("POST", "/sim/orders/UO0000001/pay", R"({"notify":"lose"})");
  CHECK(xmlValue(sim.pay("unifiedorder", uo).body, "err_code") == "ORDERPAID");
}

TEST_CASE("sim: refundquery lists refunds by every id kind: REFUNDNOTEXIST otherwise",
          "[integration][sim]") {
  SimProcess sim;
  createOrder(sim, "ORDREF0001", R"(,"total_fee":1000)");
  sim.controlJson("POST", "/sim/orders/ORDREF0001/pay",
                  R"({"notify":"lose","paid_at":"2024-05-01T01:00:00Z"})");
  CHECK(xmlValue(sim.pay("refundquery",
                         {{"appid", "wx2421b1c4370ec43b"}, {"out_trade_no", "ORDREF0001"}})
                     .body,
                 "err_code") == "REFUNDNOTEXIST");
  sim.controlJson(
      "POST", "/sim/orders/ORDREF0001/refund",
      R"({"refund_fee":300,"out_refund_no":"RF1","refunded_at":"2024-05-01T02:00:00Z"})");
  sim.controlJson(
      "POST", "/sim/orders/ORDREF0001/refund",
      R"({"refund_fee":200,"out_refund_no":"RF2","refunded_at":"2024-05-01T03:00:00Z"})");
  auto all =
      sim.pay("refundquery", {{"appid", "wx2421b1c4370ec43b"}, {"out_trade_no", "ORDREF0001"}});
  CHECK(xmlValue(all.body, "refund_count") == "2");
  CHECK(xmlValue(all.body, "refund_fee") == "500");
  CHECK(xmlValue(all.body, "total_fee") == "1000");
  CHECK(xmlValue(all.body, "out_refund_no_0") == "RF1");
  CHECK(xmlValue(all.body, "refund_fee_1") == "200");
  CHECK(xmlValue(all.body, "refund_status_1") == "SUCCESS");
  CHECK(xmlValue(all.body, "refund_success_time_0") == "2024-05-01 10:00:00");
  CHECK(xmlValue(all.body, "refund_id_0") == "50000002024050100000000000001");
  CHECK(xmlValue(all.body, "sign") ==
        md5Upper(fill("appid=wx2421b1c4370ec43b&cash_fee=1000&mch_id=10000100&nonce_str={N}&"
                      "out_refund_no_0=RF1&out_refund_no_1=RF2&out_trade_no=ORDREF0001&"
                      "refund_account_0=REFUND_SOURCE_UNSETTLED_FUNDS&"
                      "refund_account_1=REFUND_SOURCE_UNSETTLED_FUNDS&refund_channel_0=ORIGINAL&"
                      "refund_channel_1=ORIGINAL&refund_count=2&refund_fee=500&refund_fee_0=300&"
                      "refund_fee_1=200&refund_id_0=50000002024050100000000000001&"
                      "refund_id_1=50000002024050100000000000002&"
                      "refund_recv_accout_0=支付用户的零钱&refund_recv_accout_1=支付用户的零钱&"
                      "refund_status_0=SUCCESS&refund_status_1=SUCCESS&"
                      "refund_success_time_0=2024-05-01 10:00:00&"
                      "refund_success_time_1=2024-05-01 11:00:00&result_code=SUCCESS&"
                      "return_code=SUCCESS&return_msg=OK&settlement_refund_fee_0=300&"
                      "settlement_refund_fee_1=200&total_fee=1000&total_refund_count=2&"
                      "transaction_id=4200000202405010000000000001&key={K}",
                      {{"N", xmlValue(all.body, "nonce_str")}, {"K", kKey}})));
  auto one = sim.pay("refundquery", {{"appid", "wx2421b1c4370ec43b"}, {"out_refund_no", "RF2"}});
  CHECK(xmlValue(one.body, "refund_count") == "1");
  CHECK(xmlValue(one.body, "refund_fee_0") == "200");
  auto by_id = sim.pay("refundquery", {{"appid", "wx2421b1c4370ec43b"},
                                       {"refund_id", "50000002024050100000000000001"}});
  CHECK(xmlValue(by_id.body, "out_refund_no_0") == "RF1");
  auto by_txn = sim.pay("refundquery", {{"appid", "wx2421b1c4370ec43b"},
                                        {"transaction_id", "4200000202405010000000000001"}});
  CHECK(xmlValue(by_txn.body, "refund_count") == "2");
  CHECK(xmlValue(sim.pay("refundquery", {{"appid", "wx2421b1c4370ec43b"},
                                         {"out_trade_no", "ORDREF0001"},
                                         {"offset", "2"}})
                     .body,
                 "err_code") == "PARAM_ERROR");
  CHECK(
      xmlValue(
          sim.pay("refundquery", {{"appid", "wx2421b1c4370ec43b"}, {"out_refund_no", "RF9"}}).body,
          "err_code") == "REFUNDNOTEXIST");
}

TEST_CASE("sim: control API ground truth, errors and multi-merchant lookups",
          "[integration][sim]") {
  SimProcess sim;
  sim.controlJson("POST", "/sim/orders",
                  R"({"mch_id":"10000100","out_trade_no":"SAME000001","total_fee":5})");
  sim.controlJson("POST", "/sim/orders",
                  R"({"mch_id":"10000200","out_trade_no":"SAME000001","total_fee":7})");
  CHECK(sim.control("POST", "/sim/orders/SAME000001/pay", "{}").status == 409);  // ambiguous
  auto paid = sim.controlJson("POST", "/sim/orders/SAME000001/pay",
                              R"({"mch_id":"10000200","paid_fee":6,"notify":"lose"})");
  CHECK(paid->getValue<std::string>("state") == "SUCCESS");
  CHECK(paid->getValue<int>("paid_fee") == 6);
  // An amount mismatch shows in the answers; the HMAC merchant's sign is HMAC when asked.
  auto q = sim.pay("orderquery", {{"out_trade_no", "SAME000001"}}, 1, SignType::kHmacSha256);
  CHECK(xmlValue(q.body, "total_fee") == "6");
  CHECK(xmlValue(q.body, "appid") == "wxother00000000001");
  auto list = sim.controlJson("GET", "/sim/orders?mch_id=10000100");
  REQUIRE(list->getArray("orders")->size() == 1);
  CHECK(list->getArray("orders")->getObject(0)->getValue<std::string>("state") == "NOTPAY");
  CHECK(sim.control("POST", "/sim/orders",
                    R"({"mch_id":"10000100","out_trade_no":"SAME000001","total_fee":5})")
            .status == 409);
  CHECK(sim.control("POST", "/sim/orders",
                    R"({"mch_id":"10000100","out_trade_no":"X1","total_fee":5,"typo":1})")
            .status == 400);
  CHECK(
      sim.control(
             "POST", "/sim/orders",
             R"({"mch_id":"10000100","appid":"wxother00000000001","out_trade_no":"X2","total_fee":5})")
          .status == 400);
  CHECK(sim.control("GET", "/sim/orders/NOPE000001").status == 404);
  sim.controlJson("POST", "/sim/reset");
  CHECK(sim.controlJson("GET", "/sim/orders")->getArray("orders")->size() == 0);
  auto clock = sim.controlJson("POST", "/sim/clock", R"({"now":"2025-01-02T03:04:05Z"})");
  CHECK(clock->getValue<std::string>("now") == "2025-01-02T03:04:05.000Z");
  auto stats = sim.controlJson("GET", "/sim/stats");
  CHECK(stats->has("endpoints"));
}
