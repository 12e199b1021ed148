// The /pay/* endpoints as WeChat answers them (WECHATPAY_V2.md §2, §3, §5, §6, unifiedorder).
// Pure request -> response logic over SimState; the HTTP server performs the transport part of the
// answer (latency, timeouts, resets, streaming the bill).
//
// Layers, as WeChat keeps them: a request that is not XML, not POST, names an unknown merchant or
// an appid not bound to it, lacks a required field, or whose sign does not verify gets
// return_code=FAIL with return_msg and NO sign. Business errors are signed result_code=FAIL
// answers with err_code/err_code_des. Answers are signed with the request's algorithm (sign_type
// field; MD5 when absent) and the merchant's API key. downloadbill errors carry `error_code`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <string>

#include "sim/sim_clock.h"
#include "sim/sim_faults.h"
#include "sim/sim_state.h"
#include "wechat/xml_codec.h"

namespace wx::sim {

struct PayResponse {
  int status = 200;
  std::string content_type = "text/xml; charset=utf-8";
  std::string body;
  FaultKind transport = FaultKind::kNone;  // kTimeout / kReset: the server sends nothing
  int latency_ms = 0;
  int hold_ms = 0;  // kTimeout: how long to hold the connection before closing it
  // downloadbill success: writes the bill (the server gzips it when `gzip`).
  std::function<void(std::ostream&)> stream;
  bool gzip = false;
  bool truncate = false;  // kTruncated on a bill: the server cuts the stream and the connection
};

// Per-endpoint counters for GET /sim/stats.
class PayStats {
 public:
  void request(const std::string& endpoint);
  void outcome(const std::string& endpoint, const std::string& what);  // "ok", "return_fail", ...
  void fault(const std::string& endpoint, FaultKind kind);
  std::string json() const;  // {"orderquery":{"requests":N,"ok":N,...,"faults":{"timeout":N}}}
  void reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::uint64_t>> counters_;
  std::map<std::string, std::map<std::string, std::uint64_t>> faults_;
};

class PayApi {
 public:
  PayApi(SimState& state, const SimClock& clock, FaultInjector& faults, PayStats& stats)
      : state_(state), clock_(clock), faults_(faults), stats_(stats) {}

  // `endpoint` is the path after "/pay/" ("orderquery"); unknown ones get HTTP 404.
  PayResponse handle(const std::string& endpoint, const std::string& method,
                     const std::string& body);

  // The answer fields of orderquery for `o` (exposed for the notifier and tests).
  static FieldMap orderQueryFields(const SimOrder& o);

 private:
  struct Ctx;
  FieldMap unifiedOrder(Ctx& c);
  FieldMap orderQuery(Ctx& c);
  FieldMap closeOrder(Ctx& c);
  FieldMap refundQuery(Ctx& c);
  PayResponse downloadBill(Ctx& c);
  PayResponse finish(Ctx& c, FieldMap answer);

  SimState& state_;
  const SimClock& clock_;
  FaultInjector& faults_;
  PayStats& stats_;
};

// <xml><return_code>FAIL</return_code><return_msg>msg</return_msg></xml>, unsigned.
std::string returnFailXml(const std::string& msg);

}  // namespace wx::sim
