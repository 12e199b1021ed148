// RELIABILITY.md T2: `kill -9` at random times (WXRECON_CHAOS_KILLS each, CI 10; the bill's
// are in bill_crash_test.cpp). The sweep is killed mid-run again and again
// (every unfinished order due, the simulator slowed down so calls are in flight); the
// notify-server is killed while clients post genuine notifications and restarted. After every
// kill the invariant checker finds nothing; every notification the server acknowledged is
// stored; and the work converges once the killing stops.
#include <signal.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "chaos/chaos_util.h"
#include "common/hash.h"
#include "integration/notify_fixture.h"
#include "support/invariant_checker.h"
#include "support/sweep_env.h"

using wx::test::InvariantChecker;
using wx::test::killNow;
using wx::test::launchBackground;
using wx::test::SweepEnv;
using wx::test::SweepEnvOptions;

TEST_CASE("T2 sweep killed at random times: no violation after any kill, converges",
          "[chaos][t2]") {
  wx::test::ChaosTally tally;
  SweepEnvOptions o;
  SweepEnv env(o);
  const auto expected = wx::test::plantMixedOrders(env, "RK", 120);
  // Calls take 20-60 ms, so every kill lands with calls in flight.
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":40,"latency_jitter_ms":20})");

  std::mt19937 rng(20261128);
  std::uniform_int_distribution<int> delay_ms(30, 600);
  int hit_running = 0;
  const int kKills = wx::test::testSize("WXRECON_CHAOS_KILLS", 10);
  for (int k = 0; k < kKills; ++k) {
    env.makeAllDue();
    const pid_t pid = launchBackground({"sweep", "--config", env.iniPath()}, env.env());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    if (killNow(pid)) ++hit_running;
    ++tally.runs;
    const auto v = InvariantChecker(env.db().session()).withSim(env.sim().url()).check();
    tally.violations += v.size();
    INFO("after kill " << k << "\n" << InvariantChecker::join(v));
    REQUIRE(v.empty());
    if (k % 3 == 2) std::this_thread::sleep_for(std::chrono::seconds(o.lease_s + 1));
  }
  INFO(hit_running << " of " << kKills << " kills hit a running sweep");
  CHECK(hit_running >= kKills / 2);

  tally.start();
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":0,"latency_jitter_ms":0})");
  std::this_thread::sleep_for(std::chrono::seconds(o.lease_s + 1));
  for (int run = 0; run < 2 && wx::test::localStates(env) != expected; ++run) {
    env.makeAllDue();
    const auto r = env.sweep();
    INFO(r.out << r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 3));
  }
  tally.done();
  const auto v = InvariantChecker(env.db().session()).withSim(env.sim().url()).check();
  tally.violations += v.size();
  INFO(InvariantChecker::join(v));
  CHECK(v.empty());
  CHECK(wx::test::localStates(env) == expected);
}

TEST_CASE_METHOD(wx::test::UnstartedNotifyServerEnv,
                 "T2 notify-server killed at random times: every acknowledged notification is "
                 "stored, every one is stored once resent",
                 "[chaos][t2]") {
  wx::test::ChaosTally tally;
  const auto& shop = sim.merchant(0);
  const std::string app = appid(0);
  std::vector<std::string> bodies;
  for (int i = 0; i < 80; ++i) {
    const std::string no = "NK" + std::to_string(1000 + i);
    wx::test::createOrder(sim, s, shop.mch_id, app, no, 100 + i, "http://127.0.0.1:9/x");
    sim.controlJson("POST", "/sim/orders/" + no + "/pay",
                    R"({"mch_id":")" + shop.mch_id + R"(","notify":"lose"})");
    bodies.push_back(server.body(no));
  }
  server.start();

  // Four clients post every body again and again, like WeChat resending, until each has been
  // acknowledged once; the acknowledged hashes are recorded.
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> done{false};
  std::string base;
  {
    std::lock_guard<std::mutex> lock(mu);
    base = server.base();
  }
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      while (!done) {
        for (std::size_t i = static_cast<std::size_t>(c); i < bodies.size(); i += 4) {
          const std::string sha = wx::sha256Hex(bodies[i]);
          {
            std::lock_guard<std::mutex> lock(mu);
            if (acked.count(sha)) continue;
          }
          std::string url;
          {
            std::lock_guard<std::mutex> lock(mu);
            url = base;
          }
          try {
            auto r = wx::test::httpExchange(url, "POST", "/wxpay/notify", bodies[i], 2000);
            if (r.status == 200 && r.body == wx::test::notifyAckSuccess()) {
              std::lock_guard<std::mutex> lock(mu);
              acked.insert(sha);
            }
          } catch (const std::exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // server down
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }

  std::mt19937 rng(11);
  std::uniform_int_distribution<int> delay_ms(20, 300);
  const int kKills = wx::test::testSize("WXRECON_CHAOS_KILLS", 10);
  for (int k = 0; k < kKills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ::kill(server.pid(), SIGKILL);
    server.stop();  // reaps it
    ++tally.runs;
    std::set<std::string> acked_now;
    {
      std::lock_guard<std::mutex> lock(mu);
      acked_now = acked;
    }
    std::vector<std::string> stored;
    s << "SELECT body_sha256 FROM payment_notification", Poco::Data::Keywords::into(stored),
        Poco::Data::Keywords::now;
    const std::set<std::string> stored_set(stored.begin(), stored.end());
    for (const auto& sha : acked_now) {
      INFO("after kill " << k << ": acknowledged body " << sha);
      if (stored_set.count(sha) != 1) ++tally.violations;
      REQUIRE(stored_set.count(sha) == 1);
    }
    server.start();
    std::lock_guard<std::mutex> lock(mu);
    base = server.base();
  }
  tally.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (acked.size() == bodies.size()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  tally.done();
  done = true;
  for (auto& t : clients) t.join();
  CHECK(acked.size() == bodies.size());
  CHECK(wx::test::queryCount(s,
                             "SELECT COUNT(*) FROM payment_notification "
                             "WHERE verdict = 'ACCEPTED'") ==
        static_cast<long long>(bodies.size()));
  const auto v = InvariantChecker(db.session()).withSim(sim.url()).check();
  tally.violations += v.size();
  INFO(InvariantChecker::join(v) << server.logText());
  CHECK(v.empty());
}
