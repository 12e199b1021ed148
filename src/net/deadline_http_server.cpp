#include "net/deadline_http_server.h"

#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

namespace wx {

using SteadyClock = std::chrono::steady_clock;

class ConnectionWatch {
 public:
  // busy and deadline are written by the connection's own thread on every request without the
  // mutex (which only guards the list): a global lock taken twice per request serialised all
  // handler threads. The watchdog reads them; a request that becomes busy just as its expired
  // deadline is read may still be cut — it had completed its headers after the deadline.
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
    return entries_.begin();
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
  std::uint64_t cuts() const { return cuts_.load(); }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(50));
      const auto now = SteadyClock::now().time_since_epoch().count();
      for (auto& e : entries_) {
        if (e.cut || e.busy.load() || now < e.deadline.load()) continue;
        // The blocked read returns; Poco ends the connection. The entry stays until the
        // connection's thread removes it, so the socket cannot be closed and reused meanwhile.
        // The TCP socket itself, also under TLS: SSL_shutdown from this thread would race
        // the connection thread's SSL_read on the same SSL object.
        ::shutdown(e.socket.impl()->sockfd(), SHUT_RDWR);
        e.cut = true;
        ++cuts_;
      }
    }
  }

  const int first_ms_, next_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::list<Entry> entries_;
  bool stop_ = false;
  std::atomic<std::uint64_t> cuts_{0};
  std::thread thread_;
};

namespace {

struct Current {
  ConnectionWatch* watch = nullptr;
  ConnectionWatch::Handle handle;
};
thread_local Current tl_current;

class WatchedConnection : public Poco::Net::HTTPServerConnection {
 public:
  WatchedConnection(const Poco::Net::StreamSocket& s, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                    std::shared_ptr<ConnectionWatch> watch)
      : HTTPServerConnection(s, params, factory), watch_(std::move(watch)) {}
  void run() override {
    const auto handle = watch_->add(socket());
    tl_current = {watch_.get(), handle};
    try {
      HTTPServerConnection::run();
    } catch (...) {
      tl_current = {};
      watch_->remove(handle);
      throw;
    }
    tl_current = {};
    watch_->remove(handle);
  }

 private:
  std::shared_ptr<ConnectionWatch> watch_;
};

class WatchedFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  WatchedFactory(Poco::Net::HTTPServerParams::Ptr params,
                 Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                 std::shared_ptr<ConnectionWatch> watch)
      : params_(std::move(params)), factory_(std::move(factory)), watch_(std::move(watch)) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override {
    return new WatchedConnection(s, params_, factory_, watch_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  std::shared_ptr<ConnectionWatch> watch_;
};

}  // namespace

DeadlineHttpServer::DeadlineHttpServer(StoppableHandlerFactory::Ptr factory, Poco::ThreadPool& pool,
                                       const Poco::Net::ServerSocket& socket,
                                       Poco::Net::HTTPServerParams::Ptr params, int first_header_ms,
                                       int next_header_ms)
    : factory_(factory),
      watch_(std::make_shared<ConnectionWatch>(first_header_ms, next_header_ms)),
      server_(std::make_unique<Poco::Net::TCPServer>(
          new WatchedFactory(params, Poco::Net::HTTPRequestHandlerFactory::Ptr(factory), watch_),
          pool, socket, params)) {}

DeadlineHttpServer::~DeadlineHttpServer() { abortAll(); }

void DeadlineHttpServer::start() { server_->start(); }
void DeadlineHttpServer::stop() { server_->stop(); }

void DeadlineHttpServer::abortAll() {
  if (!server_) return;
  server_->stop();
  // What Poco::Net::HTTPServer::stopAll(true) does: every HTTPServerConnection listens.
  factory_->notifyStopped(this, true);
  server_.reset();
  watch_->shutdown();
}

int DeadlineHttpServer::currentConnections() const {
  return server_ ? server_->currentConnections() : 0;
}

std::uint64_t DeadlineHttpServer::headerTimeouts() const { return watch_->cuts(); }

void DeadlineHttpServer::markBusy() {
  if (tl_current.watch != nullptr) tl_current.watch->busy(tl_current.handle);
}
void DeadlineHttpServer::markIdle() {
  if (tl_current.watch != nullptr) tl_current.watch->idle(tl_current.handle);
}

}  // namespace wx
