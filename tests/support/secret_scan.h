// RELIABILITY.md T15, the secret scan (tests only):
//   - generateSecret(): keys and passwords made per run — random letters and digits with no run of
//     6 or more digits, so a 12-character fragment can never match an amount, an id or a time;
//   - SecretScanner: looks for each secret, its MD5 (hex, lower and upper case) and every
//     12-character fragment of both in text, files and directory trees, and names each hit;
//   - RecordedProcess: runs a child with stdout/stderr in files and records its argv, plus
//     /proc/<pid>/cmdline sampled while it runs (what `ps` would have shown).
//
//   SecretScanner scan;
//   scan.addSecret("api key of shop", key);
//   scan.scanTree("logs", log_dir);
//   REQUIRE(scan.hits().empty());
#pragma once

#include <Poco/DigestEngine.h>
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/MD5Engine.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wx::test {

// Longest run of consecutive digits in `s`.
inline std::size_t longestDigitRun(const std::string& s) {
  std::size_t best = 0, run = 0;
  for (unsigned char c : s) {
    run = std::isdigit(c) ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

// `length` random letters and digits, never 6 digits in a row (a digit that would make the
// sixth is replaced by a letter).
inline std::string generateSecret(std::size_t length = 32) {
  static const std::string kLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static const std::string kAlnum = kLetters + "0123456789";
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  std::string out;
  std::size_t digits = 0;
  while (out.size() < length) {
    char c = kAlnum[rng() % kAlnum.size()];
    if (std::isdigit(static_cast<unsigned char>(c)) && digits == 5) {
      c = kLetters[rng() % kLetters.size()];
    }
    digits = std::isdigit(static_cast<unsigned char>(c)) ? digits + 1 : 0;
    out += c;
  }
  return out;
}

inline std::string md5Hex(const std::string& s) {
  Poco::MD5Engine md5;
  md5.update(s);
  return Poco::DigestEngine::digestToHex(md5.digest());  // lowercase
}

inline std::string readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

class SecretScanner {
 public:
  static constexpr std::size_t kFragment = 12;

  // Looks for `value`, MD5(value) in lower and upper hex, and every 12-character fragment of
  // each of the three.
  void addSecret(const std::string& name, const std::string& value) {
    std::string upper = md5Hex(value);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::pair<std::string, std::string> forms[] = {
        {name, value}, {"md5 of " + name, md5Hex(value)}, {"MD5 of " + name, upper}};
    for (const auto& [label, text] : forms) {
      needles_.push_back({label, text});
      for (std::size_t i = 0; i + kFragment <= text.size(); ++i) {
        needles_.push_back(
            {label + " [fragment at " + std::to_string(i) + "]", text.substr(i, kFragment)});
      }
    }
  }

  // Records one hit per needle found in `text` ("<source>: <what was found>").
  void scanText(const std::string& source, const std::string& text) {
    ++sources_;
    bytes_ += text.size();
    for (const auto& n : needles_) {
      if (text.find(n.text) != std::string::npos) hits_.push_back(source + ": " + n.label);
    }
  }
  void scanFile(const std::string& source, const std::string& path) {
    scanText(source + " " + path, readFileBytes(path));
  }
  // Every regular file under `dir`, recursively. Returns how many files were scanned.
  std::size_t scanTree(const std::string& source, const std::string& dir) {
    std::size_t n = 0;
    if (!Poco::File(dir).exists()) return 0;
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
      if (it->isLink()) continue;
      if (it->isDirectory()) {
        n += scanTree(source, it->path());
      } else if (it->isFile()) {
        scanFile(source, it->path());
        ++n;
      }
    }
    return n;
  }

  const std::vector<std::string>& hits() const { return hits_; }
  std::size_t needles() const { return needles_.size(); }
  std::size_t sources() const { return sources_; }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Needle {
    std::string label, text;
  };
  std::vector<Needle> needles_;
  std::vector<std::string> hits_;
  std::size_t sources_ = 0, bytes_ = 0;
};

// A child process (fork + execve, no shell) with stdin from a string and stdout/stderr into
// files. Records its argv and samples /proc/<pid>/cmdline every few milliseconds until it ends.
class RecordedProcess {
 public:
  RecordedProcess(const std::string& bin, const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env, const std::string& out_path,
                  const std::string& err_path, const std::string& input = "")
      : out_path_(out_path), err_path_(err_path) {
    argv_.push_back(bin);
    argv_.insert(argv_.end(), args.begin(), args.end());
    const std::string in_path = out_path + ".stdin";
    std::ofstream(in_path, std::ios::binary) << input;
    std::vector<char*> argv;
    for (auto& a : argv_) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The environment is built before fork(): the child only calls async-signal-safe functions.
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      const auto eq = kv.find('=');
      if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : env) merged[k] = v;
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int in = ::open(in_path.c_str(), O_RDONLY);
      const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (in < 0 || out < 0 || err < 0) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    sampler_ = std::thread([this] { sample(); });
  }
  ~RecordedProcess() {
    if (!done_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  RecordedProcess(const RecordedProcess&) = delete;
  RecordedProcess& operator=(const RecordedProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for the exit; returns the exit code, or 128 + signal.
  int wait() {
    if (!done_) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      done_ = true;
      sampler_.join();
    }
    return exit_code_;
  }
  // Sends `sig` and waits (SIGKILL after 10 s).
  int stop(int sig = SIGTERM) {
    if (done_) return exit_code_;
    ::kill(pid_, sig);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        done_ = true;
        sampler_.join();
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    return wait();
  }

  std::string out() const { return readFileBytes(out_path_); }
  std::string err() const { return readFileBytes(err_path_); }
  // The argv given, space-separated.
  std::string argvText() const {
    std::string s;
    for (const auto& a : argv_) s += a + " ";
    return s;
  }
  // Distinct /proc/<pid>/cmdline contents seen while it ran (NULs as spaces).
  std::vector<std::string> cmdlines() {
    std::lock_guard<std::mutex> lock(mu_);
    return {seen_.begin(), seen_.end()};
  }

 private:
  void sample() {
    const std::string path = "/proc/" + std::to_string(pid_) + "/cmdline";
    while (!done_) {
      std::string c = readFileBytes(path);
      for (char& ch : c) {
        if (ch == '\0') ch = ' ';
      }
      if (!c.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.insert(c);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::vector<std::string> argv_;
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
  std::atomic<bool> done_{false};
  int exit_code_ = -1;
  std::thread sampler_;
  std::mutex mu_;
  std::set<std::string> seen_;
};

}  // namespace wx::test
