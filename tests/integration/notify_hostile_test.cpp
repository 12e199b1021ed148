// RELIABILITY.md T9/T10 over HTTP against the real `wxrecon notify-server`: hostile XML and
// signature bypasses are answered FAIL (never SUCCESS), stored raw with their verdict, raise
// NOTIFY_BAD_SIGNATURE once per merchant and day; an XXE target file's content never appears in
// the database, the logs or an answer, and no entity URL is fetched; oversize bodies get 413
// after at most the cap; slow clients are cut off while a genuine notification is still
// acknowledged quickly. Also: the per-source cap on stored unverified bodies, X-Forwarded-For
// only from trusted proxies.
#include <catch2/catch.hpp>

#include <Poco/Net/StreamSocket.h>

#include <random>

#include "common/hash.h"
#include "integration/notify_fixture.h"
#include "support/sim_notify_receiver.h"

using namespace wx;
using namespace wx::test;

namespace {

bool isFail(const HttpResult& r) {
  return r.body.find("<return_code><![CDATA[FAIL]]></return_code>") != std::string::npos &&
         r.body.find("SUCCESS") == std::string::npos;
}

std::string insertBefore(std::string body, const std::string& tag, const std::string& what) {
  const auto p = body.find(tag);
  return body.insert(p, what);
}

std::string replaceValue(std::string body, const std::string& name, const std::string& value) {
  const std::string open = "<" + name + ">", close = "</" + name + ">";
  const auto a = body.find(open) + open.size();
  const auto b = body.find(close, a);
  return body.replace(a, b - a, value);
}

std::string withoutSign(std::string b) {
  const auto a = b.find("<sign>");
  return b.erase(a, b.find("</sign>") + 7 - a);
}

// Sends raw bytes on a fresh connection and reads until the server closes or `timeout_ms`.
std::string rawExchange(const std::string& base, const std::string& bytes, int timeout_ms) {
  Poco::URI uri(base);
  Poco::Net::StreamSocket sock(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
  sock.setReceiveTimeout(Poco::Timespan(static_cast<long>(timeout_ms) * 1000));
  sock.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string answer;
  char buf[4096];
  try {
    for (;;) {
      const int n = sock.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      answer.append(buf, static_cast<std::size_t>(n));
    }
  } catch (const Poco::Exception&) {
  }
  return answer;
}

}  // namespace

TEST_CASE("notify-server: T9/T10 hostile bodies are answered FAIL and stored raw",
          "[integration][notify-server][t9]") {
  TestDatabase tdb;
  SimProcess sim;
  NotifyServerProcess server(sim, tdb.iniDbSection());
  server.migrate();
  server.start();
  auto s = tdb.session();
  TempDir tmp;
  std::random_device rd;
  const std::string marker = "WXMARKER" + std::to_string(rd()) + "X" + std::to_string(rd());
  const std::string marker_path = tmp.write("secret.txt", marker);
  // An entity URL target: it must never be fetched.
  NotifyReceiver exfil([](std::size_t) { return std::make_pair(200, std::string("<x/>")); });

  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "HOSTILE01", 500, server.notifyUrl());
  createOrder(sim, s, "10000200", "wxother00000000001", "HOSTILE02", 700, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/HOSTILE01/pay", R"({"notify":"lose"})");
  sim.controlJson("POST", "/sim/orders/HOSTILE02/pay", R"({"notify":"lose"})");
  const std::string genuine = server.body("HOSTILE01");
  const std::string genuine_hmac = server.body("HOSTILE02");
  const std::string head = "<?xml version=\"1.0\"?>";

  struct Case {
    const char* why;
    std::string body;
    const char* verdict;  // stored verdict
  };
  std::string lol = "<!ENTITY lol \"lol\">";
  std::string prev = "lol";
  for (int i = 1; i <= 9; ++i) {
    const std::string name = "lol" + std::to_string(i);
    lol += "<!ENTITY " + name + " \"";
    for (int k = 0; k < 10; ++k) lol += "&" + prev + ";";
    lol += "\">";
    prev = name;
  }
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "<a>";
  const std::vector<Case> cases = {
      {"XXE: external general entity (file)",
       head + "<!DOCTYPE xml [<!ENTITY x SYSTEM \"file://" + marker_path + "\">]>" +
           insertBefore(genuine, "</xml>", "<attach>&x;</attach>"),
       "MALFORMED"},
      {"XXE: external entity over http to loopback",
       "<!DOCTYPE xml [<!ENTITY x SYSTEM \"" + exfil.url("/steal") + "\">]>" +
           insertBefore(genuine, "</xml>", "<attach>&x;</attach>"),
       "MALFORMED"},
      {"XXE: parameter entity",
       "<!DOCTYPE xml [<!ENTITY % p SYSTEM \"file://" + marker_path + "\"> %p;]>" + genuine,
       "MALFORMED"},
      {"XXE: external DTD", "<!DOCTYPE xml SYSTEM \"file://" + marker_path + "\">" + genuine,
       "MALFORMED"},
      {"billion laughs",
       "<!DOCTYPE xml [" + lol + "]>" + insertBefore(genuine, "</xml>", "<attach>&lol9;</attach>"),
       "MALFORMED"},
      {"deep nesting", insertBefore(genuine, "</xml>", deep), "MALFORMED"},
      {"duplicate field", insertBefore(genuine, "</xml>", "<total_fee>1</total_fee>"), "MALFORMED"},
      {"attribute",
       [&] {
         std::string b = genuine;
         return b.replace(b.find("<appid>"), 7, "<appid a=\"1\">");
       }(),
       "MALFORMED"},
      {"invalid UTF-8", insertBefore(genuine, "</xml>", "<attach>\xC3\x28</attach>"), "MALFORMED"},
      {"root other than xml", "<root>" + genuine + "</root>", "MALFORMED"},
      {"tampered total_fee", replaceValue(genuine, "total_fee", "1"), "BAD_SIGNATURE"},
      {"extra unsigned field", insertBefore(genuine, "</xml>", "<coupon_fee>1</coupon_fee>"),
       "BAD_SIGNATURE"},
      {"no sign", withoutSign(server.body("HOSTILE01", {{"nonce_str", "NOSIGN"}})),
       "BAD_SIGNATURE"},
      {"empty sign",
       replaceValue(server.body("HOSTILE01", {{"nonce_str", "EMPTYSIGN"}}), "sign", ""),
       "BAD_SIGNATURE"},
      {"other merchant's key",
       server.body("HOSTILE01", {{"nonce_str", "OTHERKEY"}}, sim.merchant(1).key, "MD5"),
       "BAD_SIGNATURE"},
      {"MD5 merchant, HMAC-SHA256 sign",
       server.body("HOSTILE01", {{"sign_type", "HMAC-SHA256"}}, "", "HMAC-SHA256"),
       "BAD_SIGNATURE"},
      {"HMAC merchant, MD5 sign", server.body("HOSTILE02", {{"sign_type", "MD5"}}, "", "MD5"),
       "BAD_SIGNATURE"},
      {"unknown merchant", replaceValue(genuine, "mch_id", "99999999"), "BAD_SIGNATURE"},
  };

  std::vector<std::string> answers;
  for (const auto& c : cases) {
    INFO(c.why);
    const auto t0 = std::chrono::steady_clock::now();
    HttpResult r = server.post(c.body);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    CHECK(r.status == 200);
    CHECK(isFail(r));
    answers.push_back(r.body);
    const std::string sha = sha256Hex(c.body);
    CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE body_sha256 = '" + sha +
                            "' AND verdict = '" + c.verdict +
                            "' AND times_received = 1 AND remote_addr = '127.0.0.1'") == 1);
  }
  // Valid edge cases still pass: CDATA with &<" and CJK/emoji in attach (T10).
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "HOSTILE03", 300, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/HOSTILE03/pay", R"({"notify":"lose"})");
  const std::string edge =
      server.body("HOSTILE03", {{"attach", "a&b<c\"d 中文 \xF0\x9F\x98\x80"}, {"device_info", ""}});
  CHECK(server.post(edge).body == notifyAckSuccess());
  CHECK(server.post(genuine).body == notifyAckSuccess());
  CHECK(server.post(genuine_hmac).body == notifyAckSuccess());

  // The XXE target was never read or fetched.
  CHECK(exfil.bodies().empty());
  CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE LOCATE('" + marker +
                          "', raw_body) > 0") == 0);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM discrepancy WHERE LOCATE('" + marker +
                          "', CONCAT(detail, local_value, remote_value)) > 0") == 0);
  CHECK(server.logText().find(marker) == std::string::npos);
  for (const auto& a : answers) CHECK(a.find(marker) == std::string::npos);

  // NOTIFY_BAD_SIGNATURE: one row per configured merchant for today's Beijing day, with the
  // count; none for the unknown merchant.
  const std::string today = formatIsoDate(beijingDate(*parseUtcSql([&] {
    std::string t;
    s << "SELECT CAST(NOW(3) AS CHAR)", Poco::Data::Keywords::into(t), Poco::Data::Keywords::now;
    return t;
  }())));
  const long long bad_shop = queryCount(
      s,
      "SELECT SUM(times_received) FROM payment_notification WHERE mch_id = '10000100' AND "
      "verdict = 'BAD_SIGNATURE'");
  CHECK(bad_shop == 6);  // the six BAD_SIGNATURE cases naming 10000100
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM discrepancy WHERE kind = 'NOTIFY_BAD_SIGNATURE' AND "
                   "mch_id = '10000100' AND bill_date = '" +
                       today + "' AND remote_value = '" + std::to_string(bad_shop) +
                       " notifications failed verification'") == 1);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM discrepancy WHERE kind = 'NOTIFY_BAD_SIGNATURE' AND "
                   "mch_id = '10000200' AND bill_date = '" +
                       today + "'") == 1);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM discrepancy WHERE mch_id = '99999999'") == 0);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM discrepancy WHERE kind = 'NOTIFY_BAD_SIGNATURE'") == 2);
  CHECK(server.stop() == 0);
}

TEST_CASE("notify-server: oversize bodies get 413, slow clients are cut off, genuine ones pass",
          "[integration][notify-server][t9]") {
  TestDatabase tdb;
  SimProcess sim;
  NotifyServerOptions options;
  options.max_body_bytes = 4096;
  NotifyServerProcess server(sim, tdb.iniDbSection(), options);
  server.migrate();
  server.start();
  auto s = tdb.session();
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "SLOW0001", 500, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/SLOW0001/pay", R"({"notify":"lose"})");
  const std::string genuine = server.body("SLOW0001");

  SECTION("Content-Length over the cap: 413 before reading the body") {
    const std::string answer =
        rawExchange(server.base(),
                    "POST /wxpay/notify HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n", 3000);
    CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
  }
  SECTION("chunked over the cap: 413 after reading cap + 1 bytes") {
    const std::string answer =
        rawExchange(server.base(),
                    "POST /wxpay/notify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "1001\r\n" +
                        std::string(4097, 'A'),
                    3000);
    CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
  }
  SECTION("a slow body is cut off; a genuine notification meanwhile is acknowledged fast") {
    std::vector<std::thread> slow;
    std::atomic<int> cut{0};
    for (int i = 0; i < 20; ++i) {
      slow.emplace_back([&] {
        Poco::URI uri(server.base());
        Poco::Net::StreamSocket sock(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
        const std::string head =
            "POST /wxpay/notify HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n";
        sock.sendBytes(head.data(), static_cast<int>(head.size()));
        const auto t0 = std::chrono::steady_clock::now();
        try {
          // One byte every 300 ms: each read makes progress, the whole body never arrives.
          for (int k = 0; k < 40; ++k) {
            sock.sendBytes("<", 1);
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
          }
        } catch (const Poco::Exception&) {
        }
        // Cut off by the body deadline (2 s) long before the 12 s the body would take.
        if (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(8)) ++cut;
      });
    }
    // Idle connections that never send a request line.
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
    Poco::URI uri(server.base());
    for (int i = 0; i < 50; ++i) {
      idle.push_back(std::make_unique<Poco::Net::StreamSocket>(
          Poco::Net::SocketAddress(uri.getHost(), uri.getPort())));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(server.post(genuine).body == notifyAckSuccess());
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    for (auto& t : slow) t.join();
    CHECK(cut == 20);
    // The idle ones were closed by the server (header timeout 500 ms): a read sees EOF.
    int closed = 0;
    for (auto& sock : idle) {
      sock->setReceiveTimeout(Poco::Timespan(2, 0));
      char c;
      try {
        if (sock->receiveBytes(&c, 1) == 0) ++closed;
      } catch (const Poco::Exception&) {
        ++closed;  // reset
      }
    }
    CHECK(closed == 50);
  }
  SECTION("300 connections trickling their headers cannot delay a genuine notification") {
    constexpr int kSlow = 300;
    std::atomic<int> cut{0};
    std::vector<std::thread> slow;
    for (int i = 0; i < kSlow; ++i) {
      slow.emplace_back([&] {
        try {
          Poco::URI uri(server.base());
          Poco::Net::StreamSocket sock(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
          const std::string head = "POST /wxpay/notify HTTP/1.1\r\nHost: x\r\nX-Slow: ";
          sock.sendBytes(head.data(), static_cast<int>(head.size()));
          const auto t0 = std::chrono::steady_clock::now();
          // One header byte every 200 ms (each read makes progress) for up to 12 s.
          for (int k = 0; k < 60; ++k) {
            sock.sendBytes("a", 1);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
          }
          (void)t0;
        } catch (const Poco::Exception&) {
          ++cut;  // the server shut the connection: a send failed
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(server.post(genuine).body == notifyAckSuccess());
    const auto waited = std::chrono::steady_clock::now() - t0;
    WARN("genuine ack under "
         << kSlow << " header tricklers: "
         << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms");
    CHECK(waited < std::chrono::seconds(5));
    for (auto& t : slow) t.join();
    CHECK(cut == kSlow);
    auto metrics = httpExchange(server.admin(), "GET", "/metrics").body;
    CHECK(metrics.find("wxrecon_notify_header_timeouts_total 0\n") == std::string::npos);
  }
  // Nothing of the refused bodies was stored; the server is still serving.
  CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE verdict <> 'ACCEPTED'") ==
        0);
  CHECK(server.post(genuine).body == notifyAckSuccess());
  CHECK(server.stop() == 0);
}

TEST_CASE(
    "notify-server: unverified bodies are stored up to max_bad_per_minute per source: "
    "X-Forwarded-For only from trusted proxies",
    "[integration][notify-server]") {
  TestDatabase tdb;
  SimProcess sim;
  NotifyServerOptions options;
  options.max_bad_per_minute = 5;
  options.trusted_proxies = "127.0.0.1/32";
  NotifyServerProcess server(sim, tdb.iniDbSection(), options);
  server.migrate();
  server.start();
  auto s = tdb.session();
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "RATE0001", 500, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/RATE0001/pay", R"({"notify":"lose"})");

  auto postFrom = [&](const std::string& xff, const std::string& body) {
    Poco::URI uri(server.base());
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    Poco::Net::HTTPRequest req("POST", "/wxpay/notify", Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("X-Forwarded-For", xff);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  // 15 distinct forged bodies from each of two sources (last hop counts).
  for (int i = 0; i < 15; ++i) {
    for (const char* src : {"203.0.113.7", "198.51.100.9"}) {
      const std::string body =
          server.body("RATE0001", {{"nonce_str", "F" + std::to_string(i) + src}}, "wrongkey");
      CHECK(postFrom(std::string("192.0.2.1, ") + src, body).find("FAIL") != std::string::npos);
    }
  }
  for (const char* src : {"203.0.113.7", "198.51.100.9"}) {
    INFO(src);
    const long long stored = queryCount(
        s,
        std::string("SELECT COUNT(*) FROM payment_notification WHERE remote_addr = '") + src + "'");
    // 5 per minute; a minute boundary during the loop may allow one more batch.
    CHECK(stored >= 5);
    CHECK(stored <= 10);
  }
  auto metrics = httpExchange(server.admin(), "GET", "/metrics").body;
  CHECK(metrics.find("wxrecon_notify_bad_dropped_total 0\n") == std::string::npos);
  // A genuine one is still stored and acknowledged; its remote_addr is the proxy's last hop.
  CHECK(postFrom("10.1.1.1, 198.51.100.77", server.body("RATE0001")) == notifyAckSuccess());
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM payment_notification WHERE verdict = 'ACCEPTED' AND "
                   "remote_addr = '198.51.100.77'") == 1);
  CHECK(server.stop() == 0);

  // Without trusted_proxies the header is ignored.
  NotifyServerProcess plain(sim, tdb.iniDbSection());
  plain.start();
  Poco::URI uri(plain.base());
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  Poco::Net::HTTPRequest req("POST", "/wxpay/notify", Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("X-Forwarded-For", "198.51.100.88");
  const std::string body = server.body("RATE0001", {{"nonce_str", "PLAIN"}}, "wrongkey");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  session.receiveResponse(resp);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE body_sha256 = '" +
                          sha256Hex(body) + "' AND remote_addr = '127.0.0.1'") == 1);
  CHECK(plain.stop() == 0);
}

TEST_CASE(
    "notify-server: pipelined notifications are answered in order on one connection, "
    "smuggling-prone framing is refused",
    "[integration][notify-server][t9]") {
  TestDatabase tdb;
  SimProcess sim;
  NotifyServerOptions options;
  // Unverified bodies are then answered at once, without the store, while a genuine one before
  // them still waits for its commit: the order of the answers is the server's doing.
  options.max_bad_per_minute = 0;
  NotifyServerProcess server(sim, tdb.iniDbSection(), options);
  server.migrate();
  server.start();
  auto s = tdb.session();
  for (const char* no : {"PIPE0001", "PIPE0002", "PIPE0003"}) {
    createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", no, 500, server.notifyUrl());
    sim.controlJson("POST", std::string("/sim/orders/") + no + "/pay", R"({"notify":"lose"})");
  }
  auto post = [](const std::string& body, const std::string& extra = "") {
    return "POST /wxpay/notify HTTP/1.1\r\nHost: x\r\n" + extra +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  auto count = [](const std::string& haystack, const std::string& needle) {
    int n = 0;
    for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) {
      ++n;
    }
    return n;
  };

  SECTION("three requests in one write: three answers, in order, each stored once") {
    // A forged body between two genuine ones: its FAIL must come second.
    const std::string forged = server.body("PIPE0003", {{"nonce_str", "FORGED"}}, "wrongkey");
    const std::string answer =
        rawExchange(server.base(),
                    post(server.body("PIPE0001")) + post(forged) +
                        post(server.body("PIPE0002"), "Connection: close\r\n"),
                    5000);
    CHECK(count(answer, "HTTP/1.1 200 OK\r\n") == 3);
    const auto first = answer.find(notifyAckSuccess());
    const auto fail = answer.find("<return_code><![CDATA[FAIL]]>");
    const auto last = answer.rfind(notifyAckSuccess());
    REQUIRE(first != std::string::npos);
    REQUIRE(fail != std::string::npos);
    CHECK(first < fail);
    CHECK(fail < last);
    CHECK(answer.find("Connection: close") > fail);  // only the last answer closes
    CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE verdict = 'ACCEPTED'") ==
          2);
    CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE verdict <> "
                        "'ACCEPTED'") == 0);  // over max_bad_per_minute: counted, not stored
  }
  SECTION("Expect: 100-continue gets 100 Continue, then the answer") {
    const std::string body = server.body("PIPE0001");
    Poco::URI uri(server.base());
    Poco::Net::StreamSocket sock(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
    sock.setReceiveTimeout(Poco::Timespan(5, 0));
    const std::string head = "POST /wxpay/notify HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                             "Connection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n";
    sock.sendBytes(head.data(), static_cast<int>(head.size()));
    char buf[256];
    const int n = sock.receiveBytes(buf, sizeof buf);
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<std::size_t>(n)) == "HTTP/1.1 100 Continue\r\n\r\n");
    sock.sendBytes(body.data(), static_cast<int>(body.size()));
    std::string answer;
    try {
      for (int k; (k = sock.receiveBytes(buf, sizeof buf)) > 0;) {
        answer.append(buf, static_cast<std::size_t>(k));
      }
    } catch (const Poco::Exception&) {
    }
    CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(answer.find(notifyAckSuccess()) != std::string::npos);
  }
  SECTION("Transfer-Encoding with Content-Length, a blank before a colon: 400, nothing stored") {
    const std::string body = server.body("PIPE0001");
    for (const std::string& extra :
         {std::string("Transfer-Encoding: chunked\r\n"), std::string("Content-Length : 1\r\n"),
          std::string("Transfer-Encoding: gzip, chunked\r\n")}) {
      INFO(extra);
      const std::string answer = rawExchange(server.base(), post(body, extra), 5000);
      CHECK(answer.rfind("HTTP/1.1 400 ", 0) == 0);
      CHECK(answer.find("Connection: close") != std::string::npos);
    }
    CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification") == 0);
  }
  CHECK(server.stop() == 0);
}
