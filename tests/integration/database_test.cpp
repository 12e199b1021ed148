// The database layer against the real MariaDB: UTC sessions, autocommit restored after a
// transaction, and a unit of work that survives a killed connection.
#include <catch2/catch.hpp>

#include <Poco/Data/Session.h>

#include "storage/database.h"
#include "support/test_db.h"

using namespace wx;
using namespace wx::test;
using namespace Poco::Data::Keywords;

TEST_CASE("every session runs in UTC with autocommit restored after a unit", "[db]") {
  TestDatabase tdb;
  auto db = Database::open(tdb.config());
  REQUIRE(db.isOk());
  std::string tz;
  REQUIRE((*db)->run("tz", [&](Poco::Data::Session& s) {
    s << "SELECT @@session.time_zone", into(tz), now;
  }).isOk());
  CHECK(tz == "+00:00");
  REQUIRE((*db)->run("create", [&](Poco::Data::Session& s) {
    s << "CREATE TABLE t (id INT PRIMARY KEY)", now;
  }, {false, 1}).isOk());
  REQUIRE((*db)->run("insert", [&](Poco::Data::Session& s) {
    s << "INSERT INTO t VALUES (1)", now;
  }).isOk());
  // After the unit, the pooled session must be back in autocommit: a plain INSERT on it is
  // visible to another connection without an explicit COMMIT.
  {
    auto conn = (*db)->acquire();
    int ac = 0;
    conn.session() << "SELECT @@autocommit", into(ac), now;
    CHECK(ac == 1);
    conn.session() << "INSERT INTO t VALUES (2)", now;
  }
  int n = 0;
  tdb.session() << "SELECT COUNT(*) FROM t", into(n), now;
  CHECK(n == 2);
}

TEST_CASE("a unit is one transaction: a failed one leaves nothing, and nothing open", "[db]") {
  TestDatabase tdb;
  DbConfig c = tdb.config();
  c.pool_size = 1;  // every unit and acquire() below gets the same session
  auto db = Database::open(c);
  REQUIRE(db.isOk());
  REQUIRE((*db)->run("create", [&](Poco::Data::Session& s) {
    s << "CREATE TABLE t (id INT PRIMARY KEY)", now;
  }, {false, 1}).isOk());
  auto setStatements = [&] {
    auto conn = (*db)->acquire();
    std::string name, n;
    conn.session() << "SHOW SESSION STATUS LIKE 'Com_set_option'", into(name), into(n), now;
    return std::stoll(n);
  };
  const std::int64_t sets_before = setStatements();
  int in_txn = -1;
  REQUIRE((*db)->run("ok", [&](Poco::Data::Session& s) {
    s << "INSERT INTO t VALUES (1)", now;
    s << "SELECT @@in_transaction", into(in_txn), now;
  }).isOk());
  CHECK(in_txn == 1);
  // START TRANSACTION / COMMIT on the autocommit session: no SET autocommit round trips.
  CHECK(setStatements() == sets_before);

  SECTION("a unit that throws DbError") {
    Status st = (*db)->run("refused", [&](Poco::Data::Session& s) {
      s << "INSERT INTO t VALUES (2)", now;
      throw DbError(Status::failedPrecondition("refused by the unit"));
    });
    CHECK(st.code() == StatusCode::kFailedPrecondition);
  }
  SECTION("a unit whose statement fails") {
    Status st = (*db)->run("duplicate", [&](Poco::Data::Session& s) {
      s << "INSERT INTO t VALUES (2)", now;
      s << "INSERT INTO t VALUES (1)", now;  // duplicate key
    });
    CHECK(st.code() == StatusCode::kInternal);
  }
  SECTION("a non-transactional unit that left its own transaction open") {
    Status st = (*db)->run("own", [&](Poco::Data::Session& s) {
      textQuery(s, "START TRANSACTION");
      s << "INSERT INTO t VALUES (2)", now;
      throw DbError(Status::unavailable("gave up half way"));
    }, {false, 1});
    CHECK(st.code() == StatusCode::kUnavailable);
  }
  {
    auto conn = (*db)->acquire();
    int open = -1, ac = -1;
    conn.session() << "SELECT @@in_transaction, @@autocommit", into(open), into(ac), now;
    CHECK(open == 0);
    CHECK(ac == 1);
  }
  int n = 0;
  tdb.session() << "SELECT COUNT(*) FROM t", into(n), now;
  CHECK(n == 1);
}

TEST_CASE("a unit of work is rerun after its connection is killed", "[db]") {
  TestDatabase tdb;
  auto db = Database::open(tdb.config());
  REQUIRE(db.isOk());
  REQUIRE((*db)->run("create", [&](Poco::Data::Session& s) {
    s << "CREATE TABLE t (id INT PRIMARY KEY, v INT)", now;
  }, {false, 1}).isOk());
  int attempts = 0;
  auto side = tdb.session();
  Status st = (*db)->run("killed", [&](Poco::Data::Session& s) {
    ++attempts;
    s << "INSERT INTO t VALUES (1, 10) ON DUPLICATE KEY UPDATE v = v + 0", now;
    if (attempts == 1) {
      std::int64_t id = 0;
      s << "SELECT CONNECTION_ID()", into(id), now;
      side << "KILL CONNECTION " + std::to_string(id), now;
    }
    s << "UPDATE t SET v = 20 WHERE id = 1", now;
  });
  INFO(st.toString());
  REQUIRE(st.isOk());
  CHECK(attempts == 2);
  int v = 0, rows = 0;
  tdb.session() << "SELECT v, (SELECT COUNT(*) FROM t) FROM t WHERE id = 1", into(v), into(rows), now;
  CHECK(v == 20);
  CHECK(rows == 1);
  // The pool recovered: later units work.
  CHECK((*db)->run("after", [&](Poco::Data::Session& s) { s << "SELECT 1", now; }).isOk());
}

TEST_CASE("a unit of work reports a non-retryable SQL error once", "[db]") {
  TestDatabase tdb;
  auto db = Database::open(tdb.config());
  REQUIRE(db.isOk());
  int attempts = 0;
  Status st = (*db)->run("bad", [&](Poco::Data::Session& s) {
    ++attempts;
    s << "SELECT * FROM no_such_table", now;
  });
  CHECK(st.code() == StatusCode::kInternal);
  CHECK_THAT(st.message(), Catch::Contains("no_such_table"));
  CHECK(attempts == 1);
}

TEST_CASE("opening a database with a wrong password names the server, not the password", "[db]") {
  TestDatabase tdb;
  DbConfig c = tdb.config();
  c.password = Secret("WrongPasswordZq8Xk2");
  auto db = Database::open(c);
  REQUIRE_FALSE(db.isOk());
  CHECK(db.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(db.status().message(), Catch::Contains(tdb.name()));
  CHECK_THAT(db.status().message(), !Catch::Contains("WrongPasswordZq8Xk2"));
}
