// The process-level contract of `wxrecon sweep` and `wxrecon daemon` (DESIGN.md §1): exit 1
// when WeChat is unreachable for every call; SIGTERM stops claiming, finishes in-flight orders
// and releases the rest; a second signal exits at once; the daemon sweeps on its interval,
// survives SIGHUP and stops cleanly on SIGTERM.
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <signal.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>

#include "support/sweep_env.h"

using Catch::Contains;
using wx::test::SweepEnv;
using wx::test::SweepEnvOptions;

namespace {

// `wxrecon ARGS --config INI` in the background, its output collected.
class Background {
 public:
  Background(const SweepEnv& env, std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back(env.iniPath());
    auto e = env.env();
    Poco::Process::Env penv(e.begin(), e.end());
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch(WXRECON_BIN, args, ".", nullptr, &out_, &err_, penv));
    out_reader_ = std::thread([this] {
      Poco::PipeInputStream in(out_);
      Poco::StreamCopier::copyToString(in, out);
    });
    err_reader_ = std::thread([this] {
      Poco::PipeInputStream in(err_);
      Poco::StreamCopier::copyToString(in, err);
    });
  }
  ~Background() {
    if (handle_) {
      ::kill(pid(), SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return static_cast<pid_t>(handle_->id()); }
  bool running() const {
    int status = 0;
    return ::waitpid(pid(), &status, WNOHANG) == 0;
  }
  int wait() {
    const int code = handle_->wait();
    out_reader_.join();
    err_reader_.join();
    handle_.reset();
    return code;
  }
  std::string out, err;

 private:
  Poco::Pipe out_, err_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  std::thread out_reader_, err_reader_;
};

// Polls `sql` (a COUNT) until it returns `want`; false after `seconds` (a safety bound only).
bool waitFor(SweepEnv& env, const std::string& sql, std::int64_t want, int seconds = 30) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (env.count(sql) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void paidOrders(SweepEnv& env, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) {
    env.order(0, prefix + std::to_string(i), 100, -3600, 3600);
    env.simPay(0, prefix + std::to_string(i));
  }
}

// Claimed (any lease visible; one order may already be done), and a query in flight: the
// simulator has counted its arrival and holds the answer (the tests set 1.5 s of latency). A
// lease alone is not enough: a first signal before any call starts releases everything and
// exits 0 at once.
bool claimedWithQueryInFlight(SweepEnv& env) {
  if (!waitFor(env, "SELECT COUNT(*) > 0 FROM merchant_order WHERE lease_owner IS NOT NULL", 1)) {
    return false;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto queries = [&] {
    auto e = env.sim().controlJson("GET", "/sim/stats")->getObject("endpoints");
    auto q = e ? e->getObject("orderquery") : nullptr;
    return q ? q->getValue<int>("requests") : 0;
  };
  while (queries() < 1 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return queries() >= 1;
}

}  // namespace

TEST_CASE("sweep exits 1 when WeChat is unreachable for every call: orders only rescheduled",
          "[sweep][integration]") {
  SweepEnv env;
  env.order(0, "NOWHERE-1", 100, -3600, 3600);
  env.order(1, "NOWHERE-2", 100, -3600, 3600);
  env.sim().controlJson("POST", "/sim/faults", R"({"reset":1.0})");  // every request reset
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  for (const char* no : {"NOWHERE-1", "NOWHERE-2"}) {
    auto row = env.row(no);
    CHECK(row.state == "NOTPAY");  // unknown is not failure (invariant 6)
    CHECK(row.check_attempts == 1);
    CHECK(row.has_next_check);
  }
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE status = 'FAILED'") == 1);
}

TEST_CASE(
    "sweep: an order whose notifications cannot be read is released, never spun on: "
    "exit 1",
    "[sweep][integration]") {
  SweepEnv env;
  env.order(0, "UNREADABLE-1", 100, -3600, 3600);
  env.simPay(0, "UNREADABLE-1");
  {
    auto s = env.db().session();
    s << "RENAME TABLE payment_notification TO payment_notification_away",
        Poco::Data::Keywords::now;
  }
  auto r = env.sweep();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);  // the run could not do its work
  CHECK_THAT(r.out, Contains("store errors 1,"));
  // Released after the error; if the claim loop took it again in the same run, it was released
  // again at once instead of being retried forever (the run returned at all: no spinning).
  CHECK((r.out.find("releases (untouched) 1\n") != std::string::npos ||
         r.out.find("releases (untouched) 2\n") != std::string::npos));
  auto row = env.row("UNREADABLE-1");
  CHECK(row.state == "NOTPAY");  // never decided without its notifications
  CHECK_FALSE(row.leased);
  CHECK_FALSE(row.has_next_check);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE status = 'FAILED'") == 1);
  {
    auto s = env.db().session();
    s << "RENAME TABLE payment_notification_away TO payment_notification",
        Poco::Data::Keywords::now;
  }
  CHECK(env.sweep().exit_code == 0);
  CHECK(env.row("UNREADABLE-1").state == "SUCCESS");
}

TEST_CASE("sweep on SIGTERM: finishes in-flight orders, releases the rest, a rerun completes",
          "[sweep][integration][signal]") {
  SweepEnvOptions o;
  o.timeout_ms = 2000;
  o.lease_s = 6;
  o.max_in_flight = 1;
  SweepEnv env(o);
  paidOrders(env, "TERM-", 10);
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":400})");
  Background sweep(env, {"sweep"});
  REQUIRE(claimedWithQueryInFlight(env));
  ::kill(sweep.pid(), SIGTERM);
  const int code = sweep.wait();
  INFO(sweep.out << sweep.err);
  CHECK(code == 0);
  CHECK_THAT(sweep.out, Contains("interrupted"));
  const auto done = env.count("SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'");
  CHECK(done < 10);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == done);
  // Nothing stays leased: what was not started was released untouched.
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE lease_owner IS NOT NULL") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE state = 'NOTPAY' AND "
                  "next_check_at IS NULL AND check_attempts = 0") == 10 - done);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE status = 'INTERRUPTED'") == 1);

  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":0})");
  auto rest = env.sweep();
  CHECK(rest.exit_code == 0);
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'") == 10);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == 10);
}

TEST_CASE("sweep: a second signal exits at once, leaving the leases to expire",
          "[sweep][integration][signal]") {
  SweepEnvOptions o;
  o.timeout_ms = 3000;
  o.lease_s = 8;
  o.max_in_flight = 1;
  SweepEnv env(o);
  paidOrders(env, "TWICE-", 5);
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":1500})");
  Background sweep(env, {"sweep"});
  REQUIRE(claimedWithQueryInFlight(env));
  ::kill(sweep.pid(), SIGTERM);
  // Standard signals do not queue: let the first one be taken before sending the second.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(sweep.pid(), SIGTERM);
  const int code = sweep.wait();
  INFO(sweep.out << sweep.err);
  CHECK(code == 1);
  CHECK(sweep.out.find("orders examined") == std::string::npos);  // no orderly summary
  // The order in flight was neither finished nor released: its lease simply expires.
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE lease_owner IS NOT NULL") >= 1);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == 0);
}

TEST_CASE("daemon: sweeps every interval, survives SIGHUP, stops on SIGTERM",
          "[sweep][integration][daemon]") {
  // Its own merchants: after bill_time (10:30 Beijing) its first loop bills yesterday, and
  // the bill's GET_LOCK (per merchant and day) is server-wide: with the sim's default
  // merchants it could hold the lock another test's bill of yesterday needs.
  SweepEnvOptions o;
  o.mch_ids = {"19000101", "19000102"};
  SweepEnv env(o);  // sweep_interval_s = 1
  paidOrders(env, "DAEMON-A", 3);
  Background daemon(env, {"daemon"});
  REQUIRE(waitFor(env, "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'", 3));
  ::kill(daemon.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(daemon.running());
  // Still sweeping after the SIGHUP.
  paidOrders(env, "DAEMON-B", 2);
  REQUIRE(waitFor(env, "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'", 5));
  ::kill(daemon.pid(), SIGTERM);
  const int code = daemon.wait();
  INFO(daemon.out << daemon.err);
  CHECK(code == 0);
  CHECK_THAT(daemon.err, Contains("daemon.sighup"));
  CHECK_THAT(daemon.err, Contains("event=daemon.start"));
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'sweep'") >= 2);
  // Never two of its sweeps at once: each run finished before the next started.
  CHECK(env.count("SELECT COUNT(*) FROM recon_run a JOIN recon_run b ON a.id < b.id "
                  "WHERE b.started_at < a.finished_at") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == 5);
}

TEST_CASE("daemon: the bill job runs yesterday's bill (Beijing) once bill_time has passed",
          "[integration][daemon]") {
  // bill_time 00:00 Beijing has always passed: the first loop runs yesterday's bill for each
  // merchant ("No Bill Exist": EMPTY, exit 0), and the next plan is tomorrow's — later loops do
  // not run it again. Its own merchants, so that no other test's bill of yesterday holds their
  // GET_LOCK (server-wide) when it runs.
  using Clock = std::chrono::system_clock;
  auto beijingToday = [] {
    return wx::beijingDate(std::chrono::time_point_cast<wx::Millis>(Clock::now()));
  };
  // The run (at most ~35 s) must not cross Beijing midnight: yesterday would change under it.
  const auto midnight = wx::beijingDayStart(wx::addDays(beijingToday(), 1));
  if (midnight - Clock::now() < std::chrono::seconds(60)) {
    std::this_thread::sleep_until(midnight + std::chrono::seconds(1));
  }
  SweepEnvOptions o;
  o.mch_ids = {"19000201", "19000202"};
  SweepEnv env(o);
  wx::test::TempDir archive;
  env.writeIni("\n[schedule]\nbill_time = 00:00\n\n[bill]\narchive_dir = " + archive.path() +
               "\n");
  const auto today = beijingToday();
  const std::string yesterday = wx::formatIsoDate(wx::addDays(today, -1));
  // Before 10:00 Beijing the sim (like WeChat) still answers yesterday's bill "Bill Creating":
  // its answer for the day is fixed, whatever the hour (CI runs at any hour).
  for (std::size_t i = 0; i < 2; ++i) {
    env.simBillError(i, wx::addDays(today, -1), "No Bill Exist", "20002");
  }
  Background daemon(env, {"daemon"});
  // Several sweep intervals (1 s) pass: still one bill run per merchant.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'sweep'") < 3 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(daemon.pid(), SIGTERM);
  CHECK(daemon.wait() == 0);
  INFO(daemon.out << daemon.err);
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto p = daemon.err.find(needle); p != std::string::npos;
         p = daemon.err.find(needle, p + 1)) {
      ++n;
    }
    return n;
  };
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string mch = env.merchant(i).mch_id;
    CHECK(count("event=daemon.bill_start mch_id=" + mch + " bill_date=" + yesterday) == 1);
    CHECK(count("event=daemon.bill_done mch_id=" + mch + " bill_date=" + yesterday +
                " result=done exit=0 next=" + wx::formatIsoDate(today) + "@") == 1);
  }
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'bill' AND status = 'OK'") == 2);
  CHECK(env.count("SELECT COUNT(*) FROM bill_file WHERE status = 'EMPTY' AND bill_date = '" +
                  yesterday + "'") == 2);
}
