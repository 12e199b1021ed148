// Smoke test (issue 5, "Tests"): the database restarts (stop + start) in the middle of a
// `wxrecon sweep`; later sweeps finish the work and nothing is lost: every paid order ends
// SUCCESS with exactly one NOTPAY>SUCCESS transition, no transition exists without its state,
// and no sweep dies of a signal. Uses its OWN private MariaDB (tests/lib/mariadb.sh in a temp
// dir on a free port), never the shared test server; the full chaos test (T3) is issue 13's.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Process.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <thread>

#include "support/private_mariadb.h"
#include "support/sweep_env.h"

using wx::test::runProcess;
using wx::test::SweepEnv;
using wx::test::SweepEnvOptions;
using wx::test::RestartableMariaDb;
using wx::test::ScopedDbEnv;

namespace {

// `wxrecon sweep --config INI` in the background; output discarded (it may be large).
class BackgroundSweep {
 public:
  explicit BackgroundSweep(const SweepEnv& env) {
    auto e = env.env();
    Poco::Process::Env penv(e.begin(), e.end());
    handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(
        WXRECON_BIN, {"sweep", "--config", env.iniPath()}, ".", nullptr, &out_, &out_, penv));
    reader_ = std::thread([this] {
      Poco::PipeInputStream in(out_);
      Poco::StreamCopier::copyToString(in, output);
    });
  }
  ~BackgroundSweep() {
    if (!done_) {
      ::kill(pid(), SIGKILL);
      (void)waitStatus();
    }
  }
  pid_t pid() const { return static_cast<pid_t>(handle_->id()); }
  // The raw wait status (so that a death by signal is visible as such).
  int waitStatus() {
    int status = 0;
    while (::waitpid(pid(), &status, 0) < 0 && errno == EINTR) {
    }
    done_ = true;
    reader_.join();
    return status;
  }
  std::string output;

 private:
  Poco::Pipe out_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  std::thread reader_;
  bool done_ = false;
};

}  // namespace

TEST_CASE("sweep: a database restart mid-run loses nothing: later sweeps finish every order",
          "[sweep][integration][db-restart]") {
  RestartableMariaDb mdb;
  ScopedDbEnv scoped(mdb);
  SweepEnvOptions o;
  o.max_in_flight = 4;
  o.timeout_ms = 1000;
  o.connect_timeout_ms = 500;
  o.lease_s = 4;
  SweepEnv env(o);
  constexpr int kOrders = 300;
  for (int i = 0; i < kOrders; ++i) {
    const std::string no = "RESTART-" + std::to_string(i);
    env.order(i % 2, no, 100 + i, -3600, 3600);
    env.simPay(i % 2, no);
  }
  // ~100 ms per query, 4 in flight: the sweep needs ~8 s, the restart happens inside it.
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":100,"latency_jitter_ms":20})");

  const std::string success = "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'";
  std::vector<int> statuses;
  {
    BackgroundSweep sweep(env);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (env.count(success) < 40 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto before = env.count(success);
    INFO("SUCCESS before the restart: " << before);
    REQUIRE(before >= 40);
    REQUIRE(before < kOrders);  // the restart is really mid-run
    mdb.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    mdb.start();
    const int status = sweep.waitStatus();
    INFO(sweep.output);
    CHECK_FALSE(WIFSIGNALED(status));
    REQUIRE(WIFEXITED(status));
    CHECK((WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1));
    statuses.push_back(status);
  }

  // Sweep again until no order is due (leases of the interrupted run expire after lease_s).
  const std::string due =
      "SELECT COUNT(*) FROM merchant_order WHERE state IN ('NOTPAY','USERPAYING') AND "
      "(next_check_at IS NULL OR next_check_at <= NOW(3))";
  const std::string leased = "SELECT COUNT(*) FROM merchant_order WHERE lease_until >= NOW(3)";
  env.sim().controlJson("POST", "/sim/faults", R"({"latency_mean_ms":0,"latency_jitter_ms":0})");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int reruns = 0;
  while (env.count(due) > 0 && std::chrono::steady_clock::now() < deadline) {
    while (env.count(leased) > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    BackgroundSweep again(env);
    const int status = again.waitStatus();
    INFO(again.output);
    CHECK_FALSE(WIFSIGNALED(status));
    REQUIRE(WIFEXITED(status));
    CHECK((WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1));
    ++reruns;
  }
  INFO("reruns: " << reruns);
  CHECK(reruns >= 1);
  CHECK(env.count(due) == 0);

  // Nothing lost, nothing doubled.
  CHECK(env.count(success) == kOrders);
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE state <> 'SUCCESS' OR "
                  "transaction_id IS NULL OR paid_at IS NULL") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition") == kOrders);
  CHECK(env.count("SELECT COUNT(*) FROM order_transition WHERE from_state = 'NOTPAY' AND "
                  "to_state = 'SUCCESS'") == kOrders);
  // Exactly one transition per order.
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order o WHERE (SELECT COUNT(*) FROM "
                  "order_transition t WHERE t.order_id = o.id AND t.from_state = 'NOTPAY' AND "
                  "t.to_state = 'SUCCESS') <> 1") == 0);
  // No transition without its state: the order is in the state its last transition names.
  CHECK(env.count("SELECT COUNT(*) FROM order_transition t LEFT JOIN merchant_order o ON "
                  "o.id = t.order_id WHERE o.id IS NULL OR o.state <> t.to_state") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM merchant_order WHERE lease_owner IS NOT NULL") == 0);
}
