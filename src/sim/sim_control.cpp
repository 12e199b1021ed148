#include "sim/sim_control.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <chrono>
#include <iterator>
#include <set>
#include <sstream>

namespace wx::sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string stringify(const Object& o) {
  std::ostringstream os;
  o.stringify(os);
  return os.str();
}

ControlResponse json(int status, const Object& o) {
  ControlResponse r;
  r.status = status;
  r.body = stringify(o);
  return r;
}

ControlResponse error(int status, const std::string& message) {
  Object o;
  o.set("error", message);
  return json(status, o);
}

int httpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      return 409;
    default:
      return 400;
  }
}

// A JSON request body with strict keys, so a typo is an error rather than a silent default.
class Body {
 public:
  static Result<Body> parse(const std::string& text, std::set<std::string> allowed) {
    Body b;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      b.obj_ = new Object;
      return b;
    }
    try {
      Poco::JSON::Parser parser;
      b.obj_ = parser.parse(text).extract<Object::Ptr>();
    } catch (const std::exception& e) {
      return Status::invalidArgument("the body is not a JSON object");
    }
    if (!b.obj_) return Status::invalidArgument("the body is not a JSON object");
    for (const auto& [k, v] : *b.obj_) {
      if (!allowed.count(k)) return Status::invalidArgument("unknown key \"" + k + "\"");
    }
    return b;
  }
  bool has(const std::string& k) const { return obj_->has(k) && !obj_->isNull(k); }
  Result<std::string> str(const std::string& k, bool required = false) const {
    if (!has(k)) {
      if (required) return Status::invalidArgument("missing \"" + k + "\"");
      return std::string();
    }
    auto v = obj_->get(k);
    if (!v.isString()) return Status::invalidArgument("\"" + k + "\" must be a string");
    return v.convert<std::string>();
  }
  Result<std::int64_t> integer(const std::string& k, bool required, std::int64_t dflt = 0) const {
    if (!has(k)) {
      if (required) return Status::invalidArgument("missing \"" + k + "\"");
      return dflt;
    }
    auto v = obj_->get(k);
    if (!v.isInteger()) return Status::invalidArgument("\"" + k + "\" must be an integer");
    return v.convert<std::int64_t>();
  }
  Result<std::optional<TimePoint>> time(const std::string& k) const {
    if (!has(k)) return std::optional<TimePoint>();
    auto s = str(k);
    if (!s) return s.status();
    auto t = parseIso8601Utc(*s);
    if (!t) return Status::invalidArgument("\"" + k + "\": " + t.status().message());
    return std::optional<TimePoint>(*t);
  }
  Result<bool> boolean(const std::string& k) const {
    if (!has(k)) return false;
    auto v = obj_->get(k);
    if (!v.isBoolean()) return Status::invalidArgument("\"" + k + "\" must be true or false");
    return v.convert<bool>();
  }
  Object::Ptr object() const { return obj_; }

 private:
  Object::Ptr obj_;
};

Poco::Dynamic::Var timeOrNull(const std::optional<TimePoint>& t) {
  if (!t) return Poco::Dynamic::Var();
  return formatIso8601Utc(*t);
}

Object orderJson(const SimOrder& o) {
  Object j;
  j.set("mch_id", o.mch_id);
  j.set("appid", o.appid);
  j.set("out_trade_no", o.out_trade_no);
  j.set("total_fee", o.total_fee);
  j.set("state", tradeStateName(o.state));
  j.set("body", o.body);
  j.set("attach", o.attach);
  j.set("notify_url", o.notify_url);
  j.set("trade_type", o.trade_type);
  j.set("openid", o.openid);
  j.set("bank_type", o.bank_type);
  j.set("sign_type", signTypeName(o.sign_type));
  j.set("prepay_id", o.prepay_id);
  j.set("created_at", formatIso8601Utc(o.created_at));
  j.set("expire_at", formatIso8601Utc(o.expire_at));
  j.set("time_expire_given", o.has_time_expire);
  j.set("transaction_id",
        o.transaction_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(o.transaction_id));
  j.set("paid_fee", o.paid() ? Poco::Dynamic::Var(o.paid_fee) : Poco::Dynamic::Var());
  j.set("paid_at", timeOrNull(o.paid_at));
  j.set("closed_at", timeOrNull(o.closed_at));
  j.set("refunded_fee", o.refundedTotal());
  Array refunds;
  for (const auto& r : o.refunds) {
    Object rj;
    rj.set("out_refund_no", r.out_refund_no);
    rj.set("refund_id", r.refund_id);
    rj.set("refund_fee", r.refund_fee);
    rj.set("requested_at", formatIso8601Utc(r.requested_at));
    rj.set("success_at", formatIso8601Utc(r.success_at));
    rj.set("status", "SUCCESS");
    refunds.add(rj);
  }
  j.set("refunds", refunds);
  j.set("generated", o.generated);
  return j;
}

std::string queryValue(const std::map<std::string, std::string>& q, const std::string& k) {
  auto it = q.find(k);
  return it == q.end() ? std::string() : it->second;
}

Result<CivilDate> parseDay(const std::string& text) {
  if (text.size() == 8 && text.find('-') == std::string::npos) {
    return parseIsoDate(text.substr(0, 4) + "-" + text.substr(4, 2) + "-" + text.substr(6, 2));
  }
  return parseIsoDate(text);
}

}  // namespace

const char* ControlApi::csvColumns() {
  return "mch_id,appid,out_trade_no,total_fee,fee_type,trade_type,state,transaction_id,paid_at,"
         "created_at,expire_at";
}

ControlResponse ControlApi::handle(const std::string& method, const std::string& path,
                                   const std::map<std::string, std::string>& query,
                                   const std::string& body) {
  try {
    if (path == "/sim/orders" && method == "POST") return createOrder(body);
    if (path == "/sim/orders" && method == "GET") {
      const std::string mch = queryValue(query, "mch_id");
      Object o;
      Array orders;
      for (const auto& ord : state_.list(mch)) orders.add(orderJson(ord));
      o.set("orders", orders);
      Array gens;
      for (const auto& g : state_.generatedDays(mch)) {
        Object gj;
        gj.set("mch_id", g.mch_id);
        gj.set("appid", g.appid);
        gj.set("date", formatIsoDate(g.date));
        gj.set("rows", g.rows);
        gj.set("seed", g.seed);
        gj.set("refund_ppm", g.refund_ppm);
        gens.add(gj);
      }
      o.set("generated", gens);
      return json(200, o);
    }
    if (path == "/sim/orders.csv" && method == "GET") return ordersCsv(query);
    if (path.rfind("/sim/orders/", 0) == 0) {
      std::string rest = path.substr(12);
      std::string action;
      if (auto slash = rest.find('/'); slash != std::string::npos) {
        action = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
      }
      if (action.empty() && method != "GET") return error(405, "use GET");
      if (!action.empty() && method != "POST") return error(405, "use POST");
      return orderAction(rest, action, query, body);
    }
    if (path == "/sim/reset" && method == "POST") {
      state_.reset();
      notifier_.reset();
      faults_.reset();
      faults_.configure(FaultConfig{});
      stats_.reset();
      Object o;
      o.set("reset", true);
      return json(200, o);
    }
    if (path == "/sim/clock") return clock(method, body);
    if (path == "/sim/stats" && method == "GET") return stats();
    if (path == "/sim/notifications" && method == "GET") return notifications(query);
    if (path == "/sim/faults") {
      if (method == "POST") {
        auto c = parseFaultConfig(body.empty() ? "{}" : body, faults_.config());
        if (!c) return error(400, c.status().message());
        faults_.configure(*c);
      }
      ControlResponse r;
      r.body = faultConfigJson(faults_.config());
      return r;
    }
    if (path == "/sim/generate" && method == "POST") return generate(body);
    if (path == "/sim/bills/override" && method == "POST") return billOverride(body);
    if (path == "/sim/healthz") {
      ControlResponse r;
      r.body = "{\"ok\":true}";
      return r;
    }
    return error(404, "no route " + method + " " + path);
  } catch (const Poco::Exception& e) {
    return error(400, e.displayText());
  }
}

ControlResponse ControlApi::createOrder(const std::string& text) {
  auto b = Body::parse(
      text, {"mch_id", "appid", "out_trade_no", "total_fee", "time_expire", "notify_url",
             "created_at", "body", "attach", "trade_type", "openid", "sign_type", "bank_type"});
  if (!b) return error(400, b.status().message());
  NewOrder n;
  for (auto [key, dst, required] :
       {std::make_tuple("mch_id", &n.mch_id, true), std::make_tuple("appid", &n.appid, false),
        std::make_tuple("out_trade_no", &n.out_trade_no, true),
        std::make_tuple("notify_url", &n.notify_url, false),
        std::make_tuple("body", &n.body, false), std::make_tuple("attach", &n.attach, false),
        std::make_tuple("trade_type", &n.trade_type, false),
        std::make_tuple("openid", &n.openid, false),
        std::make_tuple("bank_type", &n.bank_type, false)}) {
    auto v = b->str(key, required);
    if (!v) return error(400, v.status().message());
    *dst = *v;
  }
  auto fee = b->integer("total_fee", true);
  if (!fee) return error(400, fee.status().message());
  n.total_fee = *fee;
  auto expire = b->time("time_expire");
  if (!expire) return error(400, expire.status().message());
  n.time_expire = *expire;
  auto created = b->time("created_at");
  if (!created) return error(400, created.status().message());
  n.created_at = *created;
  if (auto st = b->str("sign_type"); st && !st->empty()) {
    auto t = parseSignType(*st);
    if (!t) return error(400, t.status().message());
    n.sign_type = *t;
  }
  if (n.appid.empty()) {
    if (const MerchantConfig* m = state_.merchant(n.mch_id)) n.appid = m->appids.front();
  }
  auto o = state_.create(n, clock_.now());
  if (!o) return error(httpStatusOf(o.status()), o.status().message());
  return json(201, orderJson(*o));
}

ControlResponse ControlApi::orderAction(const std::string& no, const std::string& action,
                                        const std::map<std::string, std::string>& query,
                                        const std::string& text) {
  std::set<std::string> allowed = {"mch_id"};
  if (action == "pay") allowed.insert({"notify", "paid_fee", "paid_at", "twice"});
  if (action == "refund") allowed.insert({"refund_fee", "out_refund_no", "refunded_at"});
  if (action == "state") allowed.insert({"state", "at"});
  if (!action.empty() && action != "pay" && action != "refund" && action != "state") {
    return error(404, "no action " + action + " (pay, refund, state)");
  }
  auto b = Body::parse(text, allowed);
  if (!b) return error(400, b.status().message());
  // Which merchant: "mch_id" in the body or query, else the only merchant holding `no`.
  std::string mch = queryValue(query, "mch_id");
  if (auto m = b->str("mch_id"); m && !m->empty()) mch = *m;
  std::optional<SimOrder> found;
  if (!mch.empty()) {
    found = state_.find(mch, no);
  } else {
    auto all = state_.findEverywhere(no);
    if (all.size() > 1) return error(409, "several merchants have " + no + ": give \"mch_id\"");
    if (!all.empty()) found = all.front();
  }
  if (!found) return error(404, "no order " + no);
  mch = found->mch_id;
  if (action.empty()) return json(200, orderJson(*found));

  const TimePoint now = clock_.now();
  if (action == "pay") {
    auto mode_text = b->str("notify");
    if (!mode_text) return error(400, mode_text.status().message());
    NotifyMode mode = NotifyMode::kDeliver;
    if (*mode_text == "lose") {
      mode = NotifyMode::kLose;
    } else if (*mode_text == "forge") {
      mode = NotifyMode::kForge;
    } else if (!mode_text->empty() && *mode_text != "deliver") {
      return error(400, "\"notify\" must be deliver, lose or forge");
    }
    auto twice = b->boolean("twice");
    if (!twice) return error(400, twice.status().message());
    std::optional<Fen> paid_fee;
    if (b->has("paid_fee")) {
      auto f = b->integer("paid_fee", true);
      if (!f) return error(400, f.status().message());
      paid_fee = *f;
    }
    auto paid_at = b->time("paid_at");
    if (!paid_at) return error(400, paid_at.status().message());
    auto o = state_.pay(mch, no, paid_fee, paid_at->value_or(now));
    if (!o) return error(httpStatusOf(o.status()), o.status().message());
    const std::uint64_t id = notifier_.schedule(*o, mode, *twice);
    Object r = orderJson(*o);
    r.set("notification_id", id == 0 ? Poco::Dynamic::Var() : Poco::Dynamic::Var(id));
    return json(200, r);
  }
  if (action == "refund") {
    auto fee = b->integer("refund_fee", true);
    if (!fee) return error(400, fee.status().message());
    auto out_refund_no = b->str("out_refund_no");
    if (!out_refund_no) return error(400, out_refund_no.status().message());
    auto at = b->time("refunded_at");
    if (!at) return error(400, at.status().message());
    auto o = state_.refund(mch, no, *fee, *out_refund_no, at->value_or(now));
    if (!o) return error(httpStatusOf(o.status()), o.status().message());
    return json(200, orderJson(*o));
  }
  auto name = b->str("state", true);
  if (!name) return error(400, name.status().message());
  auto st = parseTradeState(*name);
  if (!st) return error(400, "unknown state " + *name);
  auto at = b->time("at");
  if (!at) return error(400, at.status().message());
  auto o = state_.setState(mch, no, *st, at->value_or(now));
  if (!o) return error(httpStatusOf(o.status()), o.status().message());
  return json(200, orderJson(*o));
}

ControlResponse ControlApi::clock(const std::string& method, const std::string& text) {
  bool settled = true;
  if (method == "POST") {
    auto b = Body::parse(text, {"now", "advance_s", "advance_ms", "real", "settle_ms"});
    if (!b) return error(400, b.status().message());
    auto now = b->time("now");
    if (!now) return error(400, now.status().message());
    auto adv_s = b->integer("advance_s", false);
    auto adv_ms = b->integer("advance_ms", false);
    auto real = b->boolean("real");
    auto settle = b->integer("settle_ms", false, 30000);
    if (!adv_s || !adv_ms || !real || !settle) return error(400, "bad clock request");
    if (*real) clock_.setReal();
    if (*now) clock_.set(**now);
    if (*adv_s != 0 || *adv_ms != 0) clock_.advance(Millis(*adv_s * 1000 + *adv_ms));
    // Resends that became due run before the answer, so a test sees them right away.
    settled = notifier_.settle(Millis(*settle));
  } else if (method != "GET") {
    return error(405, "use GET or POST");
  }
  Object o;
  o.set("now", formatIso8601Utc(clock_.now()));
  o.set("frozen", clock_.frozen());
  o.set("settled", settled);
  return json(200, o);
}

ControlResponse ControlApi::generate(const std::string& text) {
  auto b = Body::parse(text, {"mch_id", "appid", "date", "rows", "seed", "refund_ratio"});
  if (!b) return error(400, b.status().message());
  GenerateSpec spec;
  auto mch = b->str("mch_id", true);
  auto appid = b->str("appid");
  auto date = b->str("date", true);
  auto rows = b->integer("rows", true);
  auto seed = b->integer("seed", false, 1);
  if (!mch || !appid || !date || !rows || !seed) {
    for (const Status& s :
         {mch.status(), appid.status(), date.status(), rows.status(), seed.status()}) {
      if (!s.isOk()) return error(400, s.message());
    }
  }
  auto day = parseDay(*date);
  if (!day) return error(400, "\"date\": " + day.status().message());
  if (*rows < 0) return error(400, "\"rows\" must be >= 0");
  double ratio = 0;
  if (b->has("refund_ratio")) {
    ratio = b->object()->get("refund_ratio").convert<double>();
    if (!(ratio >= 0 && ratio <= 1)) return error(400, "\"refund_ratio\" must be in [0,1]");
  }
  spec.mch_id = *mch;
  spec.appid = *appid;
  spec.date = *day;
  spec.rows = static_cast<std::uint64_t>(*rows);
  spec.seed = static_cast<std::uint64_t>(*seed);
  spec.refund_ppm = static_cast<std::uint32_t>(ratio * 1000000.0 + 0.5);
  const auto t0 = std::chrono::steady_clock::now();
  if (auto s = state_.generate(spec); !s.isOk()) return error(400, s.message());
  Object o;
  o.set("mch_id", spec.mch_id);
  o.set("date", formatIsoDate(spec.date));
  o.set("rows", spec.rows);
  o.set("seed", spec.seed);
  o.set("refund_ppm", spec.refund_ppm);
  o.set("first_out_trade_no", GeneratedDay::outTradeNo(spec.date, 0));
  o.set("elapsed_ms",
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
  return json(200, o);
}

ControlResponse ControlApi::billOverride(const std::string& text) {
  auto b = Body::parse(text, {"mch_id", "date", "body_base64", "raw", "error", "error_code"});
  if (!b) return error(400, b.status().message());
  auto mch = b->str("mch_id", true);
  auto date = b->str("date", true);
  auto body64 = b->str("body_base64");
  auto raw = b->boolean("raw");
  auto err = b->str("error");
  auto code = b->str("error_code");
  for (const Status& s :
       {mch.status(), date.status(), body64.status(), raw.status(), err.status(), code.status()}) {
    if (!s.isOk()) return error(400, s.message());
  }
  if (state_.merchant(*mch) == nullptr) return error(400, "unknown mch_id " + *mch);
  auto day = parseDay(*date);
  if (!day) return error(400, "\"date\": " + day.status().message());
  if (b->has("body_base64") == !err->empty()) {
    return error(400, "give exactly one of \"body_base64\" and \"error\"");
  }
  BillOverride o;
  o.raw = *raw;
  o.error = *err;
  o.error_code = *code;
  if (b->has("body_base64")) {
    try {
      std::istringstream in(*body64);
      Poco::Base64Decoder decoder(in);
      o.body.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception& e) {
      return error(400, "\"body_base64\": not base64: " + e.displayText());
    }
  }
  Object j;
  j.set("mch_id", *mch);
  j.set("date", formatIsoDate(*day));
  j.set("bytes", o.body.size());
  state_.setBillOverride(*mch, *day, std::move(o));
  return json(200, j);
}

ControlResponse ControlApi::ordersCsv(const std::map<std::string, std::string>& query) {
  const std::string mch = queryValue(query, "mch_id");
  auto day = parseDay(queryValue(query, "date"));
  if (mch.empty() || !day) return error(400, "give mch_id and date (YYYY-MM-DD)");
  const std::string as = queryValue(query, "as");
  if (!as.empty() && as != "truth" && as != "NOTPAY")
    return error(400, "as must be truth or NOTPAY");
  const bool notpay = as == "NOTPAY";
  auto src = std::make_shared<BillSource>(state_.billSource(mch, *day));
  // Unpaid orders created that day are part of the merchant's day too.
  for (const auto& o : state_.list(mch)) {
    if (!o.paid_at && beijingDate(o.created_at) == *day) src->orders.push_back(o);
  }
  const CivilDate d = *day;
  ControlResponse r;
  r.content_type = "text/csv; charset=utf-8";
  r.stream = [src, d, notpay](std::ostream& os) {
    std::string buf = std::string(csvColumns()) + "\n";
    auto line = [&](const SimOrder& o) {
      const bool show_paid = !notpay && o.paid_at;
      fmt::format_to(
          std::back_inserter(buf), "{},{},{},{},CNY,{},{},{},{},{},{}\n", o.mch_id, o.appid,
          o.out_trade_no, o.total_fee, o.trade_type, notpay ? "NOTPAY" : tradeStateName(o.state),
          show_paid ? o.transaction_id : "\\N", show_paid ? formatUtcSql(*o.paid_at) : "\\N",
          formatUtcSql(o.created_at), formatUtcSql(o.expire_at));
      if (buf.size() > (1 << 20)) {
        os.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        buf.clear();
      }
    };
    std::set<std::string> seen;
    for (const auto& o : src->orders) {
      // Refund-only rows of another day's payment are not that day's orders.
      if (o.paid_at && beijingDate(*o.paid_at) != d) continue;
      if (seen.insert(o.out_trade_no).second) line(o);
    }
    for (const auto& g : src->generated) {
      for (std::uint64_t i = 0; i < g.day->spec().rows; ++i) {
        if (!g.masked.count(i)) line(g.day->order(i));
      }
    }
    os.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  };
  return r;
}

ControlResponse ControlApi::notifications(const std::map<std::string, std::string>& query) {
  Array list;
  for (const auto& a :
       notifier_.log(queryValue(query, "mch_id"), queryValue(query, "out_trade_no"))) {
    Object j;
    j.set("id", a.id);
    j.set("mch_id", a.mch_id);
    j.set("out_trade_no", a.out_trade_no);
    j.set("url", a.url);
    j.set("attempt", a.attempt);
    j.set("copy", a.copy);
    j.set("forged", a.forged);
    j.set("due_at", formatIso8601Utc(a.due_at));
    j.set("sent_at", formatIso8601Utc(a.sent_at));
    j.set("http_status", a.http_status);
    j.set("error", a.error);
    j.set("body_sha256", a.body_sha256);
    j.set("ack_valid", a.ack_valid);
    list.add(j);
  }
  Object o;
  o.set("notifications", list);
  o.set("pending", notifier_.pending());
  return json(200, o);
}

ControlResponse ControlApi::stats() {
  ControlResponse r;
  r.body = fmt::format(
      "{{\"endpoints\":{},\"orders\":{},\"notifications_pending\":{},\"clock\":\"{}\","
      "\"seed\":{}}}",
      stats_.json(), state_.orderCount(), notifier_.pending(), formatIso8601Utc(clock_.now()),
      faults_.seed());
  return r;
}

}  // namespace wx::sim
