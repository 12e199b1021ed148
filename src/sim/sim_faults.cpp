#include "sim/sim_faults.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>

#include "sim/sim_state.h"

namespace wx::sim {

const char* faultKindName(FaultKind k) {
  switch (k) {
    case FaultKind::kNone:
      return "none";
    case FaultKind::kTimeout:
      return "timeout";
    case FaultKind::kReset:
      return "reset";
    case FaultKind::kHttp500:
      return "http500";
    case FaultKind::kHttp502:
      return "http502";
    case FaultKind::kSystemError:
      return "systemerror";
    case FaultKind::kFrequencyLimited:
      return "frequency_limited";
    case FaultKind::kBadSign:
      return "bad_sign";
    case FaultKind::kMalformed:
      return "malformed";
    case FaultKind::kTruncated:
      return "truncated";
    case FaultKind::kWrongOrder:
      return "wrong_order";
  }
  return "?";
}

Result<FaultConfig> parseFaultConfig(const std::string& json, const FaultConfig& base) {
  FaultConfig c = base;
  Poco::JSON::Object::Ptr obj;
  try {
    Poco::JSON::Parser parser;
    obj = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    return Status::invalidArgument(std::string("faults: not a JSON object: ") + e.what());
  }
  if (!obj) return Status::invalidArgument("faults: not a JSON object");
  const std::map<std::string, double*> probabilities = {
      {"timeout", &c.timeout},         {"reset", &c.reset},
      {"http500", &c.http500},         {"http502", &c.http502},
      {"systemerror", &c.systemerror}, {"bad_sign", &c.bad_sign},
      {"malformed", &c.malformed},     {"truncated", &c.truncated},
      {"wrong_order", &c.wrong_order}};
  const std::map<std::string, int*> ints = {{"latency_mean_ms", &c.latency_mean_ms},
                                            {"latency_jitter_ms", &c.latency_jitter_ms},
                                            {"qps_cap", &c.qps_cap},
                                            {"timeout_hold_ms", &c.timeout_hold_ms}};
  try {
    for (const auto& [name, value] : *obj) {
      if (auto p = probabilities.find(name); p != probabilities.end()) {
        const double v = value.convert<double>();
        if (!(v >= 0.0 && v <= 1.0)) {
          return Status::invalidArgument("faults: '" + name + "' must be in [0,1]");
        }
        *p->second = v;
      } else if (auto i = ints.find(name); i != ints.end()) {
        const int v = value.convert<int>();
        if (v < 0) return Status::invalidArgument("faults: '" + name + "' must be >= 0");
        *i->second = v;
      } else if (name == "endpoints") {
        c.endpoints.clear();
        auto arr = obj->getArray("endpoints");
        if (!arr) return Status::invalidArgument("faults: 'endpoints' must be an array");
        for (std::size_t k = 0; k < arr->size(); ++k)
          c.endpoints.push_back(arr->getElement<std::string>(k));
      } else {
        return Status::invalidArgument("faults: unknown key '" + name + "'");
      }
    }
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument("faults: " + e.displayText());
  }
  const double sum = c.timeout + c.reset + c.http500 + c.http502 + c.systemerror + c.bad_sign +
                     c.malformed + c.truncated + c.wrong_order;
  if (sum > 1.0 + 1e-9) return Status::invalidArgument("faults: probabilities sum above 1");
  return c;
}

std::string faultConfigJson(const FaultConfig& c) {
  Poco::JSON::Object o;
  o.set("latency_mean_ms", c.latency_mean_ms);
  o.set("latency_jitter_ms", c.latency_jitter_ms);
  o.set("timeout", c.timeout);
  o.set("reset", c.reset);
  o.set("http500", c.http500);
  o.set("http502", c.http502);
  o.set("systemerror", c.systemerror);
  o.set("bad_sign", c.bad_sign);
  o.set("malformed", c.malformed);
  o.set("truncated", c.truncated);
  o.set("wrong_order", c.wrong_order);
  o.set("qps_cap", c.qps_cap);
  o.set("timeout_hold_ms", c.timeout_hold_ms);
  Poco::JSON::Array eps;
  for (const auto& e : c.endpoints) eps.add(e);
  o.set("endpoints", eps);
  std::ostringstream os;
  o.stringify(os);
  return os.str();
}

void FaultInjector::configure(const FaultConfig& c) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = c;
}

FaultConfig FaultInjector::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

void FaultInjector::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.clear();
  qps_.clear();
}

FaultPlan FaultInjector::decide(const std::string& endpoint, const std::string& mch_id,
                                const std::string& key) {
  const std::string id = endpoint + '\x1f' + mch_id + '\x1f' + key;
  std::lock_guard<std::mutex> lock(mu_);
  const std::uint64_t n = counters_[id]++;
  FaultPlan plan;
  std::uint64_t r = mix64(hashString(seed_, id) ^ mix64(n));
  plan.rng = mix64(r ^ 0x5bd1e995ULL);
  const FaultConfig& c = config_;
  const bool applies = c.endpoints.empty() || std::find(c.endpoints.begin(), c.endpoints.end(),
                                                        endpoint) != c.endpoints.end();
  if (!applies) return plan;
  if (c.latency_mean_ms > 0 || c.latency_jitter_ms > 0) {
    const std::uint64_t span = 2 * static_cast<std::uint64_t>(c.latency_jitter_ms) + 1;
    const int delta = static_cast<int>(mix64(r ^ 0x1234) % span) - c.latency_jitter_ms;
    plan.latency_ms = std::max(0, c.latency_mean_ms + delta);
  }
  // One uniform draw in [0,1) against the cumulative probabilities.
  const double u = static_cast<double>(r >> 11) * (1.0 / 9007199254740992.0);
  const std::pair<double, FaultKind> table[] = {
      {c.timeout, FaultKind::kTimeout},         {c.reset, FaultKind::kReset},
      {c.http500, FaultKind::kHttp500},         {c.http502, FaultKind::kHttp502},
      {c.systemerror, FaultKind::kSystemError}, {c.bad_sign, FaultKind::kBadSign},
      {c.malformed, FaultKind::kMalformed},     {c.truncated, FaultKind::kTruncated},
      {c.wrong_order, FaultKind::kWrongOrder}};
  double acc = 0;
  for (const auto& [p, kind] : table) {
    acc += p;
    if (u < acc) {
      plan.kind = kind;
      break;
    }
  }
  if (plan.kind == FaultKind::kNone && c.qps_cap > 0) {
    const std::int64_t sec = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    auto& w = qps_[mch_id];
    if (w.first != sec) w = {sec, 0};
    if (++w.second > c.qps_cap) plan.kind = FaultKind::kFrequencyLimited;
  }
  return plan;
}

std::string nonceFrom(std::uint64_t rng) {
  static const char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string s(16, '0');
  std::uint64_t x = rng;
  for (int i = 0; i < 16; ++i) {
    if (i % 8 == 0) x = mix64(x + static_cast<std::uint64_t>(i));
    s[static_cast<std::size_t>(i)] = kAlphabet[x % 62];
    x /= 62;
  }
  return s;
}

}  // namespace wx::sim
