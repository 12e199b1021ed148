// notify-server's public HTTP/1.1 server (RELIABILITY.md invariant 17): Poco accepts the
// connections (TCPServer: a bounded thread pool and queue; TLS when the server socket is a
// SecureServerSocket) and our own loop serves each connection on its socket, with the request
// parser of net/http_wire.h.
//
// Why not Poco's HTTPServer: per request it polls the socket through a new epoll set
// (HTTPServerSession::hasMoreRequests), asks the kernel for both socket addresses, builds
// MessageHeader lists and stream buffers, and reads the head character by character. At
// thousands of notifications per second on 2 cores that was the server's largest CPU cost after
// the database. Here a connection costs one getpeername; a request costs its reads (usually one)
// and one write.
//
// Slow clients cannot hold threads (one thread per connection, as with Poco):
//   - a watchdog thread shuts down the socket of a connection still waiting for (or reading)
//     request headers `header_timeout_ms` after it was accepted, or `keep_alive_idle_ms` after
//     its previous response (idle time included), whatever the pace of its bytes; the TLS
//     handshake counts against the first deadline;
//   - every read must make progress within `io_timeout_ms`;
//   - reading a body is bounded by the handler's deadline and cap (HttpExchange::readBody).
// Refused with 400 and the connection closed: what HttpRequestParser refuses (bad request line,
// smuggling-prone framing, head over `max_head_bytes`). A handler that does not read the body
// (404, 405, 413) gets its connection closed after its answer, so no unread bytes are ever
// taken for the next request.
// start()/stop()/abortAll() from one thread; the handler runs on the connections'
// threads and must be thread-safe.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_wire.h"

namespace Poco {
class ThreadPool;
namespace Net {
class StreamSocket;
class TCPServer;
}  // namespace Net
}  // namespace Poco

namespace wx {

class ConnectionWatch;
class WireConnection;
class PendingReply;

// The defaults are notify-server's.
struct HttpWireServerLimits {
  // Per-receive socket timeout: every read of headers or body must make progress within this.
  int io_timeout_ms = 500;
  // A new connection must have sent its complete request headers within this (the watchdog
  // cuts it otherwise), whatever the pace of its bytes.
  int header_timeout_ms = 500;
  // Keep-alive: the next request's headers must be complete this long after the previous
  // response (idle time included); idle connections are closed after it.
  int keep_alive_idle_ms = 2000;
  // Request line and headers, at most (400 beyond).
  std::size_t max_head_bytes = 16 * 1024;
  // Threads = connections served at once (one thread per connection). 256: 64 keep-alive
  // clients (the benchmark; WeChat's parallel senders) each hold a thread between requests,
  // and a flood of slow clients holds each thread at most header_timeout_ms (or the handler's
  // body deadline once headers are in), so 500 slow connections queue for at most ~1-2 s
  // before a genuine one gets a thread. Threads mostly wait on their socket, so 2 cores serve
  // them.
  int max_threads = 256;
  // Accepted connections waiting for a thread; Poco closes connections beyond it. 4096 absorbs
  // a burst of 500+ slow connections without refusing a genuine one (a queued connection costs
  // one fd; file descriptors are raised by the systemd unit).
  int max_queued = 4096;
};

// One request on a connection, given to the handler once its head is in.
class HttpExchange {
 public:
  const HttpRequestParser& request() const { return request_; }
  // The connection's peer (the TCP peer: proxies are the handler's business).
  const Poco::Net::SocketAddress& peer() const { return peer_; }

  enum class Read { kOk, kTooLarge, kTimeout, kBad };
  // Reads the whole body into `body`. kTooLarge: a Content-Length over `cap` (nothing read),
  // or more than `cap` bytes of a chunked body (reading stopped at cap + 1); kTimeout: not
  // complete by `deadline`, or a read without progress for io_timeout_ms; kBad: the connection
  // closed or the chunked framing is malformed. Sends "100 Continue" first when the client
  // asked for it and the body may fit. At most once per exchange.
  Read readBody(std::string& body, std::size_t cap, std::chrono::steady_clock::time_point deadline);

  // Sends the answer in one write: status line, Date, Server, Content-Type, Content-Length,
  // Connection, `extra_headers` (complete "Name: value\r\n" lines, fixed texts only), body.
  // `close`: the connection ends after it. At most once per exchange.
  void reply(int status, std::string_view content_type, std::string_view body, bool close = false,
             std::string_view extra_headers = {});
  // Hands the answer to another thread: the handler returns, and whoever holds the
  // PendingReply answers later (exactly once). Meanwhile the connection waits for the client's
  // next request; it neither handles it nor ends before this answer is sent, so answers keep
  // their order and the socket outlives the PendingReply's send. Read the body first.
  std::shared_ptr<PendingReply> defer();
  bool replied() const { return replied_; }

 private:
  friend class WireConnection;
  HttpExchange(WireConnection& conn, const HttpRequestParser& request,
               const Poco::Net::SocketAddress& peer)
      : conn_(conn), request_(request), peer_(peer) {}

  WireConnection& conn_;
  const HttpRequestParser& request_;
  const Poco::Net::SocketAddress& peer_;
  bool replied_ = false;
  bool close_after_ = false;
  bool body_read_ = false;
  bool body_complete_ = false;
  bool deferred_ = false;
};

// A deferred answer (HttpExchange::defer()). On a plain connection reply() writes it from the
// calling thread (a non-blocking write: a client that does not take a ~200-byte answer into
// its receive window is cut off); under TLS the connection's own thread writes it (an SSL
// object is not for two threads at once).
class PendingReply {
 public:
  void reply(int status, std::string_view content_type, std::string_view body, bool close = false,
             std::string_view extra_headers = {});

 private:
  friend class WireConnection;
  PendingReply(WireConnection& conn, bool close) : conn_(conn), close_(close) {}
 public:
  ~PendingReply();  // answers 500 (and closes) if reply() was never called
  PendingReply(const PendingReply&) = delete;
  PendingReply& operator=(const PendingReply&) = delete;

 private:
  WireConnection& conn_;
  const bool close_;  // the connection cannot carry another request (decided at defer())
  std::atomic<bool> replied_{false};
};

using HttpWireHandler = std::function<void(HttpExchange&)>;

class HttpWireServer {
 public:
  HttpWireServer(HttpWireHandler handler, const Poco::Net::ServerSocket& socket,
                 HttpWireServerLimits limits);
  ~HttpWireServer();  // abortAll(), then waits for the connections' threads
  HttpWireServer(const HttpWireServer&) = delete;
  HttpWireServer& operator=(const HttpWireServer&) = delete;

  void start();
  // Stops accepting and drains: idle keep-alive connections are closed now, busy ones after
  // their answer.
  void stop();
  // Shuts down every remaining connection's socket.
  void abortAll();
  int currentConnections() const;
  // Connections whose socket the watchdog shut down (tests, metrics).
  std::uint64_t headerTimeouts() const;

 private:
  std::shared_ptr<const HttpWireHandler> handler_;
  HttpWireServerLimits limits_;
  std::shared_ptr<ConnectionWatch> watch_;
  std::unique_ptr<Poco::ThreadPool> pool_;        // outlives server_
  std::unique_ptr<Poco::Net::TCPServer> server_;
};

}  // namespace wx
