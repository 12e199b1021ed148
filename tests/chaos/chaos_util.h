// Small helpers the chaos tests share: wxrecon in the background, kill -9, local states, mixed
// orders; with the per-test tally (support/chaos_tally.h) and sizes (support/test_size.h).
#pragma once

#include <Poco/Process.h>
#include <signal.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "support/chaos_tally.h"
#include "support/sweep_env.h"
#include "support/test_size.h"

namespace wx::test {

// `wxrecon ARGS` in the background, its output discarded; returns its pid (reap it with
// waitExit or killNow).
inline pid_t launchBackground(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env) {
  std::string cmd = std::string("exec '") + WXRECON_BIN + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " >/dev/null 2>&1";
  Poco::Process::Env penv(env.begin(), env.end());
  Poco::ProcessHandle h =
      Poco::Process::launch("/bin/sh", {"-c", cmd}, "/", nullptr, nullptr, nullptr, penv);
  return static_cast<pid_t>(h.id());
}

// The raw wait status of a background process.
inline int waitExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// SIGKILL and reap; true when the process was still running (the kill hit it mid-run).
inline bool killNow(pid_t pid) {
  int status = 0;
  const bool running = ::waitpid(pid, &status, WNOHANG) == 0;
  ::kill(pid, SIGKILL);
  (void)waitExit(pid);
  return running;
}

// out_trade_no -> state of every local order.
inline std::map<std::string, std::string> localStates(SweepEnv& env) {
  using namespace Poco::Data::Keywords;
  std::vector<std::string> nos, st;
  auto s = env.db().session();
  s << "SELECT out_trade_no, state FROM merchant_order", into(nos), into(st), now;
  std::map<std::string, std::string> m;
  for (std::size_t i = 0; i < nos.size(); ++i) m[nos[i]] = st[i];
  return m;
}

// Mixed orders on both sides (both merchants): kind i%5 — 0,1 paid; 2 paid then refunded;
// 3 open; 4 expired unpaid. Returns out_trade_no -> the state they converge to.
inline std::map<std::string, std::string> plantMixedOrders(SweepEnv& env, const std::string& prefix,
                                                           int n) {
  std::map<std::string, std::string> expected;
  for (int i = 0; i < n; ++i) {
    const std::size_t m = static_cast<std::size_t>(i % 2);
    const std::string no = prefix + std::to_string(1000 + i);
    const int kind = i % 5;
    env.order(m, no, 100 + i, -600, kind == 4 ? -300 : 3600);
    if (kind <= 1) {
      env.simPay(m, no);
      expected[no] = "SUCCESS";
    } else if (kind == 2) {
      env.simPay(m, no);
      env.simRefund(m, no, 100 + i);
      expected[no] = "REFUND";
    } else if (kind == 3) {
      expected[no] = "NOTPAY";
    } else {
      expected[no] = "CLOSED";
    }
  }
  return expected;
}

}  // namespace wx::test
