// The database access layer over Poco::Data::MySQL (adapter: exceptions stay inside).
//
// - A bounded pool of sessions; each new connection runs SET time_zone = '+00:00' and a strict
//   sql_mode, and uses utf8mb4.
// - Connection errors (2006/2013, a killed connection) discard the session: Poco's SessionPool
//   would keep handing the dead one out (STACK_NOTES.md).
// - run(): a "unit of work" in one explicit transaction (START TRANSACTION ... COMMIT on a session
//   that stays in autocommit), rerun on a lost connection, deadlock or lock wait. The unit must
//   be idempotent: after a connection lost during COMMIT its outcome is unknown and it runs
//   again. A failed unit's open transaction is rolled back before its session is pooled again.
#pragma once

#include <Poco/Data/Session.h>
#include <Poco/Dynamic/Var.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/db_error.h"
#include "common/status.h"

namespace wx {

// Thrown by the pool when no connection can be made; also the error type units can throw to
// abort with a Status of their choosing.
// The bytes of a BLOB/TEXT cell of a RecordSet (Poco hands back a BLOB or a string).
std::string blobBytes(const Poco::Dynamic::Var& cell);

class DbError : public std::runtime_error {
 public:
  DbError(Status status) : std::runtime_error(status.message()), status_(std::move(status)) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

// Runs a statement without parameters or results over the text protocol: one round trip (a
// Poco::Data statement is a prepared statement: prepare, execute and close, two round trips and
// a packet). Throws Poco::Data::DataException carrying "[mysql_errno]: N" like Poco's own, so
// Database::run classifies it.
void textQuery(Poco::Data::Session& s, const std::string& sql);

// Classifies a Poco::Data exception message.
DbErrorKind classifyDbException(const std::string& display_text);

class Database {
 public:
  // Connects one session to check the credentials; the error names host, port and database
  // (never the password).
  static Result<std::unique_ptr<Database>> open(const DbConfig& config);
  ~Database();

  // A pooled session. Returned to the pool on destruction unless discard() was called.
  class Conn {
   public:
    Conn(Conn&& other) noexcept;
    Conn& operator=(Conn&&) = delete;
    ~Conn();
    Poco::Data::Session& session() { return *session_; }
    Poco::Data::Session* operator->() { return session_.get(); }
    void discard() { discarded_ = true; }

   private:
    friend class Database;
    Conn(Database* db, std::unique_ptr<Poco::Data::Session> s) : db_(db), session_(std::move(s)) {}
    Database* db_;
    std::unique_ptr<Poco::Data::Session> session_;
    bool discarded_ = false;
  };

  // Waits for a free session (creating one if the pool is below pool_size). Throws DbError
  // (kUnavailable) when a new connection cannot be made.
  Conn acquire();

  struct UnitOptions {
    bool transactional = true;
    int max_attempts = 5;
  };
  // Runs `unit` (in a transaction unless told otherwise). Retries retryable errors with a short
  // backoff; returns kUnavailable after max_attempts, kInternal for other SQL errors (with
  // the server's message), or the Status of a DbError the unit threw.
  Status run(const std::string& name, const std::function<void(Poco::Data::Session&)>& unit,
             UnitOptions options);
  Status run(const std::string& name, const std::function<void(Poco::Data::Session&)>& unit) {
    return run(name, unit, UnitOptions{});
  }

  const DbConfig& config() const { return config_; }

 private:
  explicit Database(const DbConfig& config);
  std::unique_ptr<Poco::Data::Session> connect();
  void release(std::unique_ptr<Poco::Data::Session> s, bool discard);

  DbConfig config_;
  std::string connection_string_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Poco::Data::Session>> idle_;
  int open_count_ = 0;
};

}  // namespace wx
