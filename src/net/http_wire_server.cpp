#include "net/http_wire_server.h"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocketImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/ThreadPool.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <list>
#include <mutex>
#include <thread>

namespace wx {

using SteadyClock = std::chrono::steady_clock;

// The open connections, for the header deadlines, the drain and the abort.
class ConnectionWatch {
 public:
  // busy and deadline are written by the connection's own thread on every request without the
  // mutex (which only guards the list): a global lock taken twice per request serialised all
  // connection threads. The watchdog reads them; a request that becomes busy just as its
  // expired deadline is read may still be cut — it had completed its headers after the deadline.
  struct Entry {
    Entry(const Poco::Net::StreamSocket& s, SteadyClock::time_point d)
        : socket(s), deadline(d.time_since_epoch().count()) {}
    Poco::Net::StreamSocket socket;
    std::atomic<SteadyClock::rep> deadline;
    std::atomic<bool> busy{false};
    bool cut = false;  // under mu_
  };
  using Handle = std::list<Entry>::iterator;

  ConnectionWatch(int first_ms, int next_ms) : first_ms_(first_ms), next_ms_(next_ms) {
    thread_ = std::thread([this] { loop(); });
  }
  ~ConnectionWatch() { shutdown(); }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  Handle add(const Poco::Net::StreamSocket& s) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.emplace_front(s, SteadyClock::now() + std::chrono::milliseconds(first_ms_));
    Handle h = entries_.begin();
    if (draining_.load()) cut(*h);
    return h;
  }
  void remove(Handle h) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase(h);
  }
  void busy(Handle h) { h->busy.store(true); }
  void idle(Handle h) {
    h->deadline.store(
        (SteadyClock::now() + std::chrono::milliseconds(next_ms_)).time_since_epoch().count());
    h->busy.store(false);
  }
  // From now on idle connections are cut at once and busy ones end after their answer.
  void drain() {
    draining_.store(true);
    cv_.notify_all();
  }
  bool draining() const { return draining_.load(); }
  // Every connection is cut, busy or not.
  void cutAll() {
    std::lock_guard<std::mutex> lock(mu_);
    draining_.store(true);
    for (auto& e : entries_) cut(e);
  }
  std::uint64_t cuts() const { return cuts_.load(); }

 private:
  // The blocked read returns; the connection ends. The entry stays until the connection's thread
  // removes it, so the socket cannot be closed and reused meanwhile. The TCP socket itself, also
  // under TLS: SSL_shutdown from this thread would race the connection thread's SSL_read.
  void cut(Entry& e) {
    if (e.cut) return;
    ::shutdown(e.socket.impl()->sockfd(), SHUT_RDWR);
    e.cut = true;
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(50));
      const auto now = SteadyClock::now().time_since_epoch().count();
      const bool draining = draining_.load();
      for (auto& e : entries_) {
        if (e.cut || e.busy.load()) continue;
        if (draining) {
          cut(e);
        } else if (now >= e.deadline.load()) {
          cut(e);
          ++cuts_;
        }
      }
    }
  }

  const int first_ms_, next_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::list<Entry> entries_;
  bool stop_ = false;
  std::atomic<bool> draining_{false};
  std::atomic<std::uint64_t> cuts_{0};
  std::thread thread_;
};

namespace {

// "Sat, 28 Nov 2026 13:17:45 GMT" (RFC 9110 5.6.7), formatted once per second per thread.
std::string_view httpDate() {
  thread_local std::time_t cached = -1;
  thread_local char text[40];
  thread_local std::size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    len = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = now;
  }
  return std::string_view(text, len);
}

}  // namespace

class WireConnection : public Poco::Net::TCPServerConnection {
 public:
  WireConnection(const Poco::Net::StreamSocket& s, std::shared_ptr<const HttpWireHandler> handler,
                 std::shared_ptr<ConnectionWatch> watch, const HttpWireServerLimits& limits)
      : TCPServerConnection(s),
        handler_(std::move(handler)),
        watch_(std::move(watch)),
        limits_(limits),
        request_(limits.max_head_bytes) {}

  void run() override {
    handle_ = watch_->add(socket());
    secure_ = dynamic_cast<Poco::Net::SecureStreamSocketImpl*>(socket().impl()) != nullptr;
    try {
      serve();
    } catch (const Poco::Exception&) {
      // The peer went away, the watchdog cut the socket, a write timed out: the connection ends.
    } catch (const std::exception&) {
    }
    // A deferred answer still to come writes to this socket: it must not close before.
    try {
      finishDeferred();
    } catch (...) {
    }
    watch_->remove(handle_);
  }

  // Reads more bytes into `pending_`: kData, or kClosed (by the peer or the watchdog), or
  // kTimeout (no byte within io_timeout_ms). While no byte of a request has come
  // (`waiting_for_request`), waiting goes on until `idle_until_`: the watchdog bounds it too.
  enum class Fill { kData, kClosed, kTimeout };
  Fill fill(bool waiting_for_request) {
    for (;;) {
      try {
        const int n = socket().receiveBytes(buf_.data(), static_cast<int>(buf_.size()));
        if (n <= 0) return Fill::kClosed;
        pending_ = std::string_view(buf_.data(), static_cast<std::size_t>(n));
        return Fill::kData;
      } catch (const Poco::TimeoutException&) {
        // A connection whose deferred answer is not out yet is not idle (the watchdog agrees).
        if (!waiting_for_request ||
            (SteadyClock::now() >= idle_until_ && deferred_.load() == Deferred::kNone)) {
          return Fill::kTimeout;
        }
      }
    }
  }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const int n = socket().sendBytes(bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) throw Poco::Net::ConnectionAbortedException("send");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void reply(HttpExchange& ex, int status, std::string_view content_type, std::string_view body,
             bool close, std::string_view extra_headers) {
    if (ex.replied_) return;
    ex.replied_ = true;
    // The connection cannot carry another request when the body was not read to its end.
    close = close || !ex.body_complete_ || !request_.keepAlive() || watch_->draining();
    ex.close_after_ = close;
    format(out_, status, content_type, body, close, extra_headers);
    send(out_);
  }

  std::shared_ptr<PendingReply> defer(HttpExchange& ex) {
    if (ex.replied_) return nullptr;
    ex.replied_ = true;
    ex.deferred_ = true;
    ex.close_after_ = !ex.body_complete_ || !request_.keepAlive();
    deferred_.store(Deferred::kWaiting);
    return std::shared_ptr<PendingReply>(new PendingReply(*this, ex.close_after_));
  }

  // PendingReply::reply(), on the answering thread.
  void answerDeferred(int status, std::string_view content_type, std::string_view body,
                      bool close, std::string_view extra_headers) {
    close = close || watch_->draining();
    std::string bytes;
    format(bytes, status, content_type, body, close, extra_headers);
    if (secure_) {
      std::lock_guard<std::mutex> lock(deferred_mu_);
      deferred_bytes_ = std::move(bytes);
      deferred_close_ = close;
      deferred_.store(Deferred::kReady);
      deferred_cv_.notify_one();
      return;
    }
    // Plain TCP: written from here while the connection's thread waits in its read (a send and
    // a receive on one socket from two threads are fine). Never blocking this thread: an answer
    // that does not fit the socket's buffer ends the connection.
    const int fd = socket().impl()->sockfd();
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    const bool ends = n != static_cast<ssize_t>(bytes.size()) || close;
    if (ends) {
      ::shutdown(fd, SHUT_RDWR);  // the connection's thread sees the end and leaves
    } else {
      watch_->idle(handle_);
    }
    std::lock_guard<std::mutex> lock(deferred_mu_);
    deferred_close_ = ends;
    deferred_.store(Deferred::kNone);
    deferred_cv_.notify_one();
  }

  // Waits for a deferred answer to be out (under TLS: writes it). False when the connection
  // must end after it.
  bool finishDeferred() {
    if (deferred_.load() == Deferred::kNone && !deferred_close_) return true;
    std::unique_lock<std::mutex> lock(deferred_mu_);
    deferred_cv_.wait(lock, [&] { return deferred_.load() != Deferred::kWaiting; });
    if (deferred_.load() == Deferred::kReady) {
      deferred_.store(Deferred::kNone);
      const std::string bytes = std::move(deferred_bytes_);
      lock.unlock();
      send(bytes);
      watch_->idle(handle_);
      lock.lock();
    }
    return !deferred_close_;
  }

  HttpExchange::Read readBody(HttpExchange& ex, std::string& body, std::size_t cap,
                              SteadyClock::time_point deadline) {
    using Read = HttpExchange::Read;
    using Event = HttpMessageParser::Event;
    if (ex.body_read_) return Read::kBad;
    ex.body_read_ = true;
    if (request_.contentLength() > static_cast<std::int64_t>(cap)) return Read::kTooLarge;
    if (request_.expectContinue() && pending_.empty()) send("HTTP/1.1 100 Continue\r\n\r\n");
    for (;;) {
      std::string_view chunk;
      switch (request_.next(pending_, chunk)) {
        case Event::kBody: {
          const std::size_t room = cap + 1 - body.size();
          body.append(chunk.data(), std::min(room, chunk.size()));
          if (body.size() > cap) return Read::kTooLarge;
          continue;
        }
        case Event::kDone:
          ex.body_complete_ = true;
          return Read::kOk;
        case Event::kNeedMore:
          if (SteadyClock::now() > deadline) return Read::kTimeout;
          switch (fill(false)) {
            case Fill::kData: break;
            case Fill::kTimeout: return Read::kTimeout;
            case Fill::kClosed: return Read::kBad;
          }
          continue;
        case Event::kHead:  // not after the head
        case Event::kError:
          return Read::kBad;
      }
    }
  }

 private:
  static void format(std::string& out, int status, std::string_view content_type,
                     std::string_view body, bool close, std::string_view extra_headers) {
    out.clear();
    out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
    out.append(Poco::Net::HTTPResponse::getReasonForStatus(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status)));
    out.append("\r\nDate: ").append(httpDate());
    out.append("\r\nServer: wxrecon\r\nContent-Type: ").append(content_type);
    out.append("\r\nContent-Length: ").append(std::to_string(body.size()));
    out.append(close ? "\r\nConnection: close\r\n" : "\r\nConnection: Keep-Alive\r\n");
    out.append(extra_headers).append("\r\n").append(body);
  }

  void serve() {
    Poco::Net::StreamSocket& s = socket();
    s.setReceiveTimeout(Poco::Timespan(static_cast<long>(limits_.io_timeout_ms) * 1000));
    s.setSendTimeout(Poco::Timespan(static_cast<long>(limits_.io_timeout_ms) * 1000));
    s.setNoDelay(true);  // the answer is one write; nothing to coalesce
    const Poco::Net::SocketAddress peer = s.peerAddress();
    buf_.resize(16 * 1024);
    idle_until_ = SteadyClock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
    for (;;) {
      request_.reset();
      using Event = HttpMessageParser::Event;
      Event e;
      for (;;) {
        std::string_view unused;
        e = request_.next(pending_, unused);
        if (e != Event::kNeedMore) break;
        if (fill(!request_.started()) != Fill::kData) return;
      }
      // The previous request's answer goes first (pipelined requests are answered in order).
      if (!finishDeferred()) return;
      HttpExchange ex(*this, request_, peer);
      if (e == Event::kError) {
        reply(ex, 400, "text/plain; charset=utf-8", "bad request\n", true, {});
        return;
      }
      watch_->busy(handle_);
      // A request without a body is complete with its head.
      if (!request_.chunked() && request_.contentLength() == 0) {
        std::string_view none;
        ex.body_complete_ = request_.next(pending_, none) == Event::kDone;
      }
      (*handler_)(ex);
      if (!ex.replied()) reply(ex, 500, "text/plain; charset=utf-8", "no answer\n", true, {});
      idle_until_ = SteadyClock::now() + std::chrono::milliseconds(limits_.keep_alive_idle_ms);
      if (ex.deferred_) {
        // Under TLS this thread writes the answer: wait for it. On plain TCP the answering
        // thread writes it and marks the connection idle; this one reads on.
        if (ex.close_after_ || secure_) {
          if (!finishDeferred()) return;
        }
        continue;
      }
      if (ex.close_after_) return;
      watch_->idle(handle_);
    }
  }

  std::shared_ptr<const HttpWireHandler> handler_;
  std::shared_ptr<ConnectionWatch> watch_;
  const HttpWireServerLimits limits_;
  ConnectionWatch::Handle handle_;
  bool secure_ = false;
  HttpRequestParser request_;
  std::string buf_;           // the last read
  std::string_view pending_;  // what of it the parser has not taken yet
  std::string out_;           // the answer being written
  SteadyClock::time_point idle_until_;
  // A deferred answer: kWaiting until PendingReply::reply(); kReady (TLS) until this thread has
  // written it. deferred_close_: the connection ends after it.
  enum class Deferred { kNone, kWaiting, kReady };
  std::atomic<Deferred> deferred_{Deferred::kNone};
  std::mutex deferred_mu_;
  std::condition_variable deferred_cv_;
  std::string deferred_bytes_;
  bool deferred_close_ = false;  // under deferred_mu_ (read by this thread after the wait)
};

HttpExchange::Read HttpExchange::readBody(std::string& body, std::size_t cap,
                                          SteadyClock::time_point deadline) {
  return conn_.readBody(*this, body, cap, deadline);
}

void HttpExchange::reply(int status, std::string_view content_type, std::string_view body,
                         bool close, std::string_view extra_headers) {
  conn_.reply(*this, status, content_type, body, close, extra_headers);
}

std::shared_ptr<PendingReply> HttpExchange::defer() { return conn_.defer(*this); }

void PendingReply::reply(int status, std::string_view content_type, std::string_view body,
                         bool close, std::string_view extra_headers) {
  if (replied_.exchange(true)) return;
  conn_.answerDeferred(status, content_type, body, close || close_, extra_headers);
}

PendingReply::~PendingReply() {
  if (!replied_.load()) reply(500, "text/plain; charset=utf-8", "no answer\n", true);
}

namespace {

class WireFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  WireFactory(std::shared_ptr<const HttpWireHandler> handler,
              std::shared_ptr<ConnectionWatch> watch, const HttpWireServerLimits& limits)
      : handler_(std::move(handler)), watch_(std::move(watch)), limits_(limits) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override {
    return new WireConnection(s, handler_, watch_, limits_);
  }

 private:
  std::shared_ptr<const HttpWireHandler> handler_;
  std::shared_ptr<ConnectionWatch> watch_;
  const HttpWireServerLimits limits_;
};

}  // namespace

HttpWireServer::HttpWireServer(HttpWireHandler handler, const Poco::Net::ServerSocket& socket,
                               HttpWireServerLimits limits)
    : handler_(std::make_shared<const HttpWireHandler>(std::move(handler))),
      limits_(limits),
      watch_(std::make_shared<ConnectionWatch>(limits.header_timeout_ms,
                                               limits.keep_alive_idle_ms)),
      // Poco's default ThreadPool holds 16 threads: the server's own, sized as maxThreads.
      pool_(std::make_unique<Poco::ThreadPool>(4, limits.max_threads + 4, 60)) {
  auto* params = new Poco::Net::TCPServerParams;
  params->setMaxThreads(limits_.max_threads);
  params->setMaxQueued(limits_.max_queued);
  server_ = std::make_unique<Poco::Net::TCPServer>(new WireFactory(handler_, watch_, limits_),
                                                   *pool_, socket, params);
}

HttpWireServer::~HttpWireServer() {
  abortAll();
  pool_->joinAll();  // the connections' threads use limits_ and the handler's captures
  watch_->shutdown();
}

void HttpWireServer::start() { server_->start(); }

void HttpWireServer::stop() {
  server_->stop();
  watch_->drain();
}

void HttpWireServer::abortAll() {
  server_->stop();
  watch_->cutAll();
}

int HttpWireServer::currentConnections() const { return server_->currentConnections(); }

std::uint64_t HttpWireServer::headerTimeouts() const { return watch_->cuts(); }

}  // namespace wx
