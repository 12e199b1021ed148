// Classifies MySQL/MariaDB errors. Poco::Data::MySQL puts the server's errno only in the
// message text ("[mysql_stmt_errno]: 1213"), with e.code() == 0 (STACK_NOTES.md), so the
// classification works on that text. Pure: no Poco::Data dependency.
#pragma once

#include <string_view>

namespace wx {

enum class DbErrorKind {
  kOther,            // a bug or a schema problem: don't retry
  kDuplicateKey,     // 1062
  kLockConflict,     // 1205 lock wait timeout, 1213 deadlock, 3572 NOWAIT: retry the unit
  kConnectionLost,   // 2006 gone away, 2013 lost during query, 2002/2003 can't connect,
                     // 1927 killed (MariaDB), 1053 shutdown: discard the session, retry the unit
};

// The errno named in a Poco::Data::MySQL message, or 0 if none is found. Recognises
// "[mysql_stmt_errno]: N", "[mysql_errno]: N" and "mysql_errno: N".
int mysqlErrnoFromMessage(std::string_view message);

DbErrorKind classifyMysqlErrno(int err);

inline bool isRetryableDbError(DbErrorKind k) {
  return k == DbErrorKind::kLockConflict || k == DbErrorKind::kConnectionLost;
}

}  // namespace wx
