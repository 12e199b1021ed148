#include "wechat/http_transport.h"

namespace wx {

const char* transportOutcomeName(TransportOutcome o) {
  switch (o) {
    case TransportOutcome::kOk:
      return "ok";
    case TransportOutcome::kConnectFailed:
      return "connect_failed";
    case TransportOutcome::kTimedOut:
      return "timed_out";
    case TransportOutcome::kReset:
      return "reset";
    case TransportOutcome::kTlsFailure:
      return "tls_failure";
    case TransportOutcome::kBodyTooLarge:
      return "body_too_large";
    case TransportOutcome::kSinkFailed:
      return "sink_failed";
    case TransportOutcome::kInvalidRequest:
      return "invalid_request";
  }
  return "unknown";
}

}  // namespace wx
