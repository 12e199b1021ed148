// RELIABILITY.md invariant 9 with the database gone: notify-server answers FAIL (WeChat
// resends), never acknowledges what it did not store, and accepts the resent notification once
// the database is back. Uses its OWN private MariaDB (support/private_mariadb.h), never
// the shared test server.
#include <catch2/catch.hpp>

#include <Poco/Data/MySQL/Connector.h>
#include <cstdlib>

#include "integration/notify_fixture.h"
#include "support/private_mariadb.h"

using namespace wx;
using namespace wx::test;

namespace {

// The test's own server (support/private_mariadb.h) with the notify-server's database on it.
class PrivateMariaDb {
 public:
  PrivateMariaDb() {
    ::setenv("WXT_NOTIFY_PRIVATE_DB_PASSWORD", server_.password().c_str(), 1);
    Poco::Data::MySQL::Connector::registerConnector();
    Poco::Data::Session admin("MySQL", connection("mysql"), 5);
    admin << "CREATE DATABASE wxnotify CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        Poco::Data::Keywords::now;
  }
  void start() { server_.start(); }
  void stop() { server_.stop(); }
  std::string iniDbSection() const {
    return "[db]\nhost = 127.0.0.1\nport = " + std::to_string(server_.port()) +
           "\nuser = root\ndatabase = wxnotify\npassword_env = WXT_NOTIFY_PRIVATE_DB_PASSWORD\n";
  }
  Poco::Data::Session session() const {
    Poco::Data::Session s("MySQL", connection("wxnotify"), 5);
    s << "SET time_zone = '+00:00'", Poco::Data::Keywords::now;
    return s;
  }

 private:
  std::string connection(const std::string& db) const {
    return "host=127.0.0.1;port=" + std::to_string(server_.port()) +
           ";user=root;password=" + server_.password() + ";db=" + db + ";character-set=utf8mb4";
  }
  RestartableMariaDb server_;
};

}  // namespace

TEST_CASE(
    "notify-server: database down -> FAIL answers, nothing acked unstored: back -> the "
    "resent notification is accepted",
    "[integration][notify-server][db-down]") {
  PrivateMariaDb mdb;
  SimProcess sim;
  NotifyServerProcess server(sim, mdb.iniDbSection());
  server.migrate();
  server.start();
  {
    auto s = mdb.session();
    createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "DOWN0001", 100, server.notifyUrl());
    createOrder(sim, s, "10000200", "wxother00000000001", "DOWN0002", 200, server.notifyUrl());
  }
  sim.controlJson("POST", "/sim/orders/DOWN0001/pay", R"({"notify":"deliver"})");
  advanceSim(sim, 0);
  {
    auto s = mdb.session();
    CHECK(waitForCount(s, "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'", 1) == 1);
  }

  mdb.stop();
  sim.controlJson("POST", "/sim/orders/DOWN0002/pay", R"({"notify":"deliver","twice":true})");
  advanceSim(sim, 0);
  auto log =
      sim.controlJson("GET", "/sim/notifications?out_trade_no=DOWN0002")->getArray("notifications");
  REQUIRE(log->size() == 2);
  for (unsigned i = 0; i < log->size(); ++i) {
    CHECK_FALSE(log->getObject(i)->getValue<bool>("ack_valid"));
    CHECK(log->getObject(i)->getValue<int>("http_status") == 503);
  }
  const std::string body = server.body("DOWN0002");
  const auto r = server.post(body);
  CHECK(r.body.find("<return_code><![CDATA[FAIL]]></return_code>") != std::string::npos);
  CHECK(httpExchange(server.admin(), "GET", "/healthz").status == 503);
  CHECK(server.running());

  mdb.start();
  // The next resend (15 s later on WeChat's schedule) is stored and acknowledged.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (httpExchange(server.admin(), "GET", "/healthz").status != 200 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  advanceSim(sim, 15);
  log =
      sim.controlJson("GET", "/sim/notifications?out_trade_no=DOWN0002")->getArray("notifications");
  REQUIRE(log->size() >= 3);
  CHECK(log->getObject(log->size() - 1)->getValue<bool>("ack_valid"));

  auto s = mdb.session();
  // Every acknowledged body is in the table (invariant 9).
  for (const char* no : {"DOWN0001", "DOWN0002"}) {
    auto attempts = sim.controlJson("GET", std::string("/sim/notifications?out_trade_no=") + no)
                        ->getArray("notifications");
    for (unsigned i = 0; i < attempts->size(); ++i) {
      auto a = attempts->getObject(i);
      if (!a->getValue<bool>("ack_valid")) continue;
      CHECK(queryCount(s, "SELECT COUNT(*) FROM payment_notification WHERE body_sha256 = '" +
                              a->getValue<std::string>("body_sha256") +
                              "' AND verdict = 'ACCEPTED'") == 1);
    }
  }
  CHECK(queryCount(s,
                   "SELECT COUNT(*) FROM payment_notification WHERE out_trade_no = "
                   "'DOWN0002'") == 1);
  CHECK(waitForCount(s, "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'", 2) == 2);
  CHECK(queryCount(s, "SELECT COUNT(*) FROM order_transition WHERE source = 'notify'") == 2);
  CHECK(server.stop() == 0);
}
