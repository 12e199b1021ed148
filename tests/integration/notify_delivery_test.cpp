// notify-server end to end: wxpay-sim sends real notifications (MD5 and HMAC-SHA256) to the real
// `wxrecon notify-server`; they are acknowledged byte-exactly, stored once, and confirmed by an
// orderquery (order SUCCESS, order_transition.source = notify). RELIABILITY.md T7: 50 parallel
// copies of each notification for 200 orders.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "integration/notify_fixture.h"
#include "support/test_size.h"

using namespace wx;
using namespace wx::test;
using namespace Poco::Data::Keywords;

TEST_CASE_METHOD(
    NotifyServerEnv,
    "notify-server: simulator notifications (MD5 and HMAC) are acked, stored once, confirmed",
    "[integration][notify-server]") {
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "NSMD5001", 888, server.notifyUrl());
  createOrder(sim, s, "10000200", "wxother00000000001", "NSHMAC01", 1999, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/NSMD5001/pay", R"({"notify":"deliver"})");
  sim.controlJson("POST", "/sim/orders/NSHMAC01/pay", R"({"notify":"deliver","twice":true})");
  advanceSim(sim, 0);

  for (const char* no : {"NSMD5001", "NSHMAC01"}) {
    INFO(no);
    auto log = sim.controlJson("GET", std::string("/sim/notifications?out_trade_no=") + no)
                   ->getArray("notifications");
    REQUIRE(log->size() >= 1);
    for (std::size_t i = 0; i < log->size(); ++i) {
      CHECK(log->getObject(static_cast<unsigned>(i))->getValue<bool>("ack_valid"));
    }
    CHECK(queryCount(s, std::string("SELECT COUNT(*) FROM payment_notification WHERE "
                                    "out_trade_no = '") +
                            no + "'") == 1);
    CHECK(queryCount(s, std::string("SELECT COUNT(*) FROM payment_notification WHERE "
                                    "out_trade_no = '") +
                            no +
                            "' AND verdict = 'ACCEPTED' AND "
                            "sign_ok = 1 AND times_received = " +
                            std::to_string(log->size())) == 1);
  }
  // Confirmed by the orderquery the notification triggered.
  CHECK(waitForCount(s,
                     "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS' AND "
                     "transaction_id IS NOT NULL AND paid_at IS NOT NULL",
                     2) == 2);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM order_transition WHERE source = 'notify' AND "
                   "from_state = 'NOTPAY' AND to_state = 'SUCCESS'") == 2);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM order_transition") == 2);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM discrepancy") == 0);

  // The answer itself, byte for byte, for a replay of a stored body.
  const std::string raw =
      queryBlob(s, "SELECT raw_body FROM payment_notification WHERE out_trade_no = 'NSMD5001'");
  auto r = server.post(raw);
  CHECK(r.status == 200);
  CHECK(r.body == notifyAckSuccess());
  CHECK(queryCount(s,
                   "SELECT times_received FROM payment_notification WHERE "
                   "out_trade_no = 'NSMD5001'") == 2);

  // Admin endpoints live only on admin_listen.
  CHECK(httpExchange(server.admin(), "GET", "/healthz").status == 200);
  auto metrics = httpExchange(server.admin(), "GET", "/metrics");
  CHECK(metrics.body.find("wxrecon_notify_received_total{verdict=\"ACCEPTED\"}") !=
        std::string::npos);
  CHECK(httpExchange(server.base(), "GET", "/healthz").status == 404);
  CHECK(httpExchange(server.base(), "GET", "/wxpay/notify").status == 405);
  CHECK(server.post(raw, "/other").status == 404);

  // SIGHUP does not kill it; SIGTERM stops it cleanly and closes its recon_run row.
  ::kill(server.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(server.running());
  CHECK(server.post(raw).body == notifyAckSuccess());
  CHECK(server.stop() == 0);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM recon_run WHERE kind = 'notify' AND status = 'OK' "
                   "AND finished_at IS NOT NULL") == 1);
}

TEST_CASE_METHOD(NotifyServerEnv,
                 "notify-server: T7 — 50 parallel copies of each notification for 200 orders",
                 "[integration][notify-server][t7]") {
  const int kOrders = testSize("WXRECON_T7_ORDERS", 200);  // tests/chaos/run.sh --soak: 2,000
  constexpr int kCopies = 50;

  std::vector<std::string> bodies;
  for (int i = 0; i < kOrders; ++i) {
    const bool md5 = i % 2 == 0;
    const std::string no = "T7ORD" + std::to_string(1000 + i);
    createOrder(sim, s, md5 ? "10000100" : "10000200",
                md5 ? "wx2421b1c4370ec43b" : "wxother00000000001", no, 100 + i, server.notifyUrl());
    // The simulator records the payment; the copies are posted by this test (WeChat's several
    // senders), all at once.
    sim.controlJson("POST", "/sim/orders/" + no + "/pay", R"({"notify":"lose"})");
    bodies.push_back(server.body(no));
  }

  std::atomic<int> acked{0}, not_acked{0};
  std::vector<std::thread> senders;
  const auto started = std::chrono::steady_clock::now();
  std::atomic<long long> slowest_ms{0};
  for (int c = 0; c < kCopies; ++c) {
    senders.emplace_back([&, c] {
      Poco::URI uri(server.base());
      Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
      session.setTimeout(Poco::Timespan(10, 0));
      for (int k = 0; k < kOrders; ++k) {
        const std::string& body = bodies[static_cast<std::size_t>((k + c) % kOrders)];
        try {
          const auto t0 = std::chrono::steady_clock::now();
          Poco::Net::HTTPRequest req("POST", "/wxpay/notify", Poco::Net::HTTPMessage::HTTP_1_1);
          req.setContentLength(static_cast<std::streamsize>(body.size()));
          req.setKeepAlive(true);
          session.sendRequest(req) << body;
          Poco::Net::HTTPResponse resp;
          std::istream& in = session.receiveResponse(resp);
          std::string answer((std::istreambuf_iterator<char>(in)), {});
          const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - t0)
                                   .count();
          long long prev = slowest_ms.load();
          while (ms > prev && !slowest_ms.compare_exchange_weak(prev, ms)) {
          }
          if (resp.getStatus() == 200 && answer == notifyAckSuccess()) {
            ++acked;
          } else {
            ++not_acked;
          }
        } catch (const Poco::Exception&) {
          ++not_acked;
          session.reset();
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  WARN("T7: " << kOrders * kCopies << " posts in " << seconds << " s, slowest ack "
              << slowest_ms.load() << " ms");
  CHECK(acked == kOrders * kCopies);
  CHECK(not_acked == 0);
  CHECK(slowest_ms.load() < 5000);

  // One row per order, counting every copy; all ACCEPTED.
  CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification") == kOrders);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM payment_notification WHERE verdict = 'ACCEPTED' "
                   "AND times_received = " +
                       std::to_string(kCopies)) == kOrders);
  // Exactly one transition per order, from the confirmation.
  CHECK(waitForCount(s, "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'", kOrders,
                     std::chrono::seconds(60)) == kOrders);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM order_transition") == kOrders);
  CHECK(queryCount(s,
                   "SELECT COUNT(DISTINCT order_id) FROM order_transition WHERE "
                   "source = 'notify' AND to_state = 'SUCCESS'") == kOrders);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM discrepancy") == 0);

  // Replays after confirmation: acknowledged, counted, no transition.
  for (int i = 0; i < 5; ++i) CHECK(server.post(bodies[0]).body == notifyAckSuccess());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(queryCount(s, "SELECT COUNT(*) FROM order_transition") == kOrders);
  CHECK(queryCount(s, "SELECT MAX(times_received) FROM payment_notification") == kCopies + 5);
  CHECK(server.stop() == 0);
}

TEST_CASE_METHOD(
    NotifyServerEnv,
    "notify-server: DUPLICATE, UNKNOWN_ORDER and AMOUNT_MISMATCH are recorded and acked",
    "[integration][notify-server]") {
  // DUPLICATE: the same payment in other bytes (another nonce) after an ACCEPTED one.
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "VERD0001", 100, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/VERD0001/pay", R"({"notify":"lose"})");
  CHECK(server.post(server.body("VERD0001")).body == notifyAckSuccess());
  CHECK(server.post(server.body("VERD0001", {{"nonce_str", "OTHERNONCE"}})).body ==
        notifyAckSuccess());
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM payment_notification WHERE out_trade_no = "
                   "'VERD0001' AND verdict = 'ACCEPTED'") == 1);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM payment_notification WHERE out_trade_no = "
                   "'VERD0001' AND verdict = 'DUPLICATE'") == 1);

  // UNKNOWN_ORDER: paid at WeChat, not in merchant_order.
  sim.controlJson("POST", "/sim/orders",
                  R"({"mch_id":"10000100","appid":"wx2421b1c4370ec43b","out_trade_no":"VERD0002",)"
                  R"("total_fee":200})");
  sim.controlJson("POST", "/sim/orders/VERD0002/pay", R"({"notify":"lose"})");
  const std::string unknown = server.body("VERD0002");
  CHECK(server.post(unknown).body == notifyAckSuccess());
  CHECK(server.post(unknown).body == notifyAckSuccess());
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM payment_notification WHERE out_trade_no = "
                   "'VERD0002' AND verdict = 'UNKNOWN_ORDER' AND times_received = 2") == 1);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM discrepancy WHERE kind = 'NOTIFY_UNKNOWN_ORDER' AND "
                   "out_trade_no = 'VERD0002' AND severity = 'MEDIUM'") == 1);

  // AMOUNT_MISMATCH: paid 299 for a 300 order; recorded, raised, and the query moves the order
  // to REVIEW (WeChat's total_fee differs too), never SUCCESS.
  createOrder(sim, s, "10000200", "wxother00000000001", "VERD0003", 300, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/VERD0003/pay", R"({"notify":"lose","paid_fee":299})");
  CHECK(server.post(server.body("VERD0003")).body == notifyAckSuccess());
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM payment_notification WHERE out_trade_no = "
                   "'VERD0003' AND verdict = 'AMOUNT_MISMATCH'") == 1);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM discrepancy WHERE kind = 'AMOUNT_MISMATCH' AND "
                   "out_trade_no = 'VERD0003' AND severity = 'HIGH'") == 1);
  CHECK(waitForCount(s,
                     "SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'VERD0003' "
                     "AND state = 'REVIEW'",
                     1) == 1);
  CHECK(waitForCount(s,
                     "SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'VERD0001' "
                     "AND state = 'SUCCESS'",
                     1) == 1);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS' AND "
                   "out_trade_no = 'VERD0003'") == 0);
  CHECK(server.stop() == 0);
}

TEST_CASE_METHOD(
    NotifyServerEnv,
    "notify-server: a leased order is skipped by the confirmation and left to the sweep",
    "[integration][notify-server]") {
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "LEASE001", 100, server.notifyUrl());
  s << "UPDATE merchant_order SET lease_owner = 'sweep-elsewhere', lease_until = NOW(3) + "
       "INTERVAL 1 HOUR, lease_generation = 7",
      Poco::Data::Keywords::now;
  sim.controlJson("POST", "/sim/orders/LEASE001/pay", R"({"notify":"deliver"})");
  advanceSim(sim, 0);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE verdict = 'ACCEPTED'") == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM merchant_order WHERE state = 'NOTPAY' AND "
                   "lease_owner = 'sweep-elsewhere' AND lease_generation = 7") == 1);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM order_transition") == 0);
  CHECK(server.stop() == 0);
}

TEST_CASE(
    "notify-server: with notification_is_evidence a verified notification proves payment "
    "without a query: a mismatching one goes to REVIEW",
    "[integration][notify-server]") {
  NotifyServerOptions options;
  options.notification_is_evidence = true;
  NotifyServerEnv e(options);
  SimProcess& sim = e.sim;
  NotifyServerProcess& server = e.server;
  Poco::Data::Session& s = e.s;
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "EVID0001", 100, server.notifyUrl());
  createOrder(sim, s, "10000200", "wxother00000000001", "EVID0002", 200, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/EVID0001/pay", R"({"notify":"deliver"})");
  sim.controlJson("POST", "/sim/orders/EVID0002/pay", R"({"notify":"deliver","paid_fee":150})");
  advanceSim(sim, 0);
  CHECK(waitForCount(s,
                     "SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'EVID0001' AND "
                     "state = 'SUCCESS' AND transaction_id IS NOT NULL",
                     1) == 1);
  CHECK(waitForCount(s,
                     "SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'EVID0002' AND "
                     "state = 'REVIEW'",
                     1) == 1);
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM order_transition WHERE source = 'notify' AND "
                   "evidence LIKE 'notification body_sha256=%'") == 2);
  // No orderquery was needed.
  CHECK(sim.control("GET", "/sim/stats").body.find("\"orderquery\"") == std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE_METHOD(
    NotifyServerEnv,
    "notify-server: SIGTERM finishes confirmations in flight and hands queued ones to the "
    "sweep (due now)",
    "[integration][notify-server]") {
  constexpr int kOrders = 12;
  std::vector<std::string> bodies;
  for (int i = 0; i < kOrders; ++i) {
    const std::string no = "STOP" + std::to_string(1000 + i);
    createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", no, 100, server.notifyUrl());
    sim.controlJson("POST", "/sim/orders/" + no + "/pay", R"({"notify":"lose"})");
    bodies.push_back(server.body(no));
  }
  // Scheduled far ahead, so "due now" can only come from the hand-over.
  s << "UPDATE merchant_order SET next_check_at = NOW(3) + INTERVAL 1 HOUR",
      Poco::Data::Keywords::now;
  // Every orderquery takes 2 s: the 4 confirmation workers are busy, the rest wait in the queue.
  sim.controlJson("POST", "/sim/faults", R"({"latency_mean_ms":2000,"endpoints":["orderquery"]})");
  for (const auto& b : bodies) CHECK(server.post(b).body == notifyAckSuccess());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(server.stop() == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));

  const long long paid = queryCount(
      s, "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS' AND lease_owner IS NULL");
  const long long handed = queryCount(
      s,
      "SELECT COUNT(*) FROM merchant_order WHERE state = 'NOTPAY' AND next_check_at IS NULL "
      "AND lease_owner IS NULL");
  CHECK(paid >= 1);    // the ones in flight were finished, not abandoned
  CHECK(handed >= 1);  // the queued ones are due now for the next sweep
  CHECK(paid + handed == kOrders);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM order_transition WHERE source = 'notify'") == paid);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM recon_run WHERE kind = 'notify' AND status = 'OK'") ==
        1);
}

TEST_CASE_METHOD(
    NotifyServerEnv,
    "notify-server: a byte-identical repeat re-queues confirmation of an unfinished order",
    "[integration][notify-server]") {
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "NSREQ001", 500, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/NSREQ001/pay", R"({"notify":"lose"})");
  // Leased by another worker while the first copy arrives: its confirmation is skipped.
  s << "UPDATE merchant_order SET lease_owner = 'other-sweep', lease_until = NOW(3) + INTERVAL 1 "
       "SECOND WHERE out_trade_no = 'NSREQ001'",
      now;
  const std::string body = server.body("NSREQ001");
  CHECK(server.post(body).body == notifyAckSuccess());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(queryCount(s, "SELECT COUNT(*) FROM merchant_order WHERE state = 'NOTPAY' AND "
                      "out_trade_no = 'NSREQ001'") == 1);
  // The lease has expired: the next copy (same bytes, counted into the same row) confirms it.
  CHECK(server.post(body).body == notifyAckSuccess());
  CHECK(waitForCount(s,
                     "SELECT COUNT(*) FROM order_transition WHERE source = 'notify' AND "
                     "to_state = 'SUCCESS'",
                     1) == 1);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE times_received = 2") == 1);
}

TEST_CASE("notify-server: [notify] confirm = false stores and acknowledges without querying",
          "[integration][notify-server]") {
  NotifyServerOptions options;
  options.confirm = false;
  NotifyServerEnv e(options);
  SimProcess& sim = e.sim;
  NotifyServerProcess& server = e.server;
  Poco::Data::Session& s = e.s;
  createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "NSOFF001", 500, server.notifyUrl());
  sim.controlJson("POST", "/sim/orders/NSOFF001/pay", R"({"notify":"deliver"})");
  advanceSim(sim, 0);
  auto log = sim.controlJson("GET", "/sim/notifications?out_trade_no=NSOFF001")
                 ->getArray("notifications");
  REQUIRE(log->size() >= 1);
  CHECK(log->getObject(0)->getValue<bool>("ack_valid"));
  CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE verdict = 'ACCEPTED'") ==
        1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  // No orderquery was made: the order waits for the sweep.
  auto requests = sim.controlJson("GET", "/sim/requests")->getArray("requests");
  CHECK(requests->size() == 0);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM merchant_order WHERE state = 'NOTPAY'") == 1);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM order_transition") == 0);
}
