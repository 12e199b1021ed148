// Secrets never reach logs or error output (RELIABILITY.md invariant 16). The suite-wide
// secret scan (T15) arrives with the chaos harness; this checks the foundation's paths:
// migrate at debug level with a log file, and a failed connection.
#include <catch2/catch.hpp>

#include <Poco/File.h>

#include <fstream>
#include <sstream>

#include "support/process.h"
#include "support/test_db.h"

using namespace wx::test;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
// The key, and every 12-character fragment of it.
void requireAbsent(const std::string& haystack, const std::string& secret) {
  for (std::size_t i = 0; i + 12 <= secret.size(); ++i) {
    INFO("fragment " << secret.substr(i, 12));
    REQUIRE(haystack.find(secret.substr(i, 12)) == std::string::npos);
  }
}
}  // namespace

TEST_CASE("configured keys and passwords never appear in output or log files", "[secrets]") {
  TestDatabase db;
  TempDir dir;
  const std::string key = "Wq8ZrTnBv3XkLm9PcJ4sHd7FgY2uAe6Q";
  const std::string log_file = dir.path() + "/wxrecon.log";
  const std::string ini = dir.write(
      "wxrecon.ini", db.iniDbSection() + "[merchant.a]\nmch_id = 1900000109\nappid = wxabc\n"
                                         "api_key_env = WXT_SECRET_KEY\n[log]\nlevel = debug\nfile = " +
                         log_file + "\n");
  auto ok = runProcess(WXRECON_BIN, {"migrate", "--config", ini}, {{"WXT_SECRET_KEY", key}});
  REQUIRE(ok.exit_code == 0);
  REQUIRE(Poco::File(log_file).exists());
  const std::string all = ok.out + ok.err + slurp(log_file);
  REQUIRE_THAT(all, Catch::Contains("event=migrate"));  // the log was really written
  requireAbsent(all, key);
  requireAbsent(all, db.password());

  // A wrong database password: the error names the server, never the password.
  const std::string wrong_pw = "Zx9WrongPasswordQv7Kt";
  const std::string bad_ini = dir.write(
      "bad.ini", "[db]\nhost = 127.0.0.1\nport = " + std::to_string(db.port()) +
                     "\nuser = root\ndatabase = " + db.name() + "\npassword_env = WXT_BAD_PW\n");
  auto bad = runProcess(WXRECON_BIN, {"migrate", "--config", bad_ini}, {{"WXT_BAD_PW", wrong_pw}});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("cannot connect to MySQL"));
  requireAbsent(bad.out + bad.err, wrong_pw);
}
