#include "common/test_hooks.h"

#ifdef WXRECON_TEST_HOOKS

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace wx::hooks {
namespace {

struct Armed {
  std::map<std::string, long, std::less<>> crash_at;  // point -> hit count that kills
  std::map<std::string, long, std::less<>> hits;
  std::string log_path;
};

std::mutex& mu() {
  static std::mutex m;
  return m;
}

std::vector<std::string> splitComma(const char* s) {
  std::vector<std::string> out;
  if (s == nullptr) return out;
  std::string cur;
  for (const char* p = s;; ++p) {
    if (*p == ',' || *p == '\0') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (*p == '\0') break;
    } else if (*p != ' ') {
      cur += *p;
    }
  }
  return out;
}

[[noreturn]] void refuse(const std::string& what) {
  std::fprintf(stderr, "wxrecon test hooks: %s\n", what.c_str());
  std::abort();
}

template <typename List>
bool known(std::string_view name, const List& list) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

Armed load() {
  Armed a;
  for (const auto& item : splitComma(std::getenv("WXRECON_CRASH_POINT"))) {
    const auto colon = item.rfind(':');
    const std::string name = item.substr(0, colon);
    long n = 1;
    if (colon != std::string::npos) n = std::strtol(item.c_str() + colon + 1, nullptr, 10);
    if (!known(name, kCrashPoints) || n < 1) refuse("bad WXRECON_CRASH_POINT item '" + item + "'");
    a.crash_at[name] = n;
  }
  if (const char* p = std::getenv("WXRECON_CRASH_POINT_LOG")) a.log_path = p;
  return a;
}

Armed& armed() {
  static Armed a = load();
  return a;
}

// Bit i set: kBreakNames[i] is switched on.
unsigned loadBreaks() {
  unsigned bits = 0;
  for (const auto& item : splitComma(std::getenv("WXRECON_TEST_BREAK"))) {
    const auto it = std::find(kBreakNames.begin(), kBreakNames.end(), item);
    if (it == kBreakNames.end()) refuse("bad WXRECON_TEST_BREAK item '" + item + "'");
    bits |= 1u << static_cast<unsigned>(it - kBreakNames.begin());
  }
  return bits;
}

std::atomic<unsigned>& breaks() {
  static std::atomic<unsigned> bits{loadBreaks()};
  return bits;
}

// Unarmed (the normal case even in test builds): crashPoint() is one atomic load.
std::atomic<bool>& active() {
  static std::atomic<bool> on{!armed().crash_at.empty() || !armed().log_path.empty()};
  return on;
}

}  // namespace

void reloadForTests() {
  std::lock_guard<std::mutex> lock(mu());
  armed() = load();
  active() = !armed().crash_at.empty() || !armed().log_path.empty();
  breaks() = loadBreaks();
}

bool broken(Break b) {
  return (breaks().load(std::memory_order_relaxed) >> static_cast<unsigned>(b) & 1u) != 0;
}

void crashPoint(std::string_view name) {
  if (!known(name, kCrashPoints)) refuse("unknown crash point '" + std::string(name) + "'");
  if (!active().load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(mu());
  Armed& a = armed();
  if (!a.log_path.empty()) {
    const int fd = ::open(a.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      const std::string line = std::string(name) + "\n";
      (void)!::write(fd, line.data(), line.size());
      ::close(fd);
    }
  }
  auto it = a.crash_at.find(name);
  if (it == a.crash_at.end()) return;
  if (++a.hits[std::string(name)] >= it->second) ::kill(::getpid(), SIGKILL);
}

}  // namespace wx::hooks

#endif  // WXRECON_TEST_HOOKS
