// A private MariaDB for tests that restart or kill the server (never the shared test server
// that tests/run.sh starts): tests/lib/mariadb.sh in a temp dir on a free port, durable commits
// (WXRECON_DB_FLUSH=1), stopped at the end. ScopedDbEnv points TestDatabase (and the wxrecon
// children, which inherit the environment) at it for its lifetime.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/process.h"
#include "support/test_db.h"

namespace wx::test {

// The first port from `from` on that nothing listens on, below the kernel's ephemeral range:
// a port in that range can be taken by any test's outgoing connection in the seconds between
// the probe and mariadbd's bind (InnoDB starts first), and mariadbd then exits.
inline int freeDbPort(int from) {
  int ephemeral_low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  range >> ephemeral_low;
  for (int port = from; port < ephemeral_low; ++port) {
    try {
      Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", port));
      return port;
    } catch (const Poco::Exception&) {
    }
  }
  throw std::runtime_error("no free port below " + std::to_string(ephemeral_low));
}

class RestartableMariaDb {
 public:
  // Parallel tests start their probes at different ports (by pid); two that still pick the same
  // one race for it, and the loser starts again on the next free port.
  RestartableMariaDb() : port_(freeDbPort(24000 + ::getpid() % 4000 * 2)) {
    for (int attempt = 1;; ++attempt) {
      auto r = startScript();
      if (r.exit_code == 0) break;
      if (attempt == 5 || r.err.find("Address already in use") == std::string::npos) {
        throw std::runtime_error("mariadb.sh start: " + r.err);
      }
      port_ = freeDbPort(port_ + 1);
    }
    std::ifstream in(dir_.path() + "/root.password");
    std::getline(in, password_);
  }
  ~RestartableMariaDb() { stop(); }
  void start() {
    auto r = startScript();
    if (r.exit_code != 0) throw std::runtime_error("mariadb.sh start: " + r.err);
  }
  void stop() { (void)runProcess(script(), {"stop", dir_.path()}); }
  // SIGKILL of mysqld (a crash: InnoDB recovers on the next start()).
  void kill() {
    std::ifstream in(dir_.path() + "/mysqld.pid");
    long pid = 0;
    if (in >> pid && pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
    for (int i = 0; i < 200 && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i) {
      ::usleep(20000);
    }
  }
  int port() const { return port_; }
  const std::string& password() const { return password_; }

 private:
  static std::string script() { return std::string(WX_SOURCE_DIR) + "/tests/lib/mariadb.sh"; }
  ProcessResult startScript() const {
    return runProcess(script(), {"start", dir_.path(), std::to_string(port_)},
                      {{"WXRECON_DB_FLUSH", "1"}});
  }
  TempDir dir_;
  int port_;
  std::string password_;
};

// Points TestDatabase (inside SweepEnv) and the wxrecon children at the private server for the
// lifetime of this object; the previous values come back afterwards.
class ScopedDbEnv {
 public:
  explicit ScopedDbEnv(const RestartableMariaDb& db) {
    set("WXRECON_TEST_DB_HOST", "127.0.0.1");
    set("WXRECON_TEST_DB_PORT", std::to_string(db.port()));
    set("WXRECON_TEST_DB_USER", "root");
    set("WXRECON_TEST_DB_PASSWORD", db.password());
  }
  ~ScopedDbEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first.c_str());
      }
    }
  }
  ScopedDbEnv(const ScopedDbEnv&) = delete;
  ScopedDbEnv& operator=(const ScopedDbEnv&) = delete;

 private:
  void set(const std::string& name, const std::string& value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace wx::test
