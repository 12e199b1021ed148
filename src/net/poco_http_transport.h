// The real HttpTransport, over Poco::Net / NetSSL (STACK_NOTES.md "NetSSL / HTTP").
//
// - HTTPS: TLS >= 1.2, peer AND host verification always on (Context::VERIFY_STRICT, our own
//   OpenSSL verify callback so no process-wide InvalidCertificateHandler can accept a bad
//   certificate). Trust: `ca_file` when given, else the system default CAs, loaded explicitly.
//   There is no switch to turn verification off.
// - Plain HTTP only to loopback hosts (127.0.0.0/8, ::1, localhost); any other http:// URL is
//   refused with kInvalidRequest before connecting (RELIABILITY.md invariant 16).
// - Keep-alive: a small pool of idle sessions per scheme://host:port. A session idle longer than
//   `keep_alive_idle` is dropped, not reused. When a reused session fails before any byte of the
//   answer arrived (the server closed it while idle), the request is sent once more on a fresh
//   connection: every WeChat v2 call wxrecon makes is idempotent.
// - HTTP/1.1 framing is ours (net/http_wire.h): the request goes out in one write and the answer
//   is parsed straight off the socket; Poco connects, does TLS and owns the socket. An answer
//   the parser rejects (bad status line, broken chunking, head over 16 KiB) is kReset.
// - Phases decide the outcome: anything failing while connecting/handshaking is kConnectFailed
//   (kTlsFailure for TLS errors); after that, kTimedOut or kReset.
// - HTTPS read timeouts: Poco's SSL read waits for the socket timeout and then polls for as long
//   again (STACK_NOTES: "~2x"), so the socket gets half of read_timeout for https.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "common/time.h"
#include "wechat/http_transport.h"

namespace wx {

struct PocoHttpTransportOptions {
  std::string ca_file;  // PEM bundle; empty: the system default CAs
  std::size_t max_idle_per_host = 16;
  Millis keep_alive_idle{4000};
};

class PocoHttpTransport final : public HttpTransport {
 public:
  // Fails (kInvalidArgument) when ca_file is given but unreadable or not a CA bundle.
  static Result<std::unique_ptr<PocoHttpTransport>> create(const PocoHttpTransportOptions& options);
  ~PocoHttpTransport() override;
  PocoHttpTransport(const PocoHttpTransport&) = delete;
  PocoHttpTransport& operator=(const PocoHttpTransport&) = delete;

  HttpResult send(const HttpRequest& request) override;

  // Connections this transport opened so far (tests and benchmarks check keep-alive with it).
  std::uint64_t connectionsOpened() const { return connections_opened_.load(); }
  // Drops every idle pooled session.
  void closeIdle();

 private:
  struct Impl;
  explicit PocoHttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::atomic<std::uint64_t> connections_opened_{0};
};

// True for 127.0.0.0/8, ::1 and "localhost" (case-insensitive).
bool isLoopbackUrlHost(const std::string& host);

}  // namespace wx
