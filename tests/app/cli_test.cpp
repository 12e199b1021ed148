// The command line contract (DESIGN.md §1): every command listed, --help on each, unknown
// commands/flags exit 2.
#include <catch2/catch.hpp>

#include <sstream>

#include "app/cli.h"
#include "support/process.h"
#include "support/test_db.h"

using namespace wx;

namespace {
struct Run {
  int code;
  std::string out, err;
};
Run cli(std::vector<std::string> args, const std::string& input = "") {
  std::vector<const char*> argv{"wxrecon"};
  for (auto& a : args) argv.push_back(a.c_str());
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = runCli(static_cast<int>(argv.size()), argv.data(), in, out, err);
  return {code, out.str(), err.str()};
}
}  // namespace

TEST_CASE("wxrecon --help lists every command of the contract", "[cli]") {
  auto r = cli({"--help"});
  CHECK(r.code == 0);
  for (const char* c : {"migrate", "sweep", "bill", "rerun", "report", "resolve", "daemon",
                        "notify-server", "sign", "parse-bill"}) {
    INFO(c);
    CHECK_THAT(r.out, Catch::Contains(std::string("  ") + c + " "));
    auto h = cli({c, "--help"});
    CHECK(h.code == 0);
    CHECK_THAT(h.out, Catch::Contains(std::string("usage: wxrecon ") + c));
  }
}

TEST_CASE("usage errors exit 2", "[cli]") {
  CHECK(cli({}).code == 2);
  auto unknown = cli({"frobnicate"});
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown command 'frobnicate'"));
  auto flag = cli({"migrate", "--frob"});
  CHECK(flag.code == 2);
  CHECK_THAT(flag.err, Catch::Contains("unknown flag '--frob'"));
  auto missing = cli({"migrate", "--config"});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("needs a value"));
  auto extra = cli({"migrate", "stray"});
  CHECK(extra.code == 2);
}

TEST_CASE("a broken config exits 2 naming the missing key", "[cli]") {
  wx::test::TempDir dir;
  const std::string ini = dir.write("broken.ini", "[db]\nhost = 127.0.0.1\ndatabase = x\n");
  // Through the real binary, as an operator would run it; --config may come first.
  auto r = wx::test::runProcess(WXRECON_BIN, {"--config", ini, "sweep"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("[db] missing required key 'user'"));
  auto r2 = wx::test::runProcess(WXRECON_BIN, {"migrate", "--config", ini});
  CHECK(r2.exit_code == 2);
  CHECK_THAT(r2.err, Catch::Contains("[db] missing required key 'user'"));
}
