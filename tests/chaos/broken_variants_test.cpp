// Issue 8: the invariant checker is proven on real runs of deliberately broken variants of the
// real code (WXRECON_TEST_BREAK, src/common/test_hooks.h; test builds only). Each variant runs
// the real binaries against MariaDB and wxpay-sim, and the checker must name what it broke.
#include <signal.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "chaos/chaos_util.h"
#include "integration/notify_fixture.h"
#include "support/invariant_checker.h"
#include "support/sweep_env.h"

using wx::test::InvariantChecker;
using wx::test::SweepEnv;
using wx::test::SweepEnvOptions;

namespace {

bool anyContains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}

void waitDead(wx::test::NotifyServerProcess& server) {
  for (int i = 0; i < 500 && server.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The sim delivers a genuine notification to a notify-server that dies at the COMMIT storing
// it; returns what the checker finds once the sim has logged the delivery attempt.
std::vector<std::string> deliverToDyingServer(bool ack_before_commit, const std::string& no) {
  wx::test::UnstartedNotifyServerEnv e;
  wx::test::NotifyServerProcess& server = e.server;
  // The server commits at startup too (its recon_run row): count those passages first (once it
  // listens, before it stops: stopping commits again).
  wx::test::TempDir logdir;
  const std::string log = logdir.path() + "/points";
  server.start({{"WXRECON_CRASH_POINT_LOG", log}});
  int at_startup = 0;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) at_startup += line == "db.before_commit";
  ::kill(server.pid(), SIGKILL);  // (a graceful stop takes seconds and counts nothing here)
  server.stop();
  REQUIRE(at_startup >= 1);
  std::map<std::string, std::string> vars{
      {"WXRECON_CRASH_POINT", "db.before_commit:" + std::to_string(at_startup + 1)}};
  if (ack_before_commit) vars["WXRECON_TEST_BREAK"] = "ack_before_commit";
  server.start(vars);
  const auto& shop = e.sim.merchant(0);
  wx::test::createOrder(e.sim, e.s, shop.mch_id, e.appid(0), no, 450, server.notifyUrl());
  e.sim.controlJson("POST", "/sim/orders/" + no + "/pay",
                    R"({"mch_id":")" + shop.mch_id + R"(","notify":"deliver"})");
  waitDead(server);
  REQUIRE_FALSE(server.running());  // it reached the crash point: the notification was handled
  server.stop();
  std::vector<std::string> v;
  // The sim logs an attempt once its answer (or the broken connection) is read.
  for (int i = 0; i < 100; ++i) {
    auto log = e.sim.controlJson("GET", "/sim/notifications?out_trade_no=" + no)
                   ->getArray("notifications");
    if (log && log->size() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  v = InvariantChecker(e.db.session()).withSim(e.sim.url()).check();
  CHECK(wx::test::queryCount(e.s, "SELECT COUNT(*) FROM payment_notification") == 0);
  return v;
}

}  // namespace

TEST_CASE("broken variant ack_before_commit (+ crash at db.before_commit): the checker finds the "
          "acknowledged notification that was never stored",
          "[chaos][broken]") {
  wx::test::ChaosTally tally;
  // The real code with the same crash: no acknowledgement went out, nothing to find.
  const auto sound = deliverToDyingServer(false, "BVACK01");
  INFO("real code:\n" << InvariantChecker::join(sound));
  CHECK(sound.empty());
  const auto v = deliverToDyingServer(true, "BVACK02");
  tally.runs = 2;
  tally.violations = v.size();
  INFO("broken variant:\n" << InvariantChecker::join(v));
  CHECK(anyContains(v, "BVACK02 (attempt 1"));
  CHECK(anyContains(v, "was acknowledged but is not stored"));
}

TEST_CASE("broken variant no_version_check: a sweep stalled past its lease overwrites, the checker "
          "finds the transitions that do not chain",
          "[chaos][broken]") {
  wx::test::ChaosTally tally;
  // T5's setting (tests/integration/sweep_reliability_test.cpp): worker A is SIGSTOPped with its
  // batch claimed, B takes the orders over once A's lease has expired, then A resumes.
  SweepEnvOptions o;
  o.timeout_ms = 2000;
  o.connect_timeout_ms = 500;
  o.lease_s = 6;
  o.max_in_flight = 2;
  SweepEnv env(o);
  for (int i = 0; i < 6; ++i) {
    env.order(0, "BVFENCE" + std::to_string(i), 100, -3600, 3600);
    env.simPay(0, "BVFENCE" + std::to_string(i));
  }
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":600})");
  auto broken_env = env.env();
  broken_env["WXRECON_TEST_BREAK"] = "no_version_check";
  wx::test::ProcessResult a;
  std::thread ta([&] {
    a = wx::test::runProcess(WXRECON_BIN, {"sweep", "--config", env.iniPath()}, broken_env);
  });
  pid_t pid = 0;
  for (int i = 0; i < 2000 && pid == 0; ++i) {
    std::vector<std::string> owners;
    env.db().session() << "SELECT lease_owner FROM merchant_order WHERE lease_owner IS NOT NULL "
                          "LIMIT 1",
        Poco::Data::Keywords::into(owners), Poco::Data::Keywords::now;
    if (owners.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const std::string& w = owners[0];  // "host:pid:run"
    const auto last = w.rfind(':');
    const auto before = w.rfind(':', last - 1);
    pid = static_cast<pid_t>(std::stol(w.substr(before + 1, last - before - 1)));
    REQUIRE(::kill(pid, SIGSTOP) == 0);
  }
  REQUIRE(pid != 0);
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":0})");
  std::this_thread::sleep_for(std::chrono::milliseconds(o.lease_s * 1000 + 1500));
  const auto b = env.sweep();
  INFO("B: " << b.out << b.err);
  CHECK(b.exit_code == 0);
  ::kill(pid, SIGCONT);
  ta.join();
  INFO("A: " << a.out << a.err);
  const auto v = InvariantChecker(env.db().session()).withSim(env.sim().url()).check();
  tally.runs = 1;
  tally.violations = v.size();
  INFO(InvariantChecker::join(v));
  CHECK(anyContains(v, "transition NOTPAY->SUCCESS but the order was SUCCESS"));
}

TEST_CASE("broken variant close_without_query: the checker finds orders CLOSED locally that "
          "WeChat has paid or open",
          "[chaos][broken]") {
  wx::test::ChaosTally tally;
  SweepEnv env;
  // Expired locally; at WeChat one was paid before it expired there, the other is still open.
  for (const char* no : {"BVCLOSEPAID", "BVCLOSEOPEN"}) {
    env.sim().controlJson("POST", "/sim/orders",
                          R"({"mch_id":")" + env.merchant(0).mch_id + R"(","appid":")" +
                              env.appid(0) + R"(","out_trade_no":")" + no +
                              R"(","total_fee":300,"created_at":")" + SweepEnv::isoIn(-900) +
                              R"(","time_expire":")" + SweepEnv::isoIn(3600) + R"("})");
    env.localOrder(env.merchant(0).mch_id, env.appid(0), no, 300, -900, -300);
  }
  env.simPay(0, "BVCLOSEPAID");
  auto e = env.env();
  e["WXRECON_TEST_BREAK"] = "close_without_query";
  const auto r = wx::test::runProcess(WXRECON_BIN, {"sweep", "--config", env.iniPath()}, e);
  INFO(r.out << r.err);
  CHECK((r.exit_code == 0 || r.exit_code == 3));
  const auto v = InvariantChecker(env.db().session()).withSim(env.sim().url()).check();
  tally.runs = 1;
  tally.violations = v.size();
  INFO(InvariantChecker::join(v));
  CHECK(anyContains(v, "BVCLOSEPAID: CLOSED locally while WeChat says SUCCESS"));
  CHECK(anyContains(v, "BVCLOSEOPEN: CLOSED locally while WeChat says NOTPAY"));
}

TEST_CASE_METHOD(
    wx::test::UnstartedNotifyServerEnv,
    "broken variant md5_when_hmac: the checker finds an MD5-signed notification accepted "
    "for a merchant configured for HMAC-SHA256",
    "[chaos][broken]") {
  wx::test::ChaosTally tally;
  const auto& hmac = sim.merchant(1);
  REQUIRE(hmac.sign_type == "HMAC-SHA256");
  wx::test::createOrder(sim, s, hmac.mch_id, hmac.appids, "BVMD5", 880, "http://127.0.0.1:9/x");
  sim.controlJson("POST", "/sim/orders/BVMD5/pay",
                  R"({"mch_id":")" + hmac.mch_id + R"(","notify":"lose"})");
  // Signed with the merchant's own key, but with MD5: only a downgrade accepts it.
  const std::string md5_body = server.body("BVMD5", {}, "", "MD5");
  auto checker = [&] {
    return InvariantChecker(db.session()).withSim(sim.url()).withMerchants(sim.options().merchants);
  };

  server.start();  // the real code refuses it
  CHECK(server.post(md5_body).body != wx::test::notifyAckSuccess());
  server.stop();
  const auto sound = checker().check();
  INFO("real code:\n" << InvariantChecker::join(sound));
  CHECK(sound.empty());

  server.start({{"WXRECON_TEST_BREAK", "md5_when_hmac"}});
  CHECK(server.post(md5_body).body == wx::test::notifyAckSuccess());
  server.stop();
  const auto v = checker().check();
  tally.runs = 2;
  tally.violations = v.size();
  INFO("broken variant:\n" << InvariantChecker::join(v) << server.logText());
  CHECK(anyContains(v, "10000200/BVMD5 stored as verified but does not verify with its "
                       "merchant's configured algorithm"));
}
