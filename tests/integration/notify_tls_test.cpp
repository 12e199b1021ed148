// notify-server over HTTPS ([notify] tls_cert_file / tls_key_file; issue 6 "HTTPS with a
// configured certificate"), with a test CA generated at test time (support/tls_test_server.h):
// a client that trusts only that CA gets the byte-exact acknowledgement and the body is stored;
// plain HTTP to the TLS port is not served; a connection that never completes its handshake is
// cut by the header deadline while genuine ones pass; one of the two keys alone is refused.
#include <catch2/catch.hpp>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "notify_fixture.h"
#include "support/tls_test_server.h"

using namespace wx;
using namespace wx::test;

namespace {

HttpResult httpsPost(const std::string& base, const std::string& body) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr ctx =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                             TestCerts::instance().path("ca.pem"), Poco::Net::Context::VERIFY_STRICT);
  const Poco::URI uri(base);
  Poco::Net::HTTPSClientSession session(uri.getHost(), uri.getPort(), ctx);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/wxpay/notify",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("text/xml");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

}  // namespace

TEST_CASE("notify-server: HTTPS with a configured certificate", "[integration][notify-server]") {
  TestDatabase tdb;
  SimProcess sim;
  NotifyServerOptions options;
  options.confirm = false;
  options.tls_cert_file = TestCerts::instance().path("good.pem");
  options.tls_key_file = TestCerts::instance().path("good.key");
  NotifyServerProcess server(sim, tdb.iniDbSection(), options);
  server.migrate();
  server.start();
  REQUIRE(server.base().rfind("https://", 0) == 0);
  auto s = tdb.session();
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "TLS00001", 100, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/TLS00001/pay", R"({"notify":"lose"})");
  const std::string body = server.body("TLS00001");

  // A connection that opens TCP and never starts the handshake: cut by the header deadline.
  const Poco::URI uri(server.base());
  Poco::Net::StreamSocket stalled(Poco::Net::SocketAddress("127.0.0.1", uri.getPort()));
  stalled.setReceiveTimeout(Poco::Timespan(5, 0));

  const HttpResult r = httpsPost(server.base(), body);
  CHECK(r.status == 200);
  CHECK(r.body == notifyAckSuccess());
  CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE verdict = 'ACCEPTED' AND "
                      "out_trade_no = 'TLS00001'") == 1);

  char byte = 0;
  const auto t0 = std::chrono::steady_clock::now();
  int n = -1;
  try {
    n = stalled.receiveBytes(&byte, 1);
  } catch (const Poco::Exception&) {
    n = -2;  // reset: also cut
  }
  CHECK(n <= 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));

  // Plain HTTP to the TLS listener gets no acknowledgement.
  bool plain_acked = false;
  try {
    plain_acked = httpExchange("http://127.0.0.1:" + std::to_string(uri.getPort()), "POST",
                               "/wxpay/notify", body, 3000)
                      .body == notifyAckSuccess();
  } catch (const Poco::Exception&) {
  }
  CHECK_FALSE(plain_acked);
  CHECK(queryCount(s, "SELECT times_received FROM payment_notification WHERE "
                      "out_trade_no = 'TLS00001'") == 1);
  CHECK(server.stop() == 0);
}

TEST_CASE("notify-server: tls_cert_file without tls_key_file is a configuration error",
          "[integration][notify-server]") {
  TestDatabase tdb;
  SimProcess sim;
  NotifyServerOptions options;
  options.tls_cert_file = TestCerts::instance().path("good.pem");
  NotifyServerProcess server(sim, tdb.iniDbSection(), options);
  CHECK_THROWS_WITH(server.migrate(), Catch::Contains("tls_key_file"));
}
