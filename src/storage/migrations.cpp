#include "storage/migrations.h"

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <map>

#include "common/hash.h"
#include "storage/database.h"

namespace wx {

using namespace Poco::Data::Keywords;

int migrationNumber(std::string_view name) {
  if (name.size() < 5 || name[3] != '_') return -1;
  int n = 0;
  for (int i = 0; i < 3; ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

std::vector<std::string> splitSqlStatements(std::string_view sql) {
  std::vector<std::string> out;
  std::string cur;
  bool has_code = false;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      cur += c;
      if (c == '\\' && quote != '`' && i + 1 < sql.size()) {
        cur += sql[++i];
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {  // comment to end of line
      while (i < sql.size() && sql[i] != '\n') ++i;
      cur += '\n';
      continue;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 1;
      cur += ' ';
      continue;
    }
    if (c == ';') {
      if (has_code) out.push_back(cur);
      cur.clear();
      has_code = false;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') quote = c;
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') has_code = true;
    cur += c;
  }
  if (has_code) out.push_back(cur);
  return out;
}

Result<MigrationReport> migrate(Database& db, const std::vector<EmbeddedMigration>& migrations) {
  MigrationReport report;
  Status failure;
  // One dedicated session: GET_LOCK belongs to the session, and DDL commits implicitly.
  try {
    Database::Conn conn = db.acquire();
    Poco::Data::Session& s = conn.session();
    int got = 0;
    s << "SELECT GET_LOCK('wxrecon-migrate', 120)", into(got), now;
    if (got != 1) {
      return Status::unavailable("another process holds the migration lock (wxrecon-migrate) "
                                 "for more than 120 s");
    }
    struct Unlock {
      Poco::Data::Session& s;
      ~Unlock() {
        try {
          s << "DO RELEASE_LOCK('wxrecon-migrate')", now;
        } catch (...) {
        }
      }
    } unlock{s};

    s << "CREATE TABLE IF NOT EXISTS schema_migration ("
         " version INT NOT NULL PRIMARY KEY,"
         " name VARCHAR(200) NOT NULL,"
         " checksum CHAR(64) NOT NULL,"
         " applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)"
         ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        now;
    std::vector<int> versions;
    std::vector<std::string> names, sums;
    s << "SELECT version, name, checksum FROM schema_migration ORDER BY version", into(versions),
        into(names), into(sums), now;
    std::map<int, std::pair<std::string, std::string>> applied;
    for (std::size_t i = 0; i < versions.size(); ++i) applied[versions[i]] = {names[i], sums[i]};

    for (const auto& [version, entry] : applied) {
      bool known = false;
      for (const auto& m : migrations) known = known || migrationNumber(m.file_name) == version;
      if (!known) {
        return Status::failedPrecondition("the database has migration " + entry.first +
                                          ", which this wxrecon does not know: it is older than "
                                          "the schema; upgrade wxrecon");
      }
    }
    int previous = 0;
    for (const auto& m : migrations) {
      const int n = migrationNumber(m.file_name);
      if (n <= previous) {
        return Status::internal(std::string("migration ") + m.file_name + " is out of order");
      }
      previous = n;
      const std::string sum = sha256Hex(m.sql);
      auto it = applied.find(n);
      if (it != applied.end()) {
        if (it->second.second != sum) {
          return Status::failedPrecondition(
              std::string("migration ") + m.file_name + " was applied with checksum " +
              it->second.second.substr(0, 12) + "… but the file now has " + sum.substr(0, 12) +
              "…: an applied migration was edited; restore it and add a new migration instead");
        }
        ++report.already_applied;
        continue;
      }
      for (const auto& stmt : splitSqlStatements(m.sql)) {
        try {
          s << stmt, now;
        } catch (const Poco::Exception& e) {
          return Status::internal(std::string("migration ") + m.file_name + " failed: " +
                                  e.displayText());
        }
      }
      std::string name = m.file_name;
      std::string sum_copy = sum;
      int version = n;
      s << "INSERT INTO schema_migration (version, name, checksum) VALUES (?, ?, ?)", use(version),
          use(name), use(sum_copy), now;
      report.applied.push_back(m.file_name);
    }
  } catch (const DbError& e) {
    return e.status();
  } catch (const Poco::Exception& e) {
    return Status::unavailable("migrate: " + e.displayText());
  }
  return report;
}

}  // namespace wx
