// The simulator's HTTP(S) front door (Poco HTTPServer): /pay/* to PayApi, /sim/* to ControlApi.
// Keep-alive, a thread per connection up to `threads`, bodies capped (Poco caps headers only).
// Performs the transport faults PayApi asks for: latency, a held connection with no answer
// (timeout), a reset (RST), a bill cut in the middle.
#pragma once

#include <memory>
#include <string>

#include "sim/sim_api.h"
#include "sim/sim_control.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace wx::sim {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: an ephemeral port
  int threads = 64;
  std::string tls_cert, tls_key;  // both set: HTTPS
  std::size_t max_body_bytes = 1 << 20;
};

class SimServer {
 public:
  SimServer(PayApi& pay, ControlApi& control, ServerOptions options);
  ~SimServer();
  // Binds and starts serving. Throws Poco::Exception when it cannot bind or load the TLS files.
  void start();
  void stop();
  // "http://127.0.0.1:PORT" (or https) with the bound port.
  std::string url() const;

 private:
  PayApi& pay_;
  ControlApi& control_;
  ServerOptions options_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int bound_port_ = 0;
};

}  // namespace wx::sim
