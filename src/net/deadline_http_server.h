// A Poco HTTP server whose connections must complete their request headers within a deadline
// (RELIABILITY.md invariant 17). Poco's HTTPServerParams timeout bounds each socket read, not
// the whole header: a client trickling one byte every 400 ms would hold a worker thread for
// as long as Poco's header size limits allow (minutes). Here a watchdog thread shuts down the
// socket of any connection that is waiting for (or reading) request headers past its deadline:
//   - `first_header_ms` after the connection was accepted, for the first request;
//   - `next_header_ms` after the previous response, for keep-alive requests (idle + headers).
// While a handler runs, the connection is not watched (body reading has its own deadline in
// the handler). Handlers are created by the given factory exactly as with Poco::Net::HTTPServer.
// Thread-safe; start()/stop() from one thread.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <memory>

namespace wx {

class ConnectionWatch;

// The handler factory of a DeadlineHttpServer: Poco lets only HTTPServer (a friend) fire the
// serverStopped event that aborts open connections; this makes it reachable.
class StoppableHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  using Ptr = Poco::SharedPtr<StoppableHandlerFactory>;
  void notifyStopped(const void* sender, bool abort_current) {
    serverStopped(sender, abort_current);
  }
};

class DeadlineHttpServer {
 public:
  DeadlineHttpServer(StoppableHandlerFactory::Ptr factory, Poco::ThreadPool& pool,
                     const Poco::Net::ServerSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                     int first_header_ms, int next_header_ms);
  ~DeadlineHttpServer();

  void start();
  // Stops accepting; connections in progress continue.
  void stop();
  // Aborts the remaining connections (like HTTPServer::stopAll(true)) and stops the watchdog.
  void abortAll();
  int currentConnections() const;

  // Connections whose socket the watchdog shut down (tests, metrics).
  std::uint64_t headerTimeouts() const;

  // For request handlers: the connection served by this thread is busy (not watched) / idle
  // again (watched with the keep-alive deadline). No-ops outside such a connection.
  static void markBusy();
  static void markIdle();

 private:
  StoppableHandlerFactory::Ptr factory_;
  std::shared_ptr<ConnectionWatch> watch_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
};

}  // namespace wx
