// Fault injection for the /pay/* endpoints, deterministic from --seed: the n-th request to an
// endpoint for one key (out_trade_no, transaction_id, bill_date, ...) draws from
// mix64(hash(seed, endpoint, mch_id, key) ^ n), so the same sequence of requests per order gets
// the same faults and answers (nonce_str included) whatever the interleaving of other orders.
// The QPS cap is the one real-time exception (it counts requests per merchant per wall second).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace wx::sim {

enum class FaultKind {
  kNone,
  kTimeout,           // request processed, then no answer for timeout_hold_ms, then close
  kReset,             // request processed, connection reset (RST) without an answer
  kHttp500,           // not processed; HTTP 500
  kHttp502,           // not processed; HTTP 502
  kSystemError,       // not processed; signed result_code=FAIL err_code=SYSTEMERROR
  kFrequencyLimited,  // over qps_cap; not processed; signed FAIL err_code=FREQUENCY_LIMITED
  kBadSign,           // processed; the answer's sign is wrong
  kMalformed,         // processed; the answer is not well-formed XML
  kTruncated,         // processed; the answer is cut in half
  kWrongOrder,        // processed; a correctly signed answer naming another order
};
const char* faultKindName(FaultKind k);  // "timeout", "reset", "http500", ...

// Probabilities are per request, each in [0,1], summing to at most 1.
struct FaultConfig {
  int latency_mean_ms = 0;
  int latency_jitter_ms = 0;  // uniform in [mean - jitter, mean + jitter], floored at 0
  double timeout = 0, reset = 0, http500 = 0, http502 = 0, systemerror = 0, bad_sign = 0,
         malformed = 0, truncated = 0, wrong_order = 0;
  int qps_cap = 0;  // per merchant, all /pay endpoints together; 0 = none
  int timeout_hold_ms = 10000;
  std::vector<std::string> endpoints;  // e.g. {"orderquery"}; empty = every /pay endpoint
};

// Applies the keys present in the JSON object `json` on top of `base` (same names as the struct
// members). kInvalidArgument names an unknown key or a bad value.
Result<FaultConfig> parseFaultConfig(const std::string& json, const FaultConfig& base);
std::string faultConfigJson(const FaultConfig& c);

struct FaultPlan {
  FaultKind kind = FaultKind::kNone;
  int latency_ms = 0;
  std::uint64_t rng = 0;  // further deterministic draws for this request (nonce_str, ...)
};

class FaultInjector {
 public:
  explicit FaultInjector(std::uint64_t seed) : seed_(seed) {}
  void configure(const FaultConfig& c);
  FaultConfig config() const;
  std::uint64_t seed() const { return seed_; }

  // `endpoint` is the name after /pay/ ("orderquery").
  FaultPlan decide(const std::string& endpoint, const std::string& mch_id, const std::string& key);
  // Forgets the per-key request counters (POST /sim/reset).
  void reset();

 private:
  const std::uint64_t seed_;
  mutable std::mutex mu_;
  FaultConfig config_;
  std::unordered_map<std::string, std::uint64_t> counters_;
  std::map<std::string, std::pair<std::int64_t, int>> qps_;  // mch -> (wall second, count)
};

// 16 characters of [0-9A-Za-z] from a draw (WeChat's nonce_str shape).
std::string nonceFrom(std::uint64_t rng);

}  // namespace wx::sim
