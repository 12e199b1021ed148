// common/atomic_file: the whole file or the previous one, never half, no temporary left behind.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

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
