#include "common/db_error.h"

#include <string>

namespace wx {

int mysqlErrnoFromMessage(std::string_view message) {
  static const char* const kMarkers[] = {"[mysql_stmt_errno]:", "[mysql_errno]:", "mysql_errno:",
                                         "mysql_stmt_errno:"};
  for (const char* marker : kMarkers) {
    const std::size_t at = message.find(marker);
    if (at == std::string_view::npos) continue;
    std::size_t pos = at + std::char_traits<char>::length(marker);
    while (pos < message.size() && message[pos] == ' ') ++pos;
    int v = 0;
    std::size_t digits = 0;
    while (pos < message.size() && message[pos] >= '0' && message[pos] <= '9' && digits < 6) {
      v = v * 10 + (message[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits > 0 && v != 0) return v;
  }
  return 0;
}

DbErrorKind classifyMysqlErrno(int err) {
  switch (err) {
    case 1062:
      return DbErrorKind::kDuplicateKey;
    case 1205:
    case 1213:
    case 3572:
      return DbErrorKind::kLockConflict;
    case 1053:  // server shutdown in progress
    case 1927:  // MariaDB: connection was killed
    case 2002:
    case 2003:
    case 2006:
    case 2013:
    case 2055:  // lost connection (system error)
      return DbErrorKind::kConnectionLost;
    default:
      return DbErrorKind::kOther;
  }
}

}  // namespace wx
