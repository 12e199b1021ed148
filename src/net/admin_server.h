// A small loopback-oriented admin HTTP listener for `wxrecon daemon` ([daemon] admin_listen):
// GET /healthz and GET /metrics, everything else 404, other methods 405. One request per
// connection, at most 4 at once, reads limited by a 2 s socket timeout. The handlers are
// called on the server's threads: they must be thread-safe and must not throw.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace wx {

struct AdminHandlers {
  // GET /healthz: empty when healthy (200 "ok"), else why not, answered 503 with that line as
  // the body (e.g. "no sweep finished yet"). Unset: always healthy.
  std::function<std::string()> unhealthy_reason;
  // The Prometheus text (format 0.0.4).
  std::function<std::string()> metrics;
};

class AdminServer {
 public:
  AdminServer(std::string listen, AdminHandlers handlers);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds `listen` (HOST:PORT; port 0: ephemeral) and serves. Throws Poco::Exception when the
  // address cannot be bound.
  void start();
  void stop();
  // "host:port" bound (after start()).
  const std::string& address() const { return address_; }

 private:
  std::string listen_;
  AdminHandlers handlers_;
  std::string address_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace wx
