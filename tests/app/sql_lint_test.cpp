// sql/*.sql stays inside the subset MySQL 8.0+ and MariaDB 10.6+ share (sql/README.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <regex>

#include "storage/migrations.h"

using namespace wx;

namespace {
std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}
// SQL without comments and string literals, so words inside them do not count.
std::string codeOnly(const std::string& sql) {
  std::string out;
  for (const auto& stmt : splitSqlStatements(sql)) {
    std::string s;
    char q = 0;
    for (char c : stmt) {
      if (q) {
        if (c == q) q = 0;
        continue;
      }
      if (c == '\'' || c == '"') {
        q = c;
        s += "''";
        continue;
      }
      s += c;
    }
    out += s + ";\n";
  }
  return out;
}
}  // namespace

TEST_CASE("migrations use only the shared SQL subset", "[sql]") {
  struct Rule {
    const char* pattern;
    const char* why;
  };
  const Rule forbidden[] = {
      {R"(\bRETURNING\b)", "RETURNING is MariaDB-only"},
      {R"(\bJSON_[A-Z_]+\s*\()", "JSON functions differ between the engines"},
      {R"(\bJSON\b)", "the JSON type is a LONGTEXT alias in MariaDB"},
      {R"(CREATE\s+OR\s+REPLACE)", "MariaDB-only"},
      {R"(ADD\s+(COLUMN\s+)?IF\s+NOT\s+EXISTS)", "MariaDB-only"},
      {R"((KEY|INDEX)\s+IF\s+NOT\s+EXISTS)", "MariaDB-only"},
      {R"(\bSEQUENCE\b)", "MariaDB-only"},
      {R"(\bAS\s+NEW\b)", "row aliases in upserts are MySQL 8.0.19+ only"},
      {R"(\bVIRTUAL\b)", "use STORED generated columns"},
      {R"(\bINVISIBLE\b)", "semantics differ"},
      {R"(\bTIMESTAMP\b(?!\s*\())", "TIMESTAMP columns: use DATETIME(3)"},
      {R"(\bENUM\s*\()", "ENUM changes rewrite the table"},
      {R"(\bUTF8(MB3)?\b)", "use utf8mb4"},
      {R"(\bDELIMITER\b)", "no stored programs"},
      {R"(\bCREATE\s+(PROCEDURE|FUNCTION|TRIGGER|EVENT)\b)", "no stored programs"},
      {R"([^`]\bROWS\b[^`])", "rows is reserved in MySQL 8: quote it"},
  };
  const auto& all = embeddedMigrations();
  REQUIRE_FALSE(all.empty());
  int previous = 0;
  for (const auto& m : all) {
    INFO(m.file_name);
    const int n = migrationNumber(m.file_name);
    CHECK(n == previous + 1);  // numbered without gaps
    previous = n;
    const std::string code = upper(codeOnly(m.sql));
    for (const auto& rule : forbidden) {
      INFO(rule.why);
      CHECK_FALSE(std::regex_search(code, std::regex(rule.pattern)));
    }
    // Every CREATE TABLE states engine and charset.
    std::regex create(R"(CREATE\s+TABLE)");
    const auto tables = std::distance(std::sregex_iterator(code.begin(), code.end(), create),
                                      std::sregex_iterator());
    const std::regex engine(R"(ENGINE=INNODB DEFAULT CHARSET=UTF8MB4)");
    const auto engines =
        std::distance(std::sregex_iterator(code.begin(), code.end(), engine), std::sregex_iterator());
    CHECK(tables == engines);
  }
}

TEST_CASE("the lint rules catch what they should", "[sql]") {
  // A lint that cannot fail is no lint: check the patterns fire on bad SQL.
  CHECK(std::regex_search(upper(codeOnly("INSERT INTO t VALUES (1) RETURNING id;")),
                          std::regex(R"(\bRETURNING\b)")));
  CHECK(std::regex_search(upper(codeOnly("CREATE TABLE t (x TIMESTAMP);")),
                          std::regex(R"(\bTIMESTAMP\b(?!\s*\())")));
  CHECK_FALSE(std::regex_search(upper(codeOnly("CREATE TABLE t (x DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3));")),
                                std::regex(R"(\bTIMESTAMP\b(?!\s*\())")));
  CHECK(std::regex_search(upper(codeOnly("CREATE TABLE t (rows INT);")), std::regex(R"([^`]\bROWS\b[^`])")));
  CHECK_FALSE(std::regex_search(upper(codeOnly("CREATE TABLE t (`rows` INT);")),
                                std::regex(R"([^`]\bROWS\b[^`])")));
  // Words inside comments and strings do not count.
  CHECK_FALSE(std::regex_search(upper(codeOnly("-- RETURNING\nSELECT 'RETURNING';")),
                                std::regex(R"(\bRETURNING\b)")));
}

TEST_CASE("the SQL splitter respects quotes and comments", "[sql]") {
  auto s = splitSqlStatements("CREATE TABLE a (x INT); -- c;omment\nINSERT INTO a VALUES (';');\n"
                              "/* block; */ SELECT 1;\n  \n-- trailing\n");
  REQUIRE(s.size() == 3);
  CHECK(s[1].find("';'") != std::string::npos);
  CHECK(migrationNumber("001_schema.sql") == 1);
  CHECK(migrationNumber("12_x.sql") == -1);
}
