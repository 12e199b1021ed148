// WeChat call metrics (README "Metrics"), kept in MetricsRegistry::process():
//   wxrecon_wechat_calls_total{api,result}       every typed call once; result "ok" for a
//                                                definitive answer, else its AnswerCause name
//                                                (transport, http_status, system_error, ...)
//   wxrecon_wechat_call_duration_seconds{api}    each HTTP exchange with WeChat (a backup_url
//                                                attempt is one more; the limiter's wait is not
//                                                included)
// Both are lock-free after the first use (children looked up once, in a table).
#pragma once

#include <chrono>
#include <string_view>

#include "wechat/api_types.h"

namespace wx {

// Registers both families (so they are shown, empty, before the first call).
void registerWeChatCallMetrics();

// Counts one call when it goes out of scope, as the answer is classified by then.
//   OrderQueryAnswer a;
//   const CountedCall counted("orderquery", a);
class CountedCall {
 public:
  CountedCall(std::string_view api, const AnswerInfo& answer) : api_(api), answer_(answer) {}
  CountedCall(const CountedCall&) = delete;
  CountedCall& operator=(const CountedCall&) = delete;
  ~CountedCall();

 private:
  std::string_view api_;
  const AnswerInfo& answer_;
};

// Observes the time one HTTP exchange takes, from construction to destruction. `path` is the
// API path ("/pay/orderquery").
class TimedExchange {
 public:
  explicit TimedExchange(std::string_view path)
      : path_(path), started_(std::chrono::steady_clock::now()) {}
  TimedExchange(const TimedExchange&) = delete;
  TimedExchange& operator=(const TimedExchange&) = delete;
  ~TimedExchange();

 private:
  std::string_view path_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace wx
