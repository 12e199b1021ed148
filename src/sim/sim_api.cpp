#include "sim/sim_api.h"

#include <Poco/JSON/Object.h>
#include <fmt/format.h>

#include <memory>
#include <sstream>

#include "sim/sim_bill.h"
#include "wechat/signer.h"

namespace wx::sim {
namespace {

constexpr Millis kMinExpiry = std::chrono::minutes(5);
constexpr Millis kMinExpiryMicropay = std::chrono::minutes(1);

std::string get(const FieldMap& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : it->second;
}

const char* tradeStateDesc(TradeState s) {
  switch (s) {
    case TradeState::kNotPay:
      return "订单未支付";
    case TradeState::kUserPaying:
      return "需要用户输入支付密码";
    case TradeState::kSuccess:
      return "支付成功";
    case TradeState::kRefund:
      return "订单发生过退款，退款详情请查询退款单";
    case TradeState::kClosed:
      return "订单已关闭";
    case TradeState::kRevoked:
      return "订单已撤销";
    case TradeState::kPayError:
      return "支付失败，请重新下单支付";
  }
  return "";
}

std::string billErrorXml(const std::string& msg, const std::string& error_code) {
  FieldMap f{{"return_code", "FAIL"}, {"return_msg", msg}};
  if (!error_code.empty()) f["error_code"] = error_code;
  return writeXmlFields(f);
}

// Changes the last character of an id so that it names another order.
std::string otherId(const std::string& id) {
  if (id.empty()) return "0";
  std::string s = id;
  char& c = s.back();
  c = (c >= '0' && c <= '8') ? static_cast<char>(c + 1) : '0';
  return s;
}

}  // namespace

std::string returnFailXml(const std::string& msg) {
  return writeXmlFields({{"return_code", "FAIL"}, {"return_msg", msg}});
}

// ---- PayStats ----

void PayStats::request(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_[endpoint]["requests"];
}

void PayStats::outcome(const std::string& endpoint, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_[endpoint][what];
}

void PayStats::fault(const std::string& endpoint, FaultKind kind) {
  std::lock_guard<std::mutex> lock(mu_);
  ++faults_[endpoint][faultKindName(kind)];
}

std::string PayStats::json() const {
  std::lock_guard<std::mutex> lock(mu_);
  Poco::JSON::Object root;
  for (const auto& [ep, counts] : counters_) {
    Poco::JSON::Object e;
    for (const auto& [k, v] : counts) e.set(k, v);
    Poco::JSON::Object f;
    if (auto it = faults_.find(ep); it != faults_.end()) {
      for (const auto& [k, v] : it->second) f.set(k, v);
    }
    e.set("faults", f);
    root.set(ep, e);
  }
  std::ostringstream os;
  root.stringify(os);
  return os.str();
}

void PayStats::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.clear();
  faults_.clear();
}

// ---- PayApi ----

struct PayApi::Ctx {
  std::string endpoint;
  FieldMap req;
  const MerchantConfig* merchant = nullptr;
  SignType sign_type = SignType::kMd5;
  FaultPlan plan;
  TimePoint now;

  // The common part of a signed answer. `appid` is the order's when one was found.
  FieldMap base(const std::string& appid = "") const {
    return {{"return_code", "SUCCESS"},
            {"return_msg", "OK"},
            {"appid", appid.empty() ? get(req, "appid") : appid},
            {"mch_id", merchant->mch_id},
            {"nonce_str", nonceFrom(plan.rng)}};
  }
  FieldMap fail(const std::string& code, const std::string& des,
                const std::string& appid = "") const {
    FieldMap f = base(appid);
    f["result_code"] = "FAIL";
    f["err_code"] = code;
    f["err_code_des"] = des;
    return f;
  }
};

FieldMap PayApi::orderQueryFields(const SimOrder& o) {
  FieldMap f;
  f["result_code"] = "SUCCESS";
  f["out_trade_no"] = o.out_trade_no;
  if (!o.attach.empty()) f["attach"] = o.attach;
  f["trade_state"] = tradeStateName(o.state);
  f["trade_state_desc"] = tradeStateDesc(o.state);
  if (o.paid()) {
    f["openid"] = o.openid;
    f["is_subscribe"] = "N";
    f["trade_type"] = o.trade_type;
    f["bank_type"] = o.bank_type;
    f["total_fee"] = std::to_string(o.paid_fee);
    f["fee_type"] = "CNY";
    f["cash_fee"] = std::to_string(o.paid_fee);
    f["transaction_id"] = o.transaction_id;
    f["time_end"] = formatBeijingCompact(*o.paid_at);
  }
  return f;
}

PayResponse PayApi::handle(const std::string& endpoint, const std::string& method,
                           const std::string& body) {
  static const char* const kEndpoints[] = {"unifiedorder", "orderquery", "closeorder",
                                           "refundquery", "downloadbill"};
  bool known = false;
  for (const char* e : kEndpoints) known = known || endpoint == e;
  PayResponse resp;
  if (!known) {
    resp.status = 404;
    resp.content_type = "text/plain";
    resp.body = "not found\n";
    return resp;
  }
  stats_.request(endpoint);
  const bool bill = endpoint == "downloadbill";
  auto returnFail = [&](const std::string& msg) {
    stats_.outcome(endpoint, "return_fail");
    resp.body = returnFailXml(msg);
    return resp;
  };
  if (method != "POST") return returnFail("请使用post方法");
  XmlLimits limits;
  limits.max_body_bytes = 1 << 20;
  auto parsed = parseXmlFields(body, limits);
  if (!parsed.ok()) return returnFail("XML格式错误");

  Ctx c;
  c.endpoint = endpoint;
  c.req = std::move(parsed.fields);
  c.now = clock_.now();
  const std::string mch_id = get(c.req, "mch_id");
  std::string key;
  for (const char* k :
       {"refund_id", "out_refund_no", "transaction_id", "out_trade_no", "bill_date"}) {
    if (key.empty()) key = get(c.req, k);
  }
  c.plan = faults_.decide(endpoint, mch_id, key);
  resp.latency_ms = c.plan.latency_ms;
  if (c.plan.kind != FaultKind::kNone) stats_.fault(endpoint, c.plan.kind);
  if (c.plan.kind == FaultKind::kHttp500 || c.plan.kind == FaultKind::kHttp502) {
    resp.status = c.plan.kind == FaultKind::kHttp500 ? 500 : 502;
    resp.content_type = "text/html";
    resp.body = resp.status == 500 ? "<html><body>500 Internal Server Error</body></html>"
                                   : "<html><body>502 Bad Gateway</body></html>";
    stats_.outcome(endpoint, "http_error");
    return resp;
  }

  for (const char* k : {"appid", "mch_id", "nonce_str", "sign"}) {
    if (get(c.req, k).empty()) return returnFail(std::string("缺少参数") + k);
  }
  c.merchant = state_.merchant(mch_id);
  if (c.merchant == nullptr || !c.merchant->hasAppid(get(c.req, "appid"))) {
    return returnFail("appid和mch_id不匹配");
  }
  const std::string st = get(c.req, "sign_type");
  if (!st.empty()) {
    auto t = parseSignType(st);
    if (!t) return returnFail("sign_type参数格式错误");
    c.sign_type = *t;
  }
  // WeChat computes the sign with the algorithm the request names (MD5 when absent).
  if (!verifySign(c.req, {c.sign_type}, c.merchant->api_key).ok()) {
    return returnFail(bill ? "SIGN ERROR" : "签名错误");
  }
  if (bill) return downloadBill(c);

  if (c.plan.kind == FaultKind::kSystemError) {
    return finish(c, c.fail("SYSTEMERROR", "系统错误"));
  }
  if (c.plan.kind == FaultKind::kFrequencyLimited) {
    return finish(c, c.fail("FREQUENCY_LIMITED", "频率限制,请降低频率再重试。"));
  }
  FieldMap answer;
  if (endpoint == "unifiedorder") {
    answer = unifiedOrder(c);
  } else if (endpoint == "orderquery") {
    answer = orderQuery(c);
  } else if (endpoint == "closeorder") {
    answer = closeOrder(c);
  } else {
    answer = refundQuery(c);
  }
  return finish(c, std::move(answer));
}

PayResponse PayApi::finish(Ctx& c, FieldMap answer) {
  PayResponse resp;
  resp.latency_ms = c.plan.latency_ms;
  if (answer.count("return_code") && answer["return_code"] == "FAIL") {
    stats_.outcome(c.endpoint, "return_fail");
    resp.body = writeXmlFields(answer);
    return resp;
  }
  stats_.outcome(c.endpoint, answer["result_code"] == "SUCCESS" ? "ok" : "result_fail");
  if (c.plan.kind == FaultKind::kWrongOrder) {
    for (const char* k : {"out_trade_no", "transaction_id"}) {
      if (answer.count(k)) answer[k] = otherId(answer[k]);
    }
  }
  answer.erase("sign");
  answer["sign"] = computeSign(answer, c.sign_type, c.merchant->api_key);
  if (c.plan.kind == FaultKind::kBadSign) {
    std::string& s = answer["sign"];
    s[0] = s[0] == 'A' ? 'B' : 'A';
  }
  resp.body = writeXmlFields(answer);
  if (c.plan.kind == FaultKind::kMalformed) {
    // An unclosed element: what a proxy mangling the body produces.
    const auto pos = resp.body.find("</return_code>");
    if (pos != std::string::npos) resp.body.erase(pos, 14);
  } else if (c.plan.kind == FaultKind::kTruncated) {
    resp.body.resize(resp.body.size() / 2);
  } else if (c.plan.kind == FaultKind::kTimeout || c.plan.kind == FaultKind::kReset) {
    resp.transport = c.plan.kind;
    resp.hold_ms = faults_.config().timeout_hold_ms;
  }
  return resp;
}

FieldMap PayApi::unifiedOrder(Ctx& c) {
  for (const char* k :
       {"body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type"}) {
    if (get(c.req, k).empty()) {
      return {{"return_code", "FAIL"}, {"return_msg", std::string("缺少参数") + k}};
    }
  }
  auto fee = parseFenField(get(c.req, "total_fee"));
  if (!fee || *fee <= 0) return c.fail("PARAM_ERROR", "total_fee参数错误");
  const std::string trade_type = get(c.req, "trade_type");
  if (trade_type != "JSAPI" && trade_type != "NATIVE" && trade_type != "APP" &&
      trade_type != "MWEB") {
    return c.fail("PARAM_ERROR", "trade_type参数错误");
  }
  if (trade_type == "JSAPI" && get(c.req, "openid").empty()) {
    return c.fail("PARAM_ERROR", "JSAPI支付必须传openid");
  }
  NewOrder n;
  n.mch_id = c.merchant->mch_id;
  n.appid = get(c.req, "appid");
  n.out_trade_no = get(c.req, "out_trade_no");
  n.total_fee = *fee;
  n.body = get(c.req, "body");
  n.attach = get(c.req, "attach");
  n.notify_url = get(c.req, "notify_url");
  n.trade_type = trade_type;
  n.openid = get(c.req, "openid");
  n.sign_type = c.sign_type;
  if (const std::string te = get(c.req, "time_expire"); !te.empty()) {
    auto t = parseBeijingCompact(te);
    if (!t) return c.fail("PARAM_ERROR", "time_expire参数格式错误");
    if (*t - c.now < kMinExpiry &&
        !(trade_type == "MICROPAY" && *t - c.now >= kMinExpiryMicropay)) {
      return c.fail("PARAM_ERROR", "time_expire时间过短，刷卡至少1分钟，其他5分钟");
    }
    n.time_expire = *t;
  }
  std::optional<SimOrder> o = state_.find(n.mch_id, n.out_trade_no);
  if (!o) {
    auto created = state_.create(n, c.now);
    if (!created) {
      if (created.status().code() == StatusCode::kAborted) {
        o = state_.find(n.mch_id, n.out_trade_no);  // lost a race with the same out_trade_no
      } else {
        return c.fail("PARAM_ERROR", created.status().message());
      }
    } else {
      o = *created;
    }
  } else if (o->paid()) {
    return c.fail("ORDERPAID", "该订单已支付");
  } else if (o->state != TradeState::kNotPay && o->state != TradeState::kUserPaying) {
    return c.fail("ORDERCLOSED", "该订单已关闭");
  } else if (o->total_fee != n.total_fee || o->appid != n.appid || o->body != n.body) {
    return c.fail("OUT_TRADE_NO_USED", "商户订单号重复");
  }
  FieldMap f = c.base(o->appid);
  f["result_code"] = "SUCCESS";
  f["prepay_id"] = o->prepay_id;
  f["trade_type"] = o->trade_type;
  if (o->trade_type == "NATIVE")
    f["code_url"] = "weixin://wxpay/bizpayurl?pr=" + o->prepay_id.substr(2, 7);
  if (auto d = get(c.req, "device_info"); !d.empty()) f["device_info"] = d;
  return f;
}

FieldMap PayApi::orderQuery(Ctx& c) {
  const std::string txn = get(c.req, "transaction_id");
  const std::string no = get(c.req, "out_trade_no");
  if (txn.empty() && no.empty()) {
    return {{"return_code", "FAIL"}, {"return_msg", "缺少参数out_trade_no或transaction_id"}};
  }
  // transaction_id wins when both are given.
  auto o = !txn.empty() ? state_.findByTransactionId(c.merchant->mch_id, txn)
                        : state_.find(c.merchant->mch_id, no);
  if (!o) return c.fail("ORDERNOTEXIST", "此交易订单号不存在");
  FieldMap f = c.base(o->appid);
  for (auto& [k, v] : orderQueryFields(*o)) f[k] = v;
  return f;
}

FieldMap PayApi::closeOrder(Ctx& c) {
  const std::string no = get(c.req, "out_trade_no");
  if (no.empty()) return {{"return_code", "FAIL"}, {"return_msg", "缺少参数out_trade_no"}};
  SimOrder o;
  switch (state_.close(c.merchant->mch_id, no, c.now, &o)) {
    case CloseOutcome::kClosed: {
      FieldMap f = c.base(o.appid);
      f["result_code"] = "SUCCESS";
      f["result_msg"] = "OK";
      return f;
    }
    case CloseOutcome::kNotExist:
      return c.fail("ORDERNOTEXIST", "此交易订单号不存在");
    case CloseOutcome::kPaid:
      return c.fail("ORDERPAID", "订单已支付，不能发起关单", o.appid);
    case CloseOutcome::kAlreadyClosed:
      return c.fail("ORDERCLOSED", "订单已关闭", o.appid);
    case CloseOutcome::kTooEarly:
      // The error WeChat returns here is undocumented (WECHATPAY_V2.md open question 5): the
      // simulator answers a retryable SYSTEMERROR and leaves the order open.
      return c.fail("SYSTEMERROR", "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟",
                    o.appid);
  }
  return c.fail("SYSTEMERROR", "系统错误");
}

FieldMap PayApi::refundQuery(Ctx& c) {
  const std::string& mch = c.merchant->mch_id;
  std::optional<SimOrder> o;
  std::size_t only = 0;
  bool single = false;
  for (const char* k : {"refund_id", "out_refund_no"}) {
    if (!o && !single && !get(c.req, k).empty()) {
      o = state_.findByRefund(mch, get(c.req, k), &only);
      single = true;
    }
  }
  if (!single) {
    if (auto t = get(c.req, "transaction_id"); !t.empty()) {
      o = state_.findByTransactionId(mch, t);
    } else if (auto n = get(c.req, "out_trade_no"); !n.empty()) {
      o = state_.find(mch, n);
    } else {
      return {{"return_code", "FAIL"}, {"return_msg", "缺少参数"}};
    }
  }
  if (!o || o->refunds.empty()) return c.fail("REFUNDNOTEXIST", "退款订单查询失败");
  std::size_t first = 0, count = o->refunds.size();
  if (single) {
    first = only;
    count = 1;
  } else if (auto off = get(c.req, "offset"); !off.empty()) {
    auto v = parseFenField(off);
    if (!v || static_cast<std::size_t>(*v) >= o->refunds.size()) {
      return c.fail("PARAM_ERROR", "offset参数错误", o->appid);
    }
    first = static_cast<std::size_t>(*v);
    count = std::min<std::size_t>(10, o->refunds.size() - first);
  } else {
    count = std::min<std::size_t>(10, count);
  }
  FieldMap f = c.base(o->appid);
  f["result_code"] = "SUCCESS";
  f["transaction_id"] = o->transaction_id;
  f["out_trade_no"] = o->out_trade_no;
  f["total_fee"] = std::to_string(o->paid_fee);
  f["cash_fee"] = std::to_string(o->paid_fee);
  f["refund_fee"] = std::to_string(o->refundedTotal());
  f["refund_count"] = std::to_string(count);
  f["total_refund_count"] = std::to_string(o->refunds.size());
  for (std::size_t n = 0; n < count; ++n) {
    const SimRefund& r = o->refunds[first + n];
    const std::string s = "_" + std::to_string(n);
    f["out_refund_no" + s] = r.out_refund_no;
    f["refund_id" + s] = r.refund_id;
    f["refund_channel" + s] = "ORIGINAL";
    f["refund_fee" + s] = std::to_string(r.refund_fee);
    f["settlement_refund_fee" + s] = std::to_string(r.refund_fee);
    f["refund_status" + s] = "SUCCESS";
    f["refund_account" + s] = "REFUND_SOURCE_UNSETTLED_FUNDS";
    f["refund_recv_accout" + s] = "支付用户的零钱";
    f["refund_success_time" + s] = formatBeijingDateTime(r.success_at);
  }
  return f;
}

PayResponse PayApi::downloadBill(Ctx& c) {
  PayResponse resp;
  resp.latency_ms = c.plan.latency_ms;
  auto error = [&](const std::string& msg, const std::string& code) {
    stats_.outcome(c.endpoint, "return_fail");
    resp.body = billErrorXml(msg, code);
    return resp;
  };
  if (c.plan.kind == FaultKind::kSystemError || c.plan.kind == FaultKind::kFrequencyLimited) {
    return error("SYSTEMERROR", "");
  }
  const std::string date_text = get(c.req, "bill_date");
  if (date_text.empty()) return error("missing parameter", "");
  std::optional<CivilDate> day;
  if (date_text.size() == 8 && date_text.find_first_not_of("0123456789") == std::string::npos) {
    CivilDate d{std::stoi(date_text.substr(0, 4)), std::stoi(date_text.substr(4, 2)),
                std::stoi(date_text.substr(6, 2))};
    if (isValidDate(d)) day = d;
  }
  if (!day) return error("invalid bill_date", "20001");
  auto type = parseBillType(get(c.req, "bill_type"));
  if (!type) return error("invalid bill_type", "");
  const std::string tar = get(c.req, "tar_type");
  if (!tar.empty() && tar != "GZIP") return error("invalid tar_type", "");
  const CivilDate today = beijingDate(c.now);
  if (today < *day || daysFromCivil(today) - daysFromCivil(*day) > 92) {
    return error("invalid bill_date", "20001");
  }
  if (auto o = state_.billOverride(c.merchant->mch_id, *day)) {
    // A test's answer for this day (POST /sim/bills/override), whatever the clock says.
    if (!o->error.empty()) return error(o->error, o->error_code);
    stats_.outcome(c.endpoint, "ok");
    if (o->raw) {
      resp.content_type = "application/octet-stream";
      resp.body = std::move(o->body);
      return resp;
    }
    auto text = std::make_shared<const std::string>(std::move(o->body));
    resp.stream = [text](std::ostream& os) {
      os.write(text->data(), static_cast<std::streamsize>(text->size()));
    };
    resp.gzip = tar == "GZIP";
    resp.content_type = resp.gzip ? "application/octet-stream" : "text/plain; charset=utf-8";
    return resp;
  }
  // Ready at 10:00 Beijing the next day.
  if (c.now < beijingDayStart(addDays(*day, 1)) + std::chrono::hours(10)) {
    return error("Bill Creating", "");
  }
  auto src = std::make_shared<BillSource>(state_.billSource(c.merchant->mch_id, *day));
  if (countBillRows(*src, *day, *type) == 0) return error("No Bill Exist", "20002");
  stats_.outcome(c.endpoint, "ok");
  const CivilDate d = *day;
  const BillType t = *type;
  resp.stream = [src, d, t](std::ostream& os) { writeBill(os, *src, d, t); };
  resp.gzip = tar == "GZIP";
  resp.content_type = resp.gzip ? "application/octet-stream" : "text/plain; charset=utf-8";
  resp.truncate = c.plan.kind == FaultKind::kTruncated;
  if (c.plan.kind == FaultKind::kTimeout || c.plan.kind == FaultKind::kReset) {
    resp.transport = c.plan.kind;
    resp.hold_ms = faults_.config().timeout_hold_ms;
  }
  return resp;
}

}  // namespace wx::sim
