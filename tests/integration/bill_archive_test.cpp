// `wxrecon bill`: a merchant-day locked by another run (GET_LOCK from a side session), and the
// rerun entry (runBillDay with redownload = false) reconciling from the archive: the newest
// OK file is reused without a download, its sha256 re-checked; a tampered file is refused.
#include <catch2/catch.hpp>

#include <sstream>

#include "app/bill_runner.h"
#include "integration/bill_env.h"
#include "storage/database.h"

using namespace wx;
using namespace wx::test;
using Catch::Matchers::Contains;
using namespace Poco::Data::Keywords;

namespace {

std::int64_t downloads(BillEnv& env) {
  auto stats = env.sim().controlJson("GET", "/sim/stats");
  auto endpoints = stats->getObject("endpoints");
  if (!endpoints->has("downloadbill")) return 0;
  return endpoints->getObject("downloadbill")->getValue<std::int64_t>("requests");
}

}  // namespace

TEST_CASE("bill: a merchant-day locked by another session is skipped, exit 1, says so",
          "[bill][integration]") {
  BillEnv env(8);  // a day of its own (bill_env.h)
  env.paidAtSim("M1", 100, env.day, 12, 0);
  auto side = env.db().session();
  const std::string lock = "wxrecon-bill-" + env.merchant(0).mch_id + "-" + formatIsoDate(env.day);
  int got = 0;
  side << "SELECT GET_LOCK('" + lock + "', 0)", into(got), now;
  REQUIRE(got == 1);
  auto r = env.bill();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("bill LOCKED"));
  CHECK_THAT(r.out, Contains("another run holds " + lock));
  CHECK(downloads(env) == 0);
  CHECK(env.count("SELECT COUNT(*) FROM bill_file") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM bill_day") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy") == 0);
  CHECK(env.count("SELECT COUNT(*) FROM recon_run WHERE kind = 'bill' AND status = 'FAILED'") == 1);

  side << "SELECT RELEASE_LOCK('" + lock + "')", into(got), now;
  auto free = env.bill();
  INFO(free.out << free.err);
  CHECK(free.exit_code == 0);
  CHECK_THAT(free.out, Contains("bill OK"));
}

TEST_CASE(
    "bill from the archive (redownload = false): reused with its sha256 checked: a "
    "tampered file is refused",
    "[bill][integration]") {
  BillEnv env(9);  // a day of its own (bill_env.h)
  env.paidAtSim("M1", 100, env.day, 12, 0);
  auto swept = env.sweep();
  REQUIRE(swept.exit_code == 0);
  auto first = env.bill();
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(env.count("SELECT matched_count FROM bill_day") == 1);
  const std::int64_t downloaded = downloads(env);  // D and D+1
  REQUIRE(downloaded == 2);

  // WeChat would now answer differently: a rerun from the archive must not ask it for D.
  env.overrideBillError(env.day, "SYSTEMERROR", "");
  for (auto& [k, v] : env.env()) ::setenv(k.c_str(), v.c_str(), 1);
  auto config = loadConfig(env.iniPath());
  REQUIRE(config);
  auto opened = Database::open(config->db);
  REQUIRE(opened);
  BillCliOptions options;
  options.day = env.day;
  options.mch = env.merchant(0).mch_id;
  options.redownload = false;
  std::ostringstream out;
  const int code = runBillDay(*config, **opened, options, out);
  INFO(out.str());
  CHECK(code == 0);
  CHECK_THAT(out.str(), Contains("bill OK"));
  CHECK(downloads(env) == downloaded);  // neither D nor D+1 downloaded again
  CHECK(env.count("SELECT COUNT(*) FROM bill_file") == 2);
  CHECK(env.count("SELECT matched_count FROM bill_day") == 1);
  CHECK(env.discrepancies().empty());

  // One byte appended to the archived file: refused, nothing concluded.
  std::string path;
  env.db().session() << "SELECT stored_path FROM bill_file WHERE status = 'OK'", into(path), now;
  { std::ofstream(path, std::ios::binary | std::ios::app) << '\n'; }
  env.db().session() << "UPDATE bill_day SET matched_count = 99", now;
  std::ostringstream tampered;
  const int refused = runBillDay(*config, **opened, options, tampered);
  INFO(tampered.str());
  CHECK(refused == 1);
  CHECK_THAT(tampered.str(), Contains("bill FAILED"));
  CHECK_THAT(tampered.str(), Contains("does not match its sha256"));
  CHECK(env.count("SELECT matched_count FROM bill_day") == 99);  // not rewritten
  CHECK(env.discrepancies().empty());
  CHECK(downloads(env) == downloaded);
}
