// RELIABILITY.md T1 and T2 for `wxrecon bill`. T1: the bill run SIGKILLs itself at each crash
// point it passes — bill.after_download, bill.before_report, report.before_rename, db.* (its
// claims, applies, findings and day), wechat.* (its downloads and the orderqueries of bill lines
// whose order is unfinished locally) — on the passages the seeds pick; after each crash the
// invariant checker finds nothing (a report's temp file is no half report), and at most two
// further runs give what an uncrashed run gives: the same bill_day, discrepancies and order
// states, complete reports and no temp file left. T2: `kill -9` at random times during bill
// runs over a generated day. Every test case reconciles Beijing days of its own (60-67 days
// ago): GET_LOCK('wxrecon-bill-<mch>-<date>') is server-wide and ctest runs cases in parallel.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "chaos/chaos_util.h"
#include "common/atomic_file.h"
#include "integration/bill_env.h"
#include "support/invariant_checker.h"

using wx::test::BillEnv;
using wx::test::ChaosTally;
using wx::test::InvariantChecker;
using namespace Poco::Data::Keywords;

namespace {

constexpr int kKilled = 256 + 9;  // runProcess's exit code for a child killed by SIGKILL

// Each environment its own archive and reports directories (removed with it).
struct OwnDirs {
  wx::test::TempDir dir;
  std::string root = dir.path() + "/archive";
};

struct ChaosBillEnv : OwnDirs, BillEnv {
  explicit ChaosBillEnv(int days_ago) : BillEnv(days_ago, root) {}
  std::string reportsDir() const { return root + "-reports"; }
  std::vector<std::string> check(bool after_crash) {
    InvariantChecker c(db().session());
    c.withSim(sim().url()).withReportsDir(reportsDir());
    if (after_crash) c.tolerateReportTemps();
    return c.check();
  }
};

// Day D: four orders paid at WeChat and swept (matched); six paid at WeChat, NOTPAY locally (the
// bill claims each and queries it); one paid only at WeChat (BILL_ONLY); one paid on D-1 without
// a notification (NOTIFY_MISSING). (No LOCAL_ONLY: an order SUCCESS locally that WeChat does not
// have is itself what the checker reports.)
void plantDay(ChaosBillEnv& env) {
  const auto d = env.day;
  for (int i = 0; i < 4; ++i) env.paidAtSim("BM" + std::to_string(i), 100 + i, d, 1 + i, 0);
  env.paidAtSim("BPREV", 300, wx::addDays(d, -1), 15, 0);
  const auto swept = env.sweep();
  INFO(swept.out << swept.err);
  REQUIRE(swept.exit_code == 0);
  for (int i = 0; i < 6; ++i) env.paidAtSim("BQ" + std::to_string(i), 200 + i, d, 6 + i, 0);
  env.paidAtSim("BONLY", 120, d, 13, 0, /*local=*/false);
}

// What a bill run leaves that must not depend on crashes: the day's figures, the discrepancies
// and every order's state.
struct Outcome {
  std::string day;
  std::vector<std::string> discrepancies;
  std::map<std::string, std::string> states;
  bool operator==(const Outcome& o) const {
    return day == o.day && discrepancies == o.discrepancies && states == o.states;
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "bill_day " << o.day << "\ndiscrepancies:";
  for (const auto& d : o.discrepancies) os << " " << d;
  os << "\nstates:";
  for (const auto& [no, st] : o.states) os << " " << no << "=" << st;
  return os;
}

Outcome outcomeOf(ChaosBillEnv& env) {
  Outcome o;
  std::vector<std::string> days;
  env.db().session() << "SELECT CONCAT_WS(',', bill_date, local_count, local_amount_fen, "
                        "bill_count, bill_order_amount_fen, bill_settlement_fen, bill_refund_fen, "
                        "bill_fee, bill_net_fen, matched_count, matched_amount_fen, "
                        "unmatched_local_count, unmatched_bill_count, not_managed_count, "
                        "bill_status) FROM bill_day ORDER BY bill_date",
      into(days), now;
  for (const auto& d : days) o.day += d + ";";
  o.discrepancies = env.discrepancies();
  o.states = wx::test::localStates(env);
  return o;
}

bool reportsComplete(ChaosBillEnv& env) {
  const std::string mch_dir = env.reportsDir() + "/" + env.merchant(0).mch_id;
  const std::string day_dir = mch_dir + "/" + wx::formatIsoDate(env.day);
  return wx::fileExists(day_dir + "/reconciliation.csv") &&
         wx::fileExists(day_dir + "/reconciliation.html") && wx::fileExists(mch_dir + "/index.html");
}

// Waits until no lease taken by a killed run is still running (they expire on the DB clock).
void waitForLeases(ChaosBillEnv& env) {
  for (int i = 0; i < 200; ++i) {
    if (env.count("SELECT COUNT(*) FROM merchant_order WHERE lease_until >= NOW(3)") == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("leases did not expire");
}

// The uncrashed outcome (a run, then the run that matches what the first one fixed), and how
// often a clean run passes each crash point.
struct Reference {
  Outcome outcome;
  std::map<std::string, int> passages;
};

Reference reference(int days_ago) {
  ChaosBillEnv env(days_ago);
  plantDay(env);
  wx::test::TempDir logdir;
  const std::string log = logdir.path() + "/points";
  auto first = env.bill({}, {{"WXRECON_CRASH_POINT_LOG", log}});
  INFO(first.out << first.err);
  REQUIRE((first.exit_code == 0 || first.exit_code == 3));
  auto second = env.bill();
  INFO(second.out << second.err);
  REQUIRE(second.exit_code == 0);
  Reference r;
  r.outcome = outcomeOf(env);
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) ++r.passages[line];
  const auto v = env.check(false);
  INFO(InvariantChecker::join(v));
  REQUIRE(v.empty());
  REQUIRE(reportsComplete(env));
  return r;
}

// Seeds 1 and 2 (CI) stop at the middle and the last passage of the point; further seeds
// (--soak) go through every passage in turn.
int hitFor(int seed, int passages) {
  if (seed == 1) return (passages + 1) / 2;
  if (seed == 2) return passages;
  return 1 + (seed - 3) % passages;
}

void billCrashAndConverge(const std::string& point, int days_ago) {
  ChaosTally tally;
  const Reference ref = reference(days_ago);
  const auto passages = ref.passages.find(point);
  INFO("a clean bill run passes: " << [&] {
    std::string s;
    for (const auto& [p, n] : ref.passages) s += p + " x" + std::to_string(n) + " ";
    return s;
  }());
  REQUIRE(passages != ref.passages.end());
  const int seeds = wx::test::testSize("WXRECON_CHAOS_SEEDS", 2);
  for (int seed = 1; seed <= seeds; ++seed) {
    const int hit = hitFor(seed, passages->second);
    INFO("crash point " << point << ":" << hit << " (seed " << seed << ")");
    ChaosBillEnv env(days_ago);
    plantDay(env);
    const auto crashed =
        env.bill({}, {{"WXRECON_CRASH_POINT", point + ":" + std::to_string(hit)}});
    INFO(crashed.out << crashed.err);
    REQUIRE(crashed.exit_code == kKilled);
    ++tally.runs;
    auto v = env.check(true);
    tally.violations += v.size();
    INFO(InvariantChecker::join(v));
    REQUIRE(v.empty());

    tally.start();
    waitForLeases(env);
    int runs = 0;
    while (runs < 2 && !(outcomeOf(env) == ref.outcome && reportsComplete(env))) {
      const auto r = env.bill();
      INFO(r.out << r.err);
      REQUIRE((r.exit_code == 0 || r.exit_code == 3));
      ++runs;
    }
    tally.done();
    v = env.check(false);
    tally.violations += v.size();
    INFO("after " << runs << " further runs\n" << InvariantChecker::join(v));
    CHECK(v.empty());
    CHECK(outcomeOf(env) == ref.outcome);
    CHECK(reportsComplete(env));
  }
}

}  // namespace

TEST_CASE("T1 bill killed at bill.after_download: no violation, converges", "[chaos][t1][bill]") {
  billCrashAndConverge("bill.after_download", 60);
}
TEST_CASE("T1 bill killed at bill.before_report: no violation, converges", "[chaos][t1][bill]") {
  billCrashAndConverge("bill.before_report", 61);
}
TEST_CASE("T1 bill killed at report.before_rename: no half report, converges",
          "[chaos][t1][bill]") {
  billCrashAndConverge("report.before_rename", 62);
}
TEST_CASE("T1 bill killed at db.before_commit: no violation, converges", "[chaos][t1][bill]") {
  billCrashAndConverge("db.before_commit", 63);
}
TEST_CASE("T1 bill killed at db.after_commit: no violation, converges", "[chaos][t1][bill]") {
  billCrashAndConverge("db.after_commit", 64);
}
TEST_CASE("T1 bill killed at wechat.before_call: no violation, converges", "[chaos][t1][bill]") {
  billCrashAndConverge("wechat.before_call", 65);
}
TEST_CASE("T1 bill killed at wechat.after_call: no violation, converges", "[chaos][t1][bill]") {
  billCrashAndConverge("wechat.after_call", 66);
}

namespace {

// The generated day's orders from /sim/orders.csv; every other one is created locally, unpaid
// (the bill queries it), the rest exist only at WeChat (BILL_ONLY). Returns the local ones.
std::vector<std::string> loadHalfLocally(ChaosBillEnv& env, const std::string& csv) {
  std::istringstream lines(csv);
  std::string line, values;
  std::getline(lines, line);  // header
  std::vector<std::string> local;
  for (int i = 0; std::getline(lines, line); ++i) {
    if (line.empty() || i % 2 == 1) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    REQUIRE(f.size() == 11);
    values += std::string(values.empty() ? "" : ",") + "('" + f[0] + "','" + f[1] + "','" + f[2] +
              "'," + f[3] + ",'" + f[9] + "','" + f[10] + "')";
    local.push_back(f[2]);
  }
  env.db().session() << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, "
                        "created_at, expire_at) VALUES " +
                            values,
      now;
  return local;
}

}  // namespace

TEST_CASE("T2 bill killed at random times over a generated day: no violation, no half report, "
          "converges",
          "[chaos][t2][bill]") {
  ChaosTally tally;
  ChaosBillEnv env(67);
  const int rows = 400;
  const std::string mch = env.merchant(0).mch_id, date = wx::formatIsoDate(env.day);
  env.sim().controlJson("POST", "/sim/generate",
                        R"({"mch_id":")" + mch + R"(","date":")" + date + R"(","rows":)" +
                            std::to_string(rows) + R"(,"seed":67})");
  const auto csv = env.sim().control("GET", "/sim/orders.csv?mch_id=" + mch + "&date=" + date);
  REQUIRE(csv.status == 200);
  const auto local = loadHalfLocally(env, csv.body);
  REQUIRE(local.size() == rows / 2);
  // Queries take 5-15 ms: kills land in downloads, queries, upserts and report writes.
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":10,"latency_jitter_ms":5})");

  std::mt19937 rng(67);
  std::uniform_int_distribution<int> delay_ms(20, 1500);
  const int kills = wx::test::testSize("WXRECON_CHAOS_KILLS", 10);
  int hit_running = 0;
  for (int k = 0; k < kills; ++k) {
    const pid_t pid = wx::test::launchBackground(
        {"bill", "--date", date, "--mch", mch, "--config", env.iniPath()}, env.env());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    if (wx::test::killNow(pid)) ++hit_running;
    ++tally.runs;
    const auto v = env.check(true);
    tally.violations += v.size();
    INFO("after kill " << k << "\n" << InvariantChecker::join(v));
    REQUIRE(v.empty());
  }
  INFO(hit_running << " of " << kills << " kills hit a running bill");
  CHECK(hit_running >= kills / 2);

  tally.start();
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":0,"latency_jitter_ms":0})");
  waitForLeases(env);
  auto converged = [&] {
    return env.count("SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'") ==
               rows / 2 &&
           env.count("SELECT COUNT(*) FROM discrepancy WHERE kind = 'BILL_ONLY' AND status = "
                     "'OPEN'") == rows / 2 &&
           env.count("SELECT matched_count FROM bill_day WHERE bill_date = '" + date + "'") ==
               rows / 2 &&
           reportsComplete(env);
  };
  int runs = 0;
  while (runs < 2 && !converged()) {
    const auto r = env.bill();
    INFO(r.out << r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 3));
    ++runs;
  }
  tally.done();
  INFO("after " << runs << " further runs");
  CHECK(converged());
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy WHERE kind <> 'BILL_ONLY'") == 0);
  const auto v = env.check(false);
  tally.violations += v.size();
  INFO(InvariantChecker::join(v));
  CHECK(v.empty());
}
