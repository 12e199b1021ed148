// A fresh, uniquely named database on the test MariaDB that tests/run.sh starts, dropped at
// the end of the test. Coordinates come from the environment:
//   WXRECON_TEST_DB_HOST (127.0.0.1), WXRECON_TEST_DB_PORT, WXRECON_TEST_DB_USER (root),
//   WXRECON_TEST_DB_PASSWORD.
// Integration tests FAIL (not skip) without them: run them through tests/run.sh.
#pragma once

#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "app/config.h"

namespace wx::test {

inline std::string envOr(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? v : def;
}

class TestDatabase {
 public:
  TestDatabase() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    name_ = "wxt_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(rd() % 100000);
    host_ = envOr("WXRECON_TEST_DB_HOST", "127.0.0.1");
    port_ = std::stoi(envOr("WXRECON_TEST_DB_PORT", "0"));
    user_ = envOr("WXRECON_TEST_DB_USER", "root");
    password_ = envOr("WXRECON_TEST_DB_PASSWORD", "");
    if (port_ == 0) {
      throw std::runtime_error("WXRECON_TEST_DB_PORT is not set: run integration tests through "
                               "tests/run.sh (it starts a private MariaDB)");
    }
    Poco::Data::MySQL::Connector::registerConnector();
    admin() << "CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        Poco::Data::Keywords::now;
  }
  ~TestDatabase() {
    try {
      admin() << "DROP DATABASE IF EXISTS `" + name_ + "`", Poco::Data::Keywords::now;
    } catch (...) {
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  int port() const { return port_; }
  const std::string& password() const { return password_; }

  DbConfig config() const {
    DbConfig c;
    c.host = host_;
    c.port = port_;
    c.user = user_;
    c.database = name_;
    c.password = Secret(password_);
    return c;
  }

  // A session on this database (UTC), for assertions.
  Poco::Data::Session session() const {
    Poco::Data::Session s("MySQL", connectionString(name_), 5);
    s << "SET time_zone = '+00:00'", Poco::Data::Keywords::now;
    return s;
  }

  // The [db] section of an INI file for this database; the password travels in env var
  // WXRECON_TEST_DB_PASSWORD (which the test process already has).
  std::string iniDbSection() const {
    return "[db]\nhost = " + host_ + "\nport = " + std::to_string(port_) + "\nuser = " + user_ +
           "\ndatabase = " + name_ + "\npassword_env = WXRECON_TEST_DB_PASSWORD\n";
  }

 private:
  std::string connectionString(const std::string& db) const {
    return "host=" + host_ + ";port=" + std::to_string(port_) + ";user=" + user_ +
           ";password=" + password_ + ";db=" + db + ";character-set=utf8mb4";
  }
  Poco::Data::Session admin() const {
    return Poco::Data::Session("MySQL", connectionString("mysql"), 5);
  }

  std::string name_, host_, user_, password_;
  int port_ = 0;
};

// A directory of its own under $TMPDIR (or /tmp), created exclusively (mkdtemp), removed with
// its content at the end. Never Poco's TemporaryFile::tempName(): that name is the pid and a
// counter, so with pids recycled (pid_max 32768 here) a new test process can land in the
// directory a killed one left behind, MariaDB data and all.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = Poco::Path::temp() + "wxt-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
    }
    path_ = tmpl;
  }
  ~TempDir() {
    try {
      Poco::File(path_).remove(true);
    } catch (...) {
    }
  }
  const std::string& path() const { return path_; }
  // Writes a file (mode 0600) and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    ::chmod(p.c_str(), 0600);
    return p;
  }

 private:
  std::string path_;
};

}  // namespace wx::test
