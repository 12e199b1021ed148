#include "wechat/call_metrics.h"

#include <array>
#include <atomic>
#include <string>

#include "common/metrics.h"

namespace wx {

namespace {

constexpr std::array<std::string_view, 5> kApis = {"orderquery", "closeorder", "refundquery",
                                                   "downloadbill", "other"};
constexpr std::size_t kCauses = static_cast<std::size_t>(AnswerCause::kRequestRejected) + 1;

std::size_t apiIndex(std::string_view api) {
  if (api.rfind("/pay/", 0) == 0) api.remove_prefix(5);
  for (std::size_t i = 0; i + 1 < kApis.size(); ++i) {
    if (kApis[i] == api) return i;
  }
  return kApis.size() - 1;
}

// Children are created on first use (only series that happened are shown) and cached, so
// counting is one atomic load and one atomic increment after that.
struct CallMetrics {
  MetricFamily<Counter>& calls_family;
  MetricFamily<Histogram>& duration_family;
  std::array<std::array<std::atomic<Counter*>, kCauses + 1>, kApis.size()> calls{};  // [cause|ok]
  std::array<std::atomic<Histogram*>, kApis.size()> duration{};

  CallMetrics()
      : calls_family(MetricsRegistry::process().counter(
            "wxrecon_wechat_calls_total",
            "WeChat Pay API calls by API and result (ok: a definitive answer; otherwise why not).",
            {"api", "result"})),
        duration_family(MetricsRegistry::process().histogram(
            "wxrecon_wechat_call_duration_seconds",
            "Duration of one HTTP exchange with WeChat Pay (each attempt; limiter wait excluded).",
            {"api"}, {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})) {}

  Counter& call(std::size_t api, std::size_t result) {
    Counter* c = calls[api][result].load(std::memory_order_acquire);
    if (c == nullptr) {
      const std::string name = result == kCauses
                                   ? "ok"
                                   : answerCauseName(static_cast<AnswerCause>(result));
      c = &calls_family.labels({std::string(kApis[api]), name});
      calls[api][result].store(c, std::memory_order_release);
    }
    return *c;
  }
  Histogram& time(std::size_t api) {
    Histogram* h = duration[api].load(std::memory_order_acquire);
    if (h == nullptr) {
      h = &duration_family.labels({std::string(kApis[api])});
      duration[api].store(h, std::memory_order_release);
    }
    return *h;
  }
};

CallMetrics& callMetrics() {
  static CallMetrics m;
  return m;
}

}  // namespace

void registerWeChatCallMetrics() { (void)callMetrics(); }

CountedCall::~CountedCall() {
  const std::size_t cause = answer_.definitive() ? kCauses
                                                 : static_cast<std::size_t>(answer_.cause);
  callMetrics().call(apiIndex(api_), cause < kCauses ? cause : kCauses).inc();
}

TimedExchange::~TimedExchange() {
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started_;
  callMetrics().time(apiIndex(path_)).observe(took.count());
}

}  // namespace wx
