// PocoHttpTransport throughput: small keep-alive POSTs over loopback TLS to an in-process server,
// with 1 and 16 client threads, and (for scale) one thread with a new handshake per request.
// Prints `<name> <value> <unit>` lines. Measured, never asserted.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "net/poco_http_transport.h"
#include "support/tls_test_server.h"

using namespace wx;

namespace {

constexpr auto kDuration = std::chrono::milliseconds(2000);

// Runs `threads` clients for kDuration; returns requests per second (failures abort the run).
double run(int threads, bool keep_alive) {
  test::TestHttpServer server("good", test::TestHttpServer::Mode::kAnswer,
                              "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>");
  PocoHttpTransportOptions options;
  options.ca_file = test::TestCerts::instance().path("ca.pem");
  options.max_idle_per_host = keep_alive ? 64 : 0;  // 0: nothing is pooled, every call connects
  auto transport = PocoHttpTransport::create(options);
  if (!transport) {
    std::fprintf(stderr, "%s\n", transport.status().toString().c_str());
    std::exit(1);
  }
  HttpRequest req;
  req.url = server.url();
  req.body = "<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid><nonce_str>x</nonce_str></xml>";
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  const auto deadline = std::chrono::steady_clock::now() + kDuration;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (std::chrono::steady_clock::now() < deadline && !failed) {
        HttpResult r = (*transport)->send(req);
        if (!r.ok() || r.response.status != 200) {
          std::fprintf(stderr, "request failed: %s %s\n", transportOutcomeName(r.outcome),
                       r.detail.c_str());
          failed = true;
          return;
        }
        done.fetch_add(1);
      }
    });
  }
  for (auto& t : pool) t.join();
  if (failed) std::exit(1);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(done.load()) / secs;
}

}  // namespace

int main() {
  std::printf("transport_tls_keepalive_1thread %.0f req/s\n", run(1, true));
  std::printf("transport_tls_keepalive_16threads %.0f req/s\n", run(16, true));
  std::printf("transport_tls_new_connection_1thread %.0f req/s\n", run(1, false));
  return 0;
}
