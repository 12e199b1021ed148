// RELIABILITY.md T1 for the sweep: `wxrecon sweep` SIGKILLs itself at each named crash point
// (src/common/test_hooks.h) on its 1st or 2nd passage (the two CI seeds; WXRECON_CHAOS_SEEDS
// more go through the passages a run is sure to make). After every crash the
// invariant checker finds no violation, and once the leases expire, at most two further runs
// (every unfinished order due) bring every order to the state WeChat's ground truth implies.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <thread>

#include "chaos/chaos_util.h"
#include "integration/notify_fixture.h"
#include "support/invariant_checker.h"
#include "support/sweep_env.h"

using wx::test::InvariantChecker;
using wx::test::SweepEnv;
using wx::test::SweepEnvOptions;

namespace {

constexpr int kKilled = 256 + 9;  // Poco's ProcessHandle::wait() for a child killed by SIGKILL

struct Planted {
  std::size_t merchant;
  std::string out_trade_no;
  std::string expected;  // the local state once converged
};

// 24 orders over both merchants (two claim batches of 20 with max_in_flight 8): paid, paid
// with another amount, refunded, open, and expired unpaid.
std::vector<Planted> plant(SweepEnv& env) {
  std::vector<Planted> out;
  for (int i = 0; i < 24; ++i) {
    const std::size_t m = static_cast<std::size_t>(i % 2);
    const std::string no = "CP" + std::to_string(1000 + i);
    const std::int64_t fee = 100 + i;
    switch (i % 6) {
      case 0:
      case 1:
        env.order(m, no, fee, -600, 3600);
        env.simPay(m, no);
        out.push_back({m, no, "SUCCESS"});
        break;
      case 2:
        env.order(m, no, fee, -600, 3600);
        env.simPay(m, no, fee + 1);
        out.push_back({m, no, "REVIEW"});
        break;
      case 3:
        env.order(m, no, fee, -600, 3600);
        env.simPay(m, no);
        env.simRefund(m, no, fee);
        out.push_back({m, no, "REFUND"});
        break;
      case 4:
        env.order(m, no, fee, -600, 3600);
        out.push_back({m, no, "NOTPAY"});
        break;
      default:
        env.order(m, no, fee, -900, -300);
        out.push_back({m, no, "CLOSED"});
        break;
    }
  }
  return out;
}

void crashAndConverge(const std::string& point, int hit, wx::test::ChaosTally& tally) {
  SweepEnvOptions o;
  o.lease_s = 4;  // the shortest the config allows with 1 s + 0.5 s timeouts
  SweepEnv env(o);
  const auto planted = plant(env);

  auto e = env.env();
  e["WXRECON_CRASH_POINT"] = point + ":" + std::to_string(hit);
  auto args = std::vector<std::string>{"sweep", "--config", env.iniPath()};
  const auto crashed = wx::test::runProcess(WXRECON_BIN, args, e);
  INFO("crash point " << point << ":" << hit << "\n" << crashed.out << crashed.err);
  REQUIRE(crashed.exit_code == kKilled);
  ++tally.runs;

  auto violations = InvariantChecker(env.db().session()).withSim(env.sim().url()).check();
  tally.violations += violations.size();
  INFO(InvariantChecker::join(violations));
  REQUIRE(violations.empty());

  // The dead worker's leases expire; then every unfinished order is due.
  tally.start();
  std::this_thread::sleep_for(std::chrono::seconds(o.lease_s + 1));
  int runs = 0;
  std::map<std::string, std::string> states;
  auto converged = [&] {
    states = wx::test::localStates(env);
    for (const auto& p : planted) {
      if (states[p.out_trade_no] != p.expected) return false;
    }
    return true;
  };
  while (!converged() && runs < 2) {
    env.makeAllDue();
    const auto r = env.sweep();
    INFO(r.out << r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 3));
    ++runs;
    violations = InvariantChecker(env.db().session()).withSim(env.sim().url()).check();
    tally.violations += violations.size();
    INFO(InvariantChecker::join(violations));
    REQUIRE(violations.empty());
  }
  tally.done();
  for (const auto& p : planted) {
    INFO(p.out_trade_no << " after " << runs << " further runs");
    CHECK(states[p.out_trade_no] == p.expected);
  }
}

// Seed s kills at passage s of the point, cycling through the `sure` passages every run of the
// 24 orders makes (two claimed batches and their two applies; a query per order).
void crashSeeds(const std::string& point, int sure) {
  wx::test::ChaosTally tally;
  const int seeds = wx::test::testSize("WXRECON_CHAOS_SEEDS", 2);
  for (int seed = 1; seed <= seeds; ++seed) crashAndConverge(point, 1 + (seed - 1) % sure, tally);
}

}  // namespace

// One test per crash point the sweep passes, each with the seeds (CI: 1st and 2nd passage).
#define WX_SWEEP_CRASH_TEST(point, sure)                                              \
  TEST_CASE("T1 sweep killed at " point ": no violation, converges", "[chaos][t1]") { \
    crashSeeds(point, sure);                                                          \
  }

WX_SWEEP_CRASH_TEST("sweep.after_claim", 2)
WX_SWEEP_CRASH_TEST("wechat.before_call", 24)
WX_SWEEP_CRASH_TEST("wechat.after_call", 24)
WX_SWEEP_CRASH_TEST("db.before_commit", 2)
WX_SWEEP_CRASH_TEST("db.after_commit", 2)

// T1 for notify-server: killed between COMMIT and the acknowledgement of a genuine
// notification. The body is stored although WeChat got no answer; WeChat resends, the restarted
// server acknowledges the copy (the same row: times_received 2), and nothing is lost or doubled.
TEST_CASE_METHOD(
    wx::test::UnstartedNotifyServerEnv,
    "T1 notify-server killed at notify.before_ack: stored, resent copy acknowledged once",
    "[chaos][t1]") {
  wx::test::ChaosTally tally;
  const auto& shop = sim.merchant(0);
  wx::test::createOrder(sim, s, shop.mch_id, appid(0), "NACK1", 321, "http://127.0.0.1:9/x");
  sim.controlJson("POST", "/sim/orders/NACK1/pay",
                  R"({"mch_id":")" + shop.mch_id + R"(","notify":"lose"})");
  const std::string body = server.body("NACK1");
  server.start({{"WXRECON_CRASH_POINT", "notify.before_ack:1"}});
  bool answered = true;
  try {
    (void)server.post(body);
  } catch (const std::exception&) {
    answered = false;  // the connection died with the process: no acknowledgement
  }
  CHECK_FALSE(answered);
  for (int i = 0; i < 100 && server.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK_FALSE(server.running());  // it killed itself
  ++tally.runs;
  server.stop();
  CHECK(wx::test::queryCount(s,
                             "SELECT COUNT(*) FROM payment_notification WHERE "
                             "verdict = 'ACCEPTED' AND times_received = 1") == 1);
  server.start();
  const auto again = server.post(body);
  CHECK(again.body == wx::test::notifyAckSuccess());
  CHECK(wx::test::queryCount(s, "SELECT COUNT(*) FROM payment_notification") == 1);
  CHECK(wx::test::queryCount(s, "SELECT times_received FROM payment_notification") == 2);
  const auto v = InvariantChecker(db.session()).withSim(sim.url()).check();
  tally.violations = v.size();
  INFO(InvariantChecker::join(v) << server.logText());
  CHECK(v.empty());
}
