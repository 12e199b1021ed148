// `wxrecon migrate` against the real MariaDB: idempotent, safe when started concurrently,
// refuses an edited migration.
#include <catch2/catch.hpp>

#include <Poco/Data/Session.h>

#include <future>

#include "storage/database.h"
#include "storage/migrations.h"
#include "support/process.h"
#include "support/test_db.h"

using namespace wx;
using namespace wx::test;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

namespace {

std::string writeConfig(const TempDir& dir, const TestDatabase& db) {
  return dir.write("wxrecon.ini", db.iniDbSection());
}

int countTables(const TestDatabase& db) {
  int n = 0;
  db.session() << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()",
      into(n), now;
  return n;
}

const char* const kFixedTables[] = {"merchant_order", "payment_notification", "order_transition",
                                    "recon_run",      "bill_file",            "bill_day",
                                    "discrepancy",    "schema_migration"};

}  // namespace

TEST_CASE("migrate twice on a fresh database creates the tables once", "[migrate]") {
  TestDatabase db;
  TempDir dir;
  const std::string ini = writeConfig(dir, db);
  auto first = runProcess(WXRECON_BIN, {"migrate", "--config", ini});
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  const std::size_t n = embeddedMigrations().size();
  CHECK_THAT(first.out, Catch::Contains(std::to_string(n) + " applied, 0 already applied"));
  const int tables = countTables(db);
  for (const char* t : kFixedTables) {
    int found = 0;
    db.session() << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                    "DATABASE() AND table_name = ?",
        Poco::Data::Keywords::bind(std::string(t)), into(found), now;
    INFO(t);
    CHECK(found == 1);
  }
  auto second = runProcess(WXRECON_BIN, {"migrate", "--config", ini});
  INFO(second.out << second.err);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.out, Catch::Contains("0 applied, " + std::to_string(n) + " already applied"));
  CHECK(countTables(db) == tables);
  int rows = 0;
  db.session() << "SELECT COUNT(*) FROM schema_migration", into(rows), now;
  CHECK(rows == static_cast<int>(n));
}

TEST_CASE("concurrent migrate processes apply each migration once", "[migrate]") {
  TestDatabase db;
  TempDir dir;
  const std::string ini = writeConfig(dir, db);
  std::vector<std::future<ProcessResult>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::async(std::launch::async,
                              [&] { return runProcess(WXRECON_BIN, {"migrate", "--config", ini}); }));
  }
  int applied_total = 0;
  for (auto& f : runs) {
    auto r = f.get();
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    if (r.out.find(std::to_string(embeddedMigrations().size()) + " applied") != std::string::npos) {
      ++applied_total;
    }
  }
  CHECK(applied_total == 1);  // exactly one process did the work
  int rows = 0;
  db.session() << "SELECT COUNT(*) FROM schema_migration", into(rows), now;
  CHECK(rows == static_cast<int>(embeddedMigrations().size()));
}

TEST_CASE("migrate refuses a database whose applied migration was edited", "[migrate]") {
  TestDatabase db;
  TempDir dir;
  const std::string ini = writeConfig(dir, db);
  REQUIRE(runProcess(WXRECON_BIN, {"migrate", "--config", ini}).exit_code == 0);
  db.session() << "UPDATE schema_migration SET checksum = REPEAT('0', 64) WHERE version = 1", now;
  auto r = runProcess(WXRECON_BIN, {"migrate", "--config", ini});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("001_") && Catch::Contains("was edited"));
}

TEST_CASE("migrate refuses a database with a migration this binary does not know", "[migrate]") {
  TestDatabase db;
  TempDir dir;
  const std::string ini = writeConfig(dir, db);
  REQUIRE(runProcess(WXRECON_BIN, {"migrate", "--config", ini}).exit_code == 0);
  db.session() << "INSERT INTO schema_migration (version, name, checksum) VALUES "
                  "(999, '999_future.sql', REPEAT('a', 64))",
      now;
  auto r = runProcess(WXRECON_BIN, {"migrate", "--config", ini});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("999_future.sql"));
}

TEST_CASE("the schema accepts an application's minimal INSERTs", "[migrate]") {
  TestDatabase db;
  auto database = Database::open(db.config());
  REQUIRE(database.isOk());
  REQUIRE(migrate(**database, embeddedMigrations()).isOk());
  auto s = db.session();
  // DESIGN.md §4: an application needs only these columns.
  s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, created_at, expire_at) "
       "VALUES ('10000100', 'wx2421b1c4370ec43b', 'ORD-1', 101, '2024-05-01 00:00:00', "
       "'2024-05-01 02:00:00')",
      now;
  std::string state;
  int attempts = -1;
  s << "SELECT state, check_attempts FROM merchant_order WHERE out_trade_no = 'ORD-1'", into(state),
      into(attempts), now;
  CHECK(state == "NOTPAY");
  CHECK(attempts == 0);
  // A merchant's own notification endpoint writes only the fixed columns.
  s << "INSERT INTO payment_notification (mch_id, appid, out_trade_no, transaction_id, total_fee, "
       "time_end, sign_ok, verdict, raw_body, body_sha256, received_at, remote_addr, "
       "times_received) VALUES ('10000100', 'wx2421b1c4370ec43b', 'ORD-1', '4200001', 101, "
       "'2024-05-01 00:10:00', 1, 'ACCEPTED', '<xml/>', REPEAT('a', 64), '2024-05-01 00:10:01', "
       "'10.0.0.1', 1)",
      now;
  // ...twice, for the same body: outside writers are never refused.
  s << "INSERT INTO payment_notification (raw_body, body_sha256) VALUES ('<xml/>', REPEAT('a', 64))",
      now;
  // Discrepancies without an order or bill date are still unique.
  s << "INSERT INTO discrepancy (kind, severity, mch_id) VALUES ('X', 'HIGH', '10000100')", now;
  CHECK_THROWS(s << "INSERT INTO discrepancy (kind, severity, mch_id) VALUES ('X', 'HIGH', "
                    "'10000100')",
               now);
  // The state column refuses an unknown state.
  CHECK_THROWS(s << "UPDATE merchant_order SET state = 'PAID' WHERE out_trade_no = 'ORD-1'", now);
}
