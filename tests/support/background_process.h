// A long-running program under test (notify-server, the daemon), started in the background:
// its stdout and stderr appended to files, waited on until it prints the line that says it
// listens, stopped with a signal (SIGKILL after a bound) and reaped. Can be started again.
//
//   BackgroundProcess p(WXRECON_BIN, {"daemon", "--config", ini}, env, dir.path());
//   p.start();
//   const std::string line = p.waitForLine("daemon: admin http://");  // throws if it exits
//   ...
//   CHECK(p.stop() == 0);  // SIGTERM, the exit status (-1: killed by a signal)
#pragma once

#include <Poco/Process.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wx::test {

class BackgroundProcess {
 public:
  using Env = std::map<std::string, std::string>;

  // `env`: variables added to this process's environment for the child; output goes to
  // DIR/NAME.out and DIR/NAME.log (NAME: the program's file name).
  BackgroundProcess(std::string program, std::vector<std::string> args, Env env,
                    const std::string& dir)
      : program_(std::move(program)), args_(std::move(args)), env_(std::move(env)) {
    const std::string name = program_.substr(program_.rfind('/') + 1);
    out_ = dir + "/" + name + ".out";
    log_ = dir + "/" + name + ".log";
  }
  ~BackgroundProcess() { stop(SIGKILL); }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Starts it with `extra_env` on top of the constructor's variables; its stdout starts empty
  // (its log is appended to across starts).
  void start(const Env& extra_env = {}) {
    if (handle_) throw std::logic_error(program_ + " is already running");
    std::string cmd = "exec '" + program_ + "'";
    for (const auto& a : args_) cmd += " '" + a + "'";
    cmd += " >>'" + out_ + "' 2>>'" + log_ + "'";
    std::ofstream(out_, std::ios::trunc).close();
    Env env = env_;
    for (const auto& [k, v] : extra_env) env[k] = v;
    Poco::Process::Env penv(env.begin(), env.end());
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch("/bin/sh", {"-c", cmd}, "/", nullptr, nullptr, nullptr, penv));
  }

  // The first stdout line containing `marker`; throws when the process exits first or none
  // came within `timeout` (a safety bound).
  std::string waitForLine(const std::string& marker,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      std::ifstream in(out_);
      for (std::string line; std::getline(in, line);) {
        if (line.find(marker) != std::string::npos) return line;
      }
      if (!running()) throw std::runtime_error(program_ + " exited: " + logText());
      if (std::chrono::steady_clock::now() >= deadline) {
        throw std::runtime_error(program_ + " did not print \"" + marker + "\": " + logText());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Sends `signal` and waits (SIGKILL after 15 s); returns the exit status (-1 when killed by
  // a signal). Not running: the status of its last exit.
  int stop(int signal = SIGTERM) {
    if (!handle_) return exit_code_;
    ::kill(pid(), signal);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (handle_ && std::chrono::steady_clock::now() < deadline) {
      if (!running()) return exit_code_;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!handle_) return exit_code_;
    ::kill(pid(), SIGKILL);
    reap(0);
    return exit_code_;
  }

  // False once it has exited (it is then reaped).
  bool running() {
    if (!handle_) return false;
    return !reap(WNOHANG);
  }
  pid_t pid() const { return static_cast<pid_t>(handle_->id()); }
  std::string outText() const { return readAll(out_); }
  std::string logText() const { return readAll(log_); }

 private:
  // waitpid with `options`; true (and the exit status kept) when the process is gone.
  bool reap(int options) {
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid(), &status, options)) < 0 && errno == EINTR) {
    }
    if (r == 0) return false;  // still running
    handle_.reset();
    exit_code_ = r > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return true;
  }
  static std::string readAll(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
  }

  std::string program_;
  std::vector<std::string> args_;
  Env env_;
  std::string out_, log_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  int exit_code_ = -1;
};

}  // namespace wx::test
