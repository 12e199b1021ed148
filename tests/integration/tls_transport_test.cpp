// PocoHttpTransport over real loopback sockets (no database): TLS verification (RELIABILITY.md
// T16), timeout / reset / connect-failure classification, body caps, streaming, keep-alive.
// Certificates are generated at test time with the openssl CLI (tests/support/tls_test_server.h).
#include <catch2/catch.hpp>

#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <string>

#include "net/poco_http_transport.h"
#include "support/tls_test_server.h"

using namespace wx;
using wx::test::TestCerts;
using wx::test::TestHttpServer;
using Mode = wx::test::TestHttpServer::Mode;

namespace {

std::unique_ptr<PocoHttpTransport> makeTransport(const std::string& ca_file) {
  PocoHttpTransportOptions o;
  o.ca_file = ca_file;
  auto t = PocoHttpTransport::create(o);
  REQUIRE(t.isOk());
  return std::move(t).value();
}

std::unique_ptr<PocoHttpTransport> trustingTestCa() {
  return makeTransport(TestCerts::instance().path("ca.pem"));
}

HttpRequest post(const std::string& url, Millis read_timeout = Millis(5000)) {
  HttpRequest r;
  r.url = url;
  r.body = "<xml><appid><![CDATA[wx1]]></appid></xml>";
  r.connect_timeout = Millis(2000);
  r.read_timeout = read_timeout;
  return r;
}

// Binds an ephemeral port and closes it again: nothing listens there afterwards.
Poco::UInt16 closedPort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::UInt16 p = s.address().port();
  s.close();
  return p;
}

}  // namespace

TEST_CASE("TLS: the test CA's certificate is accepted and the body arrives", "[tls][transport]") {
  TestHttpServer server("good", Mode::kAnswer, "<xml><return_code>SUCCESS</return_code></xml>");
  auto transport = trustingTestCa();
  HttpResult r = transport->send(post(server.url()));
  INFO(r.detail);
  REQUIRE(r.outcome == TransportOutcome::kOk);
  CHECK(r.response.status == 200);
  CHECK(r.response.body == "<xml><return_code>SUCCESS</return_code></xml>");
  CHECK(r.response.content_type == "text/xml");
  CHECK(server.lastRequestBody() == "<xml><appid><![CDATA[wx1]]></appid></xml>");
}

TEST_CASE("TLS: self-signed, expired, wrong-host and untrusted-CA certificates are refused (T16)",
          "[tls][transport]") {
  // Each row: the server's certificate, why the client must refuse it, and the check that does.
  const char* const kBad[][3] = {
      {"selfsigned", "self-signed, not issued by a trusted CA", "self-signed certificate"},
      {"expired", "issued by the trusted CA, but expired in 2020", "certificate has expired"},
      {"wronghost", "issued by the trusted CA for wrong-host.invalid, not 127.0.0.1",
       "Unacceptable certificate from 127.0.0.1"},
      {"untrusted", "issued for localhost by a CA the client does not trust",
       "unable to get local issuer certificate"},
  };
  auto transport = trustingTestCa();
  for (const auto& row : kBad) {
    TestHttpServer server(row[0], Mode::kAnswer);
    HttpResult r = transport->send(post(server.url()));
    INFO(row[0] << ": " << row[1] << " -> " << transportOutcomeName(r.outcome) << " " << r.detail);
    CHECK(r.outcome == TransportOutcome::kTlsFailure);
    CHECK(r.detail.find(row[2]) != std::string::npos);
    CHECK(r.response.status == 0);
    CHECK(server.requests() == 0);  // no request ever reached the handler
  }
}

TEST_CASE("TLS: without ca_file only the system CAs are trusted, so the test CA is refused",
          "[tls][transport]") {
  TestHttpServer server("good", Mode::kAnswer);
  auto transport = makeTransport("");
  HttpResult r = transport->send(post(server.url()));
  INFO(r.detail);
  CHECK(r.outcome == TransportOutcome::kTlsFailure);
  CHECK(server.requests() == 0);
}

TEST_CASE("TLS: an unreadable ca_file is a configuration error", "[tls][transport]") {
  PocoHttpTransportOptions o;
  o.ca_file = TestCerts::instance().dir() + "/no-such-ca.pem";
  auto t = PocoHttpTransport::create(o);
  REQUIRE_FALSE(t.isOk());
  CHECK(t.status().code() == StatusCode::kInvalidArgument);
  // A file that exists but holds no certificate is refused too.
  o.ca_file = TestCerts::instance().path("san.ext");
  CHECK_FALSE(PocoHttpTransport::create(o).isOk());
}

TEST_CASE("transport: a server that never answers is classified timed out", "[transport]") {
  for (const char* cert : {"good", ""}) {
    TestHttpServer server(cert, Mode::kSilent);
    auto transport = trustingTestCa();
    const auto start = std::chrono::steady_clock::now();
    HttpResult r = transport->send(post(server.url(), Millis(400)));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    INFO((*cert ? "https: " : "http: ") << r.detail);
    CHECK(r.outcome == TransportOutcome::kTimedOut);
    CHECK(server.requests() == 1);             // it was sent: not a connect failure
    CHECK(elapsed < std::chrono::seconds(5));  // safety bound only
  }
}

TEST_CASE("transport: resets before and during the answer are classified reset", "[transport]") {
  for (const char* cert : {"good", ""}) {
    for (Mode mode : {Mode::kResetBeforeAnswer, Mode::kResetMidBody}) {
      TestHttpServer server(cert, mode, std::string(2000, 'x'));
      auto transport = trustingTestCa();
      HttpResult r = transport->send(post(server.url()));
      INFO((*cert ? "https " : "http ") << static_cast<int>(mode) << ": " << r.detail);
      CHECK(r.outcome == TransportOutcome::kReset);
      CHECK(server.requests() == 1);
    }
  }
}

TEST_CASE("transport: nothing listening is a connect failure (the only failover case)",
          "[transport]") {
  auto transport = trustingTestCa();
  for (const char* scheme : {"https", "http"}) {
    HttpResult r = transport->send(
        post(std::string(scheme) + "://127.0.0.1:" + std::to_string(closedPort()) + "/x"));
    INFO(scheme << ": " << r.detail);
    CHECK(r.outcome == TransportOutcome::kConnectFailed);
  }
  HttpResult dns = transport->send(post("https://no-such-host.invalid/pay/orderquery"));
  INFO(dns.detail);
  CHECK(dns.outcome == TransportOutcome::kConnectFailed);
}

TEST_CASE("transport: plain http only to loopback, and only http/https URLs", "[transport]") {
  auto transport = trustingTestCa();
  for (const char* url : {"http://api.mch.weixin.qq.com/pay/orderquery", "http://10.0.0.1/x",
                          "http://192.168.1.10:8080/x", "ftp://127.0.0.1/x", "not a url"}) {
    HttpResult r = transport->send(post(url));
    INFO(url << ": " << r.detail);
    CHECK(r.outcome == TransportOutcome::kInvalidRequest);
  }
  CHECK(isLoopbackUrlHost("127.0.0.1"));
  CHECK(isLoopbackUrlHost("127.1.2.3"));
  CHECK(isLoopbackUrlHost("::1"));
  CHECK(isLoopbackUrlHost("[::1]"));
  CHECK(isLoopbackUrlHost("LocalHost"));
  CHECK_FALSE(isLoopbackUrlHost("128.0.0.1"));
  CHECK_FALSE(isLoopbackUrlHost("localhost.evil.example"));

  TestHttpServer plain("", Mode::kAnswer);
  HttpResult r = transport->send(post(plain.url()));
  CHECK(r.outcome == TransportOutcome::kOk);
}

TEST_CASE("transport: keep-alive reuses one connection for sequential requests", "[transport]") {
  for (const char* cert : {"good", ""}) {
    TestHttpServer server(cert, Mode::kAnswer);
    auto transport = trustingTestCa();
    for (int i = 0; i < 5; ++i) {
      HttpResult r = transport->send(post(server.url()));
      REQUIRE(r.outcome == TransportOutcome::kOk);
    }
    CHECK(server.requests() == 5);
    CHECK(server.accepted() == 1);
    CHECK(transport->connectionsOpened() == 1);
  }
}

TEST_CASE("transport: a pooled connection closed by the server is replaced transparently",
          "[transport]") {
  TestHttpServer server("good", Mode::kCloseAfterAnswer);
  auto transport = trustingTestCa();
  for (int i = 0; i < 3; ++i) {
    HttpResult r = transport->send(post(server.url()));
    INFO(i << ": " << r.detail);
    REQUIRE(r.outcome == TransportOutcome::kOk);
  }
  CHECK(server.requests() == 3);
  CHECK(server.accepted() == 3);
}

TEST_CASE("transport: in-memory body cap", "[transport]") {
  TestHttpServer server("good", Mode::kAnswer, std::string(100, 'x'));
  auto transport = trustingTestCa();
  HttpRequest req = post(server.url());
  req.max_body_bytes = 50;
  CHECK(transport->send(req).outcome == TransportOutcome::kBodyTooLarge);
  req.max_body_bytes = 100;
  HttpResult r = transport->send(req);
  CHECK(r.outcome == TransportOutcome::kOk);
  CHECK(r.response.body.size() == 100);
}

TEST_CASE("transport: a 2xx body streams to the sink, keeping only a prefix", "[transport]") {
  std::string big;
  for (int i = 0; big.size() < 3 * 1024 * 1024; ++i) big += std::to_string(i) + ",";
  TestHttpServer server("good", Mode::kAnswer, big);
  auto transport = trustingTestCa();
  HttpRequest req = post(server.url("/pay/downloadbill"));
  std::string received;
  int chunks = 0;
  req.sink = [&](std::string_view c) {
    received.append(c);
    ++chunks;
    return true;
  };
  req.keep_prefix_bytes = 16;
  req.max_body_bytes = 1024;  // the in-memory cap does not apply to the sink
  HttpResult r = transport->send(req);
  INFO(r.detail);
  REQUIRE(r.outcome == TransportOutcome::kOk);
  CHECK(r.response.streamed);
  CHECK(r.response.body_bytes == big.size());
  CHECK(r.response.body == big.substr(0, 16));
  CHECK(received == big);
  CHECK(chunks > 1);

  // The streamed cap, and a sink that gives up.
  req.max_streamed_bytes = 1000;
  CHECK(transport->send(req).outcome == TransportOutcome::kBodyTooLarge);
  req.max_streamed_bytes = 1ull << 32;
  req.sink = [](std::string_view) { return false; };
  CHECK(transport->send(req).outcome == TransportOutcome::kSinkFailed);
}

TEST_CASE("transport: the request arrives whole, and a header cannot inject lines", "[transport]") {
  for (const char* cert : {"good", ""}) {
    TestHttpServer server(cert, Mode::kAnswer);
    auto transport = trustingTestCa();
    HttpRequest req = post(server.url());
    req.headers = {{"X-Request-Id", "42"}};
    HttpResult r = transport->send(req);
    INFO(r.detail);
    REQUIRE(r.outcome == TransportOutcome::kOk);
    CHECK(r.response.status == 200);
    CHECK(r.response.content_type == "text/xml");
    CHECK(r.response.body == "<xml>ok</xml>");
    CHECK(server.lastRequestBody() == req.body);

    req.headers = {{"X-Request-Id", "42\r\nX-Evil: 1"}};
    r = transport->send(req);
    CHECK(r.outcome == TransportOutcome::kInvalidRequest);
    CHECK(server.requests() == 1);  // refused before anything was sent
  }
}
