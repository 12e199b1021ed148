// The HTTP transport the core talks through (STYLE.md: every outside resource behind a small
// interface). No Poco::Net here: the real implementation is net/poco_http_transport.h, tests use
// hand-written fakes.
//
// The outcome says how far the exchange got, because that decides what the caller may do:
// only kConnectFailed proves the request never reached the server, so only it may be retried
// on another host (DESIGN.md §8 failover rule). Every other failure is "unknown" to the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"

namespace wx {

enum class HttpMethod { kPost, kGet };

enum class TransportOutcome {
  kOk,              // a complete HTTP response was read (any status code)
  kConnectFailed,   // DNS failure, connection refused, connect/handshake timeout: nothing was sent
  kTimedOut,        // connected, then no (complete) answer within the read timeout
  kReset,           // connection reset or closed before the answer was complete, malformed HTTP
  kTlsFailure,      // the TLS handshake failed: certificate not trusted, expired, wrong host...
  kBodyTooLarge,    // the body exceeded the cap (in memory or streamed)
  kSinkFailed,      // the caller's sink refused a chunk (e.g. disk full); the body is incomplete
  kInvalidRequest,  // refused before connecting: bad URL, plain http to a non-loopback host
};
const char* transportOutcomeName(TransportOutcome o);  // "ok", "connect_failed", ...

// Receives a streamed body chunk by chunk, in order. Return false to abort the transfer.
using BodySink = std::function<bool(std::string_view chunk)>;

struct HttpRequest {
  HttpMethod method = HttpMethod::kPost;
  std::string url;  // absolute: http(s)://host[:port]/path[?query]
  std::string body;
  std::string content_type = "text/xml";
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  Millis connect_timeout{6000};                              // TCP connect + TLS handshake
  Millis read_timeout{8000};  // per read (inactivity), not a total deadline
  // In-memory body cap: a larger body (or a larger Content-Length) is kBodyTooLarge.
  std::size_t max_body_bytes = 256 * 1024;
  // When set, a 2xx body is streamed here instead of memory; response.body then keeps only the
  // first `keep_prefix_bytes` bytes (for classification) and response.body_bytes counts all.
  // Non-2xx bodies always go to memory (capped by max_body_bytes), never to the sink.
  BodySink sink;
  std::size_t keep_prefix_bytes = 4096;
  std::uint64_t max_streamed_bytes = 4ull << 30;  // 4 GiB
};

struct HttpResponse {
  int status = 0;  // HTTP status code; 0 when no status line was read
  std::string content_type;
  std::string body;              // whole body, or its prefix when streamed
  std::uint64_t body_bytes = 0;  // bytes of body received (all of them, streamed or not)
  bool streamed = false;         // true when the body went to the sink
};

struct HttpResult {
  TransportOutcome outcome = TransportOutcome::kOk;
  std::string detail;  // why it failed (exception text, never the request body)
  HttpResponse response;
  bool ok() const { return outcome == TransportOutcome::kOk; }
};

// Thread-safe: call send() from any number of threads. Never throws.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResult send(const HttpRequest& request) = 0;
};

}  // namespace wx
