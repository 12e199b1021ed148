// RELIABILITY.md T3: the database fails under a running sweep. (1) MariaDB itself is killed
// (SIGKILL: InnoDB crash recovery) and restarted mid-run, three times (WXRECON_CHAOS_DB_RESTARTS),
// on a private server; (2) a side session kills the sweep's connections at random statements —
// preferring any caught in COMMIT — 30 times (WXRECON_CHAOS_CONN_KILLS). The sweep never dies of it (exit 0 or 1), the invariant checker finds
// nothing after each fault, and the work converges within two runs once the faults stop.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "chaos/chaos_util.h"
#include "support/invariant_checker.h"
#include "support/private_mariadb.h"
#include "support/sweep_env.h"

using wx::test::InvariantChecker;
using wx::test::launchBackground;
using wx::test::localStates;
using wx::test::SweepEnv;
using wx::test::SweepEnvOptions;
using wx::test::waitExit;
using namespace Poco::Data::Keywords;

namespace {

void requireCleanExit(int status) {
  INFO("wait status " << status);
  REQUIRE_FALSE(WIFSIGNALED(status));
  REQUIRE(WIFEXITED(status));
  REQUIRE((WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1 || WEXITSTATUS(status) == 3));
}

void requireNoViolation(SweepEnv& env, const std::string& when, wx::test::ChaosTally& tally) {
  const auto v = InvariantChecker(env.db().session()).withSim(env.sim().url()).check();
  tally.violations += v.size();
  INFO(when << "\n" << InvariantChecker::join(v));
  REQUIRE(v.empty());
}

// Leases of interrupted runs expire, then at most two sweeps with every unfinished order due.
void converge(SweepEnv& env, const SweepEnvOptions& o,
              const std::map<std::string, std::string>& expected, wx::test::ChaosTally& tally) {
  tally.start();
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":0,"latency_jitter_ms":0})");
  std::this_thread::sleep_for(std::chrono::seconds(o.lease_s + 1));
  for (int run = 0; run < 2 && localStates(env) != expected; ++run) {
    env.makeAllDue();
    const auto r = env.sweep();
    INFO(r.out << r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 3));
  }
  tally.done();
  requireNoViolation(env, "after converging", tally);
  CHECK(localStates(env) == expected);
}

}  // namespace

TEST_CASE("T3 MariaDB killed and restarted mid-sweep (3 times): no violation, converges",
          "[chaos][t3]") {
  wx::test::ChaosTally tally;
  wx::test::RestartableMariaDb mdb;
  wx::test::ScopedDbEnv scoped(mdb);
  SweepEnvOptions o;
  o.max_in_flight = 4;
  SweepEnv env(o);
  const auto expected = wx::test::plantMixedOrders(env, "DK", 150);
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":60,"latency_jitter_ms":20})");
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> delay_ms(300, 1200);
  const int restarts = wx::test::testSize("WXRECON_CHAOS_DB_RESTARTS", 3);
  for (int k = 0; k < restarts; ++k) {
    env.makeAllDue();
    const pid_t pid = launchBackground({"sweep", "--config", env.iniPath()}, env.env());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    mdb.kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    mdb.start();
    requireCleanExit(waitExit(pid));
    ++tally.runs;
    requireNoViolation(env, "after MariaDB crash " + std::to_string(k), tally);
  }
  converge(env, o, expected, tally);
}

TEST_CASE("T3 connections killed at random statements, COMMIT included (30 kills): no "
          "violation, converges",
          "[chaos][t3]") {
  wx::test::ChaosTally tally;
  const int target = wx::test::testSize("WXRECON_CHAOS_CONN_KILLS", 30);
  SweepEnvOptions o;
  SweepEnv env(o);
  const auto expected = wx::test::plantMixedOrders(env, "CK", 150);
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":20,"latency_jitter_ms":10})");
  auto side = env.db().session();
  const std::string db = env.db().name();
  std::mt19937 rng(30);
  int kills = 0, in_commit = 0, sweeps = 0;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(90) * std::max(1, target / 30);
  while (kills < target && std::chrono::steady_clock::now() < deadline) {
    env.makeAllDue();
    const pid_t pid = launchBackground({"sweep", "--config", env.iniPath()}, env.env());
    ++sweeps;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0 && kills < target) {
      // `info` (the statement) is LONGTEXT: compared in SQL, never fetched (Poco would size a
      // buffer for its maximum length).
      std::vector<Poco::Int64> ids;
      std::vector<int> committing;
      side << "SELECT id, COALESCE(UPPER(info) LIKE 'COMMIT%', 0) "
              "FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
          useRef(db), into(ids), into(committing), now;
      if (!ids.empty()) {
        std::size_t pick = std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(rng);
        for (std::size_t i = 0; i < committing.size(); ++i) {
          if (committing[i] != 0) pick = i;
        }
        try {
          side << "KILL CONNECTION " + std::to_string(ids[pick]), now;
          ++kills;
          if (committing[pick] != 0) ++in_commit;
        } catch (const Poco::Exception&) {
          // gone already
        }
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(10, 60)(rng)));
    }
    if (::waitpid(pid, &status, WNOHANG) == 0) status = waitExit(pid);
    requireCleanExit(status);
    requireNoViolation(env, "after " + std::to_string(kills) + " connection kills", tally);
  }
  tally.runs = kills;
  INFO(kills << " kills (" << in_commit << " in COMMIT) over " << sweeps << " sweeps");
  CHECK(kills >= target);
  converge(env, o, expected, tally);
}
