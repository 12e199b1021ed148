// common/atomic_file: the whole file or the previous one, never half, no temporary left behind.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "common/atomic_file.h"
#include "support/test_db.h"

using namespace wx;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int entries(const std::string& dir) {
  int n = 0;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d)) {
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
  }
  ::closedir(d);
  return n;
}

}  // namespace

TEST_CASE("atomic file: writes, replaces, mode 0644, no temporary left", "[report][file]") {
  test::TempDir dir;
  const std::string nested = dir.path() + "/a/b/c";
  REQUIRE(makeDirectories(nested).isOk());
  REQUIRE(makeDirectories(nested).isOk());  // exists: fine
  const std::string path = nested + "/r.csv";
  CHECK_FALSE(fileExists(path));
  REQUIRE(writeFileAtomically(path, std::string("first\0bytes", 11)).isOk());
  CHECK(slurp(path) == std::string("first\0bytes", 11));
  REQUIRE(writeFileAtomically(path, "second").isOk());
  CHECK(slurp(path) == "second");
  CHECK(fileExists(path));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(entries(nested) == 1);
}

TEST_CASE("atomic file: a failure names the path and leaves the target as it was",
          "[report][file]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/r.csv";
  REQUIRE(writeFileAtomically(path, "old").isOk());
  // The target is a directory: the rename fails after the data was written.
  const std::string blocked = dir.path() + "/blocked";
  REQUIRE(makeDirectories(blocked + "/inside").isOk());
  Status st = writeFileAtomically(blocked, "new");
  CHECK_FALSE(st.isOk());
  CHECK(st.message().find(blocked) != std::string::npos);
  CHECK(entries(dir.path()) == 2);  // r.csv and blocked/: no temporary file left
  CHECK(slurp(path) == "old");
  // A missing directory: nothing is created.
  CHECK_FALSE(writeFileAtomically(dir.path() + "/missing/r.csv", "x").isOk());
  CHECK_FALSE(fileExists(dir.path() + "/missing"));
  // A file where a directory should be.
  CHECK_FALSE(makeDirectories(path + "/sub").isOk());
}

// A writer SIGKILLed between write and rename (crash point report.before_rename) leaves its
// temporary file; the next write of the same target removes it — and only what is abandoned.
TEST_CASE("atomic file: the next write removes the temporary files a dead writer left",
          "[report][file]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/r.csv";
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  REQUIRE(::waitpid(child, nullptr, 0) == child);  // reaped: its pid names no process
  const std::string dead = std::to_string(child), live = std::to_string(::getppid());
  auto plant = [&](const std::string& name, bool old) {
    std::ofstream(dir.path() + "/" + name) << "half";
    if (old) {
      const timeval hour_ago[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
      REQUIRE(::utimes((dir.path() + "/" + name).c_str(), hour_ago) == 0);
    }
  };
  struct Case {
    std::string name;
    bool old;
    bool removed;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"r.csv.tmp." + dead + ".AbC123", false, true, "its writer is dead"},
      {"r.csv.tmp." + live + ".AbC124", false, false, "a live writer may still rename it"},
      {"r.csv.tmp." + live + ".AbC125", true, true, "an hour old: abandoned whoever wrote it"},
      {"r.csv.tmp.AbC126", false, false, "no pid in the name and fresh"},
      {"r.csv.tmp.AbC127", true, true, "no pid in the name, an hour old"},
      {"other.csv.tmp." + dead + ".AbC128", true, false, "another target's"},
      {"r.csv.bak", true, false, "not a temporary file"},
  };
  for (const auto& c : cases) plant(c.name, c.old);
  REQUIRE(writeFileAtomically(path, "whole").isOk());
  CHECK(slurp(path) == "whole");
  for (const auto& c : cases) {
    INFO(c.name << ": " << c.why);
    CHECK(fileExists(dir.path() + "/" + c.name) == !c.removed);
  }
}
