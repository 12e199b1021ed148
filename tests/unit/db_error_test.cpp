#include <catch2/catch.hpp>

#include "common/db_error.h"

using namespace wx;

TEST_CASE("MySQL errno is read from Poco's message text", "[db]") {
  CHECK(mysqlErrnoFromMessage("MySQL: [MySQL]: [Comment]: mysql_stmt_execute error [mysql_stmt_error]: "
                              "Deadlock found [mysql_stmt_errno]: 1213 [mysql_stmt_sqlstate]: 40001") == 1213);
  CHECK(mysqlErrnoFromMessage("[mysql_errno]: 2006 [server_version]") == 2006);
  CHECK(mysqlErrnoFromMessage("Connection failed: mysql_errno: 2003") == 2003);
  CHECK(mysqlErrnoFromMessage("no number here") == 0);
  CHECK(mysqlErrnoFromMessage("[mysql_stmt_errno]: 0 [mysql_errno]: 1062") == 1062);
}

TEST_CASE("errno classification decides retries", "[db]") {
  struct Case {
    int err;
    DbErrorKind kind;
    const char* why;
  };
  const Case cases[] = {
      {1062, DbErrorKind::kDuplicateKey, "duplicate key: caller decides"},
      {1205, DbErrorKind::kLockConflict, "lock wait timeout: rerun the unit"},
      {1213, DbErrorKind::kLockConflict, "deadlock: rerun the unit"},
      {2006, DbErrorKind::kConnectionLost, "server has gone away"},
      {2013, DbErrorKind::kConnectionLost, "lost during query (or COMMIT)"},
      {1927, DbErrorKind::kConnectionLost, "MariaDB: connection killed"},
      {1146, DbErrorKind::kOther, "missing table is a bug"},
      {1064, DbErrorKind::kOther, "syntax error is a bug"},
      {0, DbErrorKind::kOther, "unknown"},
  };
  for (const auto& c : cases) {
    INFO(c.err << ": " << c.why);
    CHECK(classifyMysqlErrno(c.err) == c.kind);
  }
  CHECK(isRetryableDbError(DbErrorKind::kLockConflict));
  CHECK(isRetryableDbError(DbErrorKind::kConnectionLost));
  CHECK_FALSE(isRetryableDbError(DbErrorKind::kDuplicateKey));
  CHECK_FALSE(isRetryableDbError(DbErrorKind::kOther));
}
