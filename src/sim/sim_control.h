// The /sim/* JSON control API (DESIGN.md §7; every route is listed in README "wxpay-sim").
// Times are ISO-8601 UTC ("2024-05-01T08:35:41Z", optional .mmm); money is integer fen.
// Errors are {"error": "..."} with 400 (bad request), 404 (no such order), 409 (state forbids it,
// or an out_trade_no held by several merchants without "mch_id").
//
// POST /sim/bills/override {"mch_id","date", "body_base64" [,"raw":true] | "error" [,"error_code"]}
// makes /pay/downloadbill answer that merchant's day with the given bill bytes (gzipped when the
// request asks tar_type=GZIP, verbatim with "raw") or the given error envelope, whatever the
// clock, until /sim/reset; for the bill corpus tests (RELIABILITY.md T12).
#pragma once

#include <functional>
#include <map>
#include <ostream>
#include <string>

#include "sim/sim_api.h"
#include "sim/sim_clock.h"
#include "sim/sim_faults.h"
#include "sim/sim_notifier.h"
#include "sim/sim_state.h"

namespace wx::sim {

struct ControlResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::function<void(std::ostream&)> stream;  // large answers (orders.csv)
};

class ControlApi {
 public:
  ControlApi(SimState& state, SimClock& clock, FaultInjector& faults, PayStats& stats,
             Notifier& notifier)
      : state_(state), clock_(clock), faults_(faults), stats_(stats), notifier_(notifier) {}

  // `path` without the query; `query` decoded name -> value.
  ControlResponse handle(const std::string& method, const std::string& path,
                         const std::map<std::string, std::string>& query, const std::string& body);

  // Column order of GET /sim/orders.csv (the merchant_order columns of sql/001_schema.sql).
  static const char* csvColumns();

 private:
  ControlResponse createOrder(const std::string& body);
  ControlResponse orderAction(const std::string& no, const std::string& action,
                              const std::map<std::string, std::string>& query,
                              const std::string& body);
  ControlResponse clock(const std::string& method, const std::string& body);
  ControlResponse generate(const std::string& body);
  ControlResponse billOverride(const std::string& body);
  ControlResponse ordersCsv(const std::map<std::string, std::string>& query);
  ControlResponse notifications(const std::map<std::string, std::string>& query);
  ControlResponse stats();

  SimState& state_;
  SimClock& clock_;
  FaultInjector& faults_;
  PayStats& stats_;
  Notifier& notifier_;
};

}  // namespace wx::sim
