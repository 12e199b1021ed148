#include "storage/database.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/LOB.h>
#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/MySQL/MySQLException.h>
#include <Poco/Data/MySQL/SessionImpl.h>
#include <Poco/Exception.h>

#include <chrono>
#include <thread>

#include "common/test_hooks.h"

namespace wx {

std::string blobBytes(const Poco::Dynamic::Var& cell) {
  if (cell.type() == typeid(Poco::Data::BLOB)) {
    const auto& b = cell.extract<Poco::Data::BLOB>();
    return std::string(reinterpret_cast<const char*>(b.rawContent()), b.size());
  }
  return cell.convert<std::string>();
}

using Poco::Data::Keywords::now;

DbErrorKind classifyDbException(const std::string& display_text) {
  return classifyMysqlErrno(mysqlErrnoFromMessage(display_text));
}

namespace {

std::string where(const DbConfig& c) {
  return c.user + "@" + c.host + ":" + std::to_string(c.port) + "/" + c.database;
}

// Poco's message may repeat the statement text; keep errors to one readable line.
std::string oneLine(std::string s) {
  for (char& ch : s) {
    if (ch == '\n' || ch == '\r') ch = ' ';
  }
  if (s.size() > 600) s = s.substr(0, 600) + "...";
  return s;
}

// After a failed unit: whatever it left open (its transaction, or one a non-transactional unit
// started itself) is rolled back before the session goes back to the pool; ROLLBACK without a
// transaction does nothing. A session that cannot even do that is dropped.
void rollbackOrDiscard(Database::Conn& conn) {
  try {
    textQuery(conn.session(), "ROLLBACK");
  } catch (...) {
    conn.discard();
  }
}

}  // namespace

void textQuery(Poco::Data::Session& s, const std::string& sql) {
  auto* impl = dynamic_cast<Poco::Data::MySQL::SessionImpl*>(s.impl());
  if (impl == nullptr) {
    s << sql, now;
    return;
  }
  MYSQL* h = impl->handle();
  if (mysql_real_query(h, sql.data(), sql.size()) != 0) {
    throw Poco::Data::DataException(sql + ": " + mysql_error(h) +
                                    " [mysql_errno]: " + std::to_string(mysql_errno(h)));
  }
}

Database::Database(const DbConfig& config) : config_(config) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::MySQL::Connector::registerConnector(); });
  connection_string_ = "host=" + config.host + ";port=" + std::to_string(config.port) +
                       ";user=" + config.user + ";password=" + config.password.reveal() +
                       ";db=" + config.database + ";character-set=utf8mb4";
}

Database::~Database() {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.clear();
}

Result<std::unique_ptr<Database>> Database::open(const DbConfig& config) {
  if (config.password.reveal().find(';') != std::string::npos) {
    return Status::invalidArgument("[db] the password contains ';', which the MySQL connector "
                                   "cannot pass; choose another password");
  }
  std::unique_ptr<Database> db(new Database(config));
  try {
    Conn c = db->acquire();
    (void)c;
  } catch (const DbError& e) {
    return e.status();
  }
  return db;
}

std::unique_ptr<Poco::Data::Session> Database::connect() {
  try {
    auto s = std::make_unique<Poco::Data::Session>("MySQL", connection_string_, 5);
    // Every wxrecon session works in UTC with a strict mode (no silent truncation).
    *s << "SET time_zone = '+00:00'", now;
    *s << "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
          "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
        now;
    s->setFeature("autoCommit", true);
    return s;
  } catch (const Poco::Exception& e) {
    // The connector's message does not contain the password (checked by the secret test).
    throw DbError(Status::unavailable("cannot connect to MySQL at " + where(config_) + ": " +
                                      oneLine(e.displayText())));
  }
}

Database::Conn Database::acquire() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_count_ < config_.pool_size; });
    if (!idle_.empty()) {
      auto s = std::move(idle_.back());
      idle_.pop_back();
      return Conn(this, std::move(s));
    }
    ++open_count_;
  }
  try {
    return Conn(this, connect());
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_count_;
    cv_.notify_one();
    throw;
  }
}

void Database::release(std::unique_ptr<Poco::Data::Session> s, bool discard) {
  std::lock_guard<std::mutex> lock(mu_);
  if (discard || !s) {
    --open_count_;
  } else {
    idle_.push_back(std::move(s));
  }
  cv_.notify_one();
}

Database::Conn::Conn(Conn&& other) noexcept
    : db_(other.db_), session_(std::move(other.session_)), discarded_(other.discarded_) {
  other.db_ = nullptr;
}

Database::Conn::~Conn() {
  if (db_ != nullptr && session_) db_->release(std::move(session_), discarded_);
}

Status Database::run(const std::string& name, const std::function<void(Poco::Data::Session&)>& unit,
                     UnitOptions options) {
  std::string last_error;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    if (attempt > 1) {
      // 20 ms, 40 ms, 80 ms ... capped at 1 s: lock conflicts clear fast, restarts take longer.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 10 << (attempt - 1))));
    }
    std::optional<Conn> conn;
    try {
      conn.emplace(acquire());
    } catch (const DbError& e) {
      last_error = e.status().message();
      continue;
    }
    Poco::Data::Session& s = conn->session();
    try {
      // An explicit transaction on the autocommit session: nothing to switch back afterwards
      // (Poco's begin() turns autocommit off and leaves it off: STACK_NOTES.md; turning it off
      // and on again cost two more round trips and a prepared statement per unit).
      if (options.transactional) textQuery(s, "START TRANSACTION");
      unit(s);
      if (options.transactional) {
        hooks::crashPoint("db.before_commit");
        textQuery(s, "COMMIT");
        hooks::crashPoint("db.after_commit");
      }
      return Status::ok();
    } catch (const DbError& e) {
      rollbackOrDiscard(*conn);
      return e.status();
    } catch (const Poco::Exception& e) {
      const std::string text = oneLine(e.displayText());
      const DbErrorKind kind = classifyDbException(text);
      if (kind == DbErrorKind::kConnectionLost) {
        conn->discard();
      } else {
        rollbackOrDiscard(*conn);
      }
      if (!isRetryableDbError(kind)) {
        return Status::internal(name + ": " + text);
      }
      last_error = text;
    }
  }
  return Status::unavailable(name + ": gave up after " + std::to_string(options.max_attempts) +
                             " attempts: " + last_error);
}

}  // namespace wx
