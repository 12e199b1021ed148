#include "storage/mysql_notification_store.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/MySQL/SessionImpl.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "common/hash.h"
#include "common/metrics.h"
#include "common/test_hooks.h"
#include "service/run_metrics.h"
#include "storage/database.h"
#include "storage/group_commit.h"
#include "storage/mysql_stores.h"

namespace wx {

using namespace Poco::Data::Keywords;
using Poco::Nullable;

namespace {

// Cuts to at most `max` bytes on a UTF-8 character boundary (the columns are VARCHAR(64) in
// utf8mb4 under a strict sql_mode: a cut inside a character would be refused).
std::string cut(const std::string& v, std::size_t max) {
  if (v.size() <= max) return v;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return v.substr(0, n);
}

Nullable<std::string> column(const std::string& v) {
  return v.empty() ? Nullable<std::string>() : Nullable<std::string>(cut(v, 64));
}

NotificationVerdict parseVerdict(const std::string& name) {
  for (auto v : {NotificationVerdict::kAccepted, NotificationVerdict::kDuplicate,
                 NotificationVerdict::kUnknownOrder, NotificationVerdict::kAmountMismatch,
                 NotificationVerdict::kBadSignature, NotificationVerdict::kMalformed}) {
    if (name == notificationVerdictName(v)) return v;
  }
  return NotificationVerdict::kMalformed;
}

std::string fenText(const std::optional<Fen>& f) {
  return f ? std::to_string(*f) + " fen" : std::string("none");
}

}  // namespace

bool isGenuineVerdict(NotificationVerdict v) {
  return v == NotificationVerdict::kAccepted || v == NotificationVerdict::kDuplicate ||
         v == NotificationVerdict::kUnknownOrder || v == NotificationVerdict::kAmountMismatch;
}

namespace {

// A value bound by copy (Keywords::bind; named so that ADL never finds std::bind).
template <typename T>
Poco::Data::AbstractBinding::Ptr param(T value) {
  return Poco::Data::Keywords::bind(std::move(value));
}

// A batch's statements over the text protocol, one round trip each (textQuery() in
// storage/database.h; a Poco::Data statement is a prepared statement: prepare and execute are two
// round trips, and close one more packet), and its SELECTs too (rows()), their values written as
// literals: strings quoted and escaped by the client library for the connection's character set
// (mysql_real_escape_string; every value here is valid UTF-8, the hardened parser refuses
// anything else), numbers as digits. The INSERT of the raw bodies stays a prepared statement
// (binary-safe). Errors carry "[mysql_errno]: N" like Poco's, so Database::run classifies them
// (retry on a lost connection or deadlock).
class TextSql {
 public:
  using Row = std::vector<std::optional<std::string>>;  // nullopt: SQL NULL

  explicit TextSql(Poco::Data::Session& s) : s_(s) {
    auto* impl = dynamic_cast<Poco::Data::MySQL::SessionImpl*>(s.impl());
    if (impl == nullptr) throw DbError(Status::internal("notify store: not a MySQL session"));
    h_ = impl->handle();
  }

  std::string quote(const std::string& v) const {
    std::string out(2 * v.size() + 3, '\0');
    out[0] = '\'';
    const unsigned long n = mysql_real_escape_string(h_, &out[1], v.data(), v.size());
    out.resize(n + 1);
    out += '\'';
    return out;
  }
  // quote() of each, comma-separated.
  template <typename Range>
  std::string list(const Range& values) const {
    std::string out;
    for (const auto& v : values) out += (out.empty() ? "" : ", ") + quote(v);
    return out;
  }

  // A statement without results (its text may appear in the error: no notification fields).
  void run(const std::string& sql) { textQuery(s_, sql); }

  std::vector<Row> rows(const std::string& sql) {
    if (mysql_real_query(h_, sql.data(), sql.size()) != 0) fail(sql);
    const std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> res(mysql_store_result(h_),
                                                              &mysql_free_result);
    if (res == nullptr) {
      if (mysql_errno(h_) != 0) fail(sql);
      return {};
    }
    std::vector<Row> out;
    const unsigned fields = mysql_num_fields(res.get());
    while (MYSQL_ROW r = mysql_fetch_row(res.get())) {
      const unsigned long* lengths = mysql_fetch_lengths(res.get());
      Row row(fields);
      for (unsigned f = 0; f < fields; ++f) {
        if (r[f] != nullptr) row[f] = std::string(r[f], lengths[f]);
      }
      out.push_back(std::move(row));
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& sql) {
    // The statement's first words only (textQuery() shows it all): its literals are notification
    // fields.
    throw Poco::Data::DataException(sql.substr(0, sql.find_first_of("(?'")) + ": " +
                                    mysql_error(h_) + " [mysql_errno]: " +
                                    std::to_string(mysql_errno(h_)));
  }
  Poco::Data::Session& s_;
  MYSQL* h_ = nullptr;
};

// A column that is never NULL, as text; an integer column.
const std::string& text(const TextSql::Row& r, std::size_t i) {
  if (!r.at(i)) throw DbError(Status::dataLoss("notify store: unexpected NULL"));
  return *r[i];
}
std::int64_t integer(const TextSql::Row& r, std::size_t i) { return std::stoll(text(r, i)); }

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

using OrderName = std::pair<std::string, std::string>;  // (mch_id, out_trade_no)
using TxnName = std::pair<std::string, std::string>;    // (mch_id, transaction_id)

// One dedup key of a batch: an existing row, or a row the batch inserts.
struct BatchRow {
  std::int64_t id = 0;  // 0 until inserted
  bool existed = false;
  bool created = false;    // inserted by this batch (not counted into a concurrent insert)
  bool redecided = false;  // an UNKNOWN_ORDER row whose order exists now
  NotificationVerdict verdict = NotificationVerdict::kMalformed;
  int times_before = 0;  // times_received before this batch's copies
  int copies = 0;        // copies in this batch
  std::size_t first = 0;  // the body that created or re-decided it
};

// Locks (FOR UPDATE) the orders named by verified bodies, one statement per merchant; the
// index order makes every process take these locks in the same order.
std::map<OrderName, Order> lockOrders(Poco::Data::Session& s,
                                     const std::vector<const ReceivedBody*>& bodies) {
  // merchant_order's keys are ASCII: another out_trade_no names no order (UNKNOWN_ORDER), and
  // comparing it with the column is an error ("Illegal mix of collations") that failed the
  // whole batch, every body in it answered FAIL on each resend.
  auto ascii = [](const std::string& v) {
    return std::all_of(v.begin(), v.end(), [](char c) { return (c & 0x80) == 0; });
  };
  std::map<std::string, std::set<std::string>> wanted;
  for (const ReceivedBody* b : bodies) {
    if (b->verified.verdict == NotificationVerdict::kAccepted && ascii(b->verified.mch_id) &&
        ascii(b->verified.out_trade_no)) {
      wanted[b->verified.mch_id].insert(b->verified.out_trade_no);
    }
  }
  std::map<OrderName, Order> orders;
  TextSql sql(s);
  for (const auto& [mch, nos] : wanted) {
    const auto rows = sql.rows(
        "SELECT id, out_trade_no, appid, total_fee, fee_type, state FROM merchant_order "
        "WHERE mch_id = " + sql.quote(mch) + " AND out_trade_no IN (" + sql.list(nos) +
        ") FOR UPDATE");
    for (const auto& r : rows) {
      Order o;
      o.id = integer(r, 0);
      o.mch_id = mch;
      o.out_trade_no = text(r, 1);
      o.appid = text(r, 2);
      o.total_fee = integer(r, 3);
      o.fee_type = text(r, 4);
      auto state = parseOrderState(text(r, 5));
      if (!state) {
        throw DbError(Status::dataLoss("merchant_order.state: " + state.status().message()));
      }
      o.state = *state;
      orders.emplace(OrderName{mch, o.out_trade_no}, std::move(o));
    }
  }
  return orders;
}

}  // namespace

struct MySqlNotificationStore::Batcher {
  struct Outcome {
    Status status;
    ReceiveResult result;
  };
  using Queue = GroupCommit<ReceivedBody, Outcome>;
  using SteadyClock = std::chrono::steady_clock;

  // How the group commit behaves under load (notify-server's /metrics, the benchmark).
  MetricsRegistry& r = MetricsRegistry::process();
  Histogram& batch_bodies =
      r.histogram("wxrecon_notify_store_batch_bodies", "Bodies per group-commit transaction.", {},
                  {1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 256})
          .get();
  Histogram& batch_seconds =
      r.histogram("wxrecon_notify_store_batch_seconds",
                  "Time to write one group-commit transaction (statements and COMMIT).", {},
                  {0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03,
                   0.05, 0.1, 0.25, 1})
          .get();
  Histogram& wait_seconds =
      r.histogram("wxrecon_notify_store_wait_seconds",
                  "Time from handing a body to the group commit to its committed result.", {},
                  {0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025,
                   0.03, 0.05, 0.1, 0.25, 1})
          .get();

  explicit Batcher(MySqlNotificationStore& store)
      : queue(
            [this, &store](const std::vector<Queue::Entry>& batch) {
              std::vector<const ReceivedBody*> bodies;
              bodies.reserve(batch.size());
              for (const auto& e : batch) bodies.push_back(e.item);
              const auto started = SteadyClock::now();
              auto stored = store.receiveBatch(bodies);
              batch_seconds.observe(
                  std::chrono::duration<double>(SteadyClock::now() - started).count());
              batch_bodies.observe(static_cast<double>(batch.size()));
              for (std::size_t i = 0; i < batch.size(); ++i) {
                if (stored) {
                  batch[i].outcome->result = std::move((*stored)[i]);
                } else {
                  batch[i].outcome->status = stored.status();
                }
              }
            },
            kMaxBatch) {}

  Queue queue;
};

MySqlNotificationStore::MySqlNotificationStore(Database& db, std::int64_t run_id)
    : db_(db), run_id_(run_id), batcher_(std::make_unique<Batcher>(*this)) {}

MySqlNotificationStore::~MySqlNotificationStore() = default;

std::uint64_t MySqlNotificationStore::batchesWritten() const { return batcher_->queue.batches(); }

Result<ReceiveResult> MySqlNotificationStore::receive(const ReceivedBody& body) {
  Batcher::Outcome outcome;
  const auto started = Batcher::SteadyClock::now();
  batcher_->queue.submit(body, outcome);
  batcher_->wait_seconds.observe(
      std::chrono::duration<double>(Batcher::SteadyClock::now() - started).count());
  if (!outcome.status.isOk()) return outcome.status;
  return std::move(outcome.result);
}

void MySqlNotificationStore::receiveAsync(ReceivedBody body, ReceiveDone done) {
  const auto started = Batcher::SteadyClock::now();
  batcher_->queue.submitAsync(
      std::move(body), [this, started, done = std::move(done)](ReceivedBody& b,
                                                                Batcher::Outcome& outcome) {
        batcher_->wait_seconds.observe(
            std::chrono::duration<double>(Batcher::SteadyClock::now() - started).count());
        if (!outcome.status.isOk()) return done(b, outcome.status);
        done(b, std::move(outcome.result));
      });
}

Result<std::vector<ReceiveResult>> MySqlNotificationStore::receiveBatch(
    const std::vector<const ReceivedBody*>& bodies) {
  std::vector<std::string> shas;
  shas.reserve(bodies.size());
  for (const ReceivedBody* b : bodies) shas.push_back(sha256Hex(b->raw_body));
  std::vector<ReceiveResult> results;
  if (bodies.empty()) return results;
  std::vector<Finding> opened;  // discrepancies opened: counted and logged once committed
  // READ COMMITTED for this unit only: under REPEATABLE READ the locking reads below take gap
  // locks on payment_notification's indexes, and batches of other processes would deadlock on
  // each other's inserts. Copies for one order are serialised by its row lock instead; the
  // dedup key is UNIQUE. The transaction is ours (not Database::run's) so the level applies to
  // it alone and the pooled session keeps the default. Rerun as a whole on a lost connection or
  // deadlock (Database::run).
  Status st = db_.run("notify-receive",
                      [&](Poco::Data::Session& s) {
                        TextSql sql(s);
                        sql.run("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
                        sql.run("START TRANSACTION");
                        opened.clear();
                        try {
                          receiveInTransaction(s, bodies, shas, results, opened);
                          // Its own COMMIT: the crash points Database::run has around one.
                          hooks::crashPoint("db.before_commit");
                          sql.run("COMMIT");
                          hooks::crashPoint("db.after_commit");
                        } catch (...) {
                          try {
                            sql.run("ROLLBACK");
                          } catch (...) {
                          }
                          throw;
                        }
                      },
                      {false, 6});
  if (!st.isOk()) return st;
  for (const Finding& f : opened) noteNewDiscrepancy(f);
  return results;
}

void MySqlNotificationStore::receiveInTransaction(Poco::Data::Session& s,
                                                  const std::vector<const ReceivedBody*>& bodies,
                                                  const std::vector<std::string>& shas,
                                                  std::vector<ReceiveResult>& results,
                                                  std::vector<Finding>& opened) {
  const std::size_t n = bodies.size();
  results.assign(n, ReceiveResult{});

  // 1. The orders, locked first: every copy for one order waits here for the batch before it.
  const std::map<OrderName, Order> orders = lockOrders(s, bodies);
  auto orderOf = [&](std::size_t i) -> const Order* {
    const auto it = orders.find({bodies[i]->verified.mch_id, bodies[i]->verified.out_trade_no});
    return it == orders.end() ? nullptr : &it->second;
  };

  // 2. Each body's verdict as a first copy, and its dedup key (namespace by genuineness).
  std::vector<NotificationVerdict> verdicts(n);
  std::vector<std::string> keys(n);
  for (std::size_t i = 0; i < n; ++i) {
    NotificationVerdict v = bodies[i]->verified.verdict;
    if (v == NotificationVerdict::kAccepted) {
      const Order* o = orderOf(i);
      v = o != nullptr ? checkAgainstOrder(bodies[i]->verified, *o)
                       : NotificationVerdict::kUnknownOrder;
    }
    verdicts[i] = v;
    keys[i] = isGenuineVerdict(v) ? shas[i] : sha256Hex("unverified:" + shas[i]);
  }

  // 3. The rows that already hold these keys, locked.
  TextSql sql(s);
  std::map<std::string, BatchRow> rows;
  {
    const std::set<std::string> distinct(keys.begin(), keys.end());
    for (const auto& r : sql.rows("SELECT id, dedup_key, verdict, times_received FROM "
                                  "payment_notification WHERE dedup_key IN (" +
                                  sql.list(distinct) + ") FOR UPDATE")) {
      BatchRow row;
      row.id = integer(r, 0);
      row.existed = true;
      row.verdict = parseVerdict(text(r, 2));
      row.times_before = static_cast<int>(integer(r, 3));
      rows.emplace(text(r, 1), row);
    }
  }

  // 4. ACCEPTED rows (other bytes) for the payments that could be ACCEPTED here: DUPLICATE.
  std::map<TxnName, std::vector<std::string>> accepted;  // dedup keys; "" for an outside row
  {
    std::map<std::string, std::set<std::string>> wanted;
    for (std::size_t i = 0; i < n; ++i) {
      if (verdicts[i] == NotificationVerdict::kAccepted) {
        wanted[bodies[i]->verified.mch_id].insert(cut(bodies[i]->verified.transaction_id, 64));
      }
    }
    for (const auto& [mch, txns] : wanted) {
      for (const auto& r : sql.rows("SELECT transaction_id, dedup_key FROM payment_notification "
                                    "WHERE mch_id = " + sql.quote(mch) +
                                    " AND transaction_id IN (" + sql.list(txns) +
                                    ") AND verdict = 'ACCEPTED' FOR UPDATE")) {
        accepted[{mch, text(r, 0)}].push_back(r[1].value_or(""));
      }
    }
  }
  auto decideDuplicate = [&](std::size_t i, NotificationVerdict v) {
    if (v != NotificationVerdict::kAccepted) return v;
    auto& keys_for_txn =
        accepted[{bodies[i]->verified.mch_id, cut(bodies[i]->verified.transaction_id, 64)}];
    for (const auto& k : keys_for_txn) {
      if (k != keys[i]) return NotificationVerdict::kDuplicate;
    }
    keys_for_txn.push_back(keys[i]);
    return v;
  };

  // 5. In arrival order: the first copy of a key creates its row; later ones count.
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, inserted] = rows.try_emplace(keys[i]);
    BatchRow& row = it->second;
    if (inserted) {
      row.verdict = decideDuplicate(i, verdicts[i]);
      row.first = i;
    } else if (row.existed && !row.redecided && row.verdict == NotificationVerdict::kUnknownOrder &&
               verdicts[i] != NotificationVerdict::kUnknownOrder &&
               isGenuineVerdict(verdicts[i])) {
      // Stored as UNKNOWN_ORDER, and the order exists now: decided again as a first copy.
      row.verdict = decideDuplicate(i, verdicts[i]);
      row.redecided = true;
      row.first = i;
    }
    ++row.copies;
  }

  // 6. Writes: the new rows in one INSERT (a key another process inserted meanwhile becomes a
  //    count), then their ids; the existing rows' counts (and re-decided verdicts) in one UPDATE.
  std::vector<std::string> new_keys;
  {
    Poco::Data::Statement st(s);
    st << "INSERT INTO payment_notification (mch_id, appid, out_trade_no, transaction_id, "
          "total_fee, time_end, sign_ok, verdict, raw_body, body_sha256, received_at, "
          "remote_addr, times_received, dedup_key, last_received_at, verified_at) VALUES ";
    for (const auto& [key, row] : rows) {
      if (row.existed) continue;
      const ReceivedBody& b = *bodies[row.first];
      const VerifiedNotification& v = b.verified;
      // Poco binds an empty BLOB as NULL (raw_body is NOT NULL, and one such body would fail
      // its whole batch): an empty body is written as the literal ''.
      st << (new_keys.empty() ? "" : ", ") << "(?, ?, ?, ?, ?, ?, ?, ?, "
         << (b.raw_body.empty() ? "''" : "?") << ", ?, NOW(3), ?, ?, ?, NOW(3), NOW(3))";
      st, param(column(v.mch_id)), param(column(v.appid)), param(column(v.out_trade_no)),
          param(column(v.transaction_id)),
          param(v.total_fee ? Nullable<std::int64_t>(*v.total_fee) : Nullable<std::int64_t>()),
          param(v.time_end ? Nullable<std::string>(formatUtcSql(*v.time_end))
                          : Nullable<std::string>()),
          param(v.sign_ok ? 1 : 0), param(std::string(notificationVerdictName(row.verdict)));
      if (!b.raw_body.empty()) {
        st, param(Poco::Data::BLOB(reinterpret_cast<const unsigned char*>(b.raw_body.data()),
                                   b.raw_body.size()));
      }
      st, param(shas[row.first]), param(column(b.remote_addr)), param(row.copies), param(key);
      new_keys.push_back(key);
    }
    if (!new_keys.empty()) {
      st << " ON DUPLICATE KEY UPDATE times_received = times_received + VALUES(times_received), "
            "last_received_at = NOW(3)";
      st.execute();
      for (const auto& r : sql.rows("SELECT id, dedup_key, verdict, times_received FROM "
                                    "payment_notification WHERE dedup_key IN (" +
                                    sql.list(new_keys) + ")")) {
        BatchRow& row = rows.at(text(r, 1));
        row.id = integer(r, 0);
        const int times = static_cast<int>(integer(r, 3));
        row.created = times == row.copies;
        if (!row.created) {  // counted into a row another process committed first
          row.times_before = times - row.copies;
          row.verdict = parseVerdict(text(r, 2));
        }
      }
    }
  }
  {
    // Ids and verdict names are ours (integers, fixed ASCII names): written as literals.
    std::string counts, verdict_cases, ids;
    for (const auto& [key, row] : rows) {
      if (!row.existed) continue;
      const std::string id = std::to_string(row.id);
      counts += " WHEN " + id + " THEN " + std::to_string(row.copies);
      if (row.redecided) {
        verdict_cases +=
            " WHEN " + id + " THEN '" + notificationVerdictName(row.verdict) + "'";
      }
      ids += (ids.empty() ? "" : ", ") + id;
    }
    if (!ids.empty()) {
      // Every copy is re-verified on receipt: verified_at moves with last_received_at.
      std::string update =
          "UPDATE payment_notification SET times_received = times_received + CASE id" + counts +
          " END, last_received_at = NOW(3), verified_at = NOW(3)";
      if (!verdict_cases.empty()) {
        update += ", verdict = CASE id" + verdict_cases + " ELSE verdict END";
      }
      sql.run(update + " WHERE id IN (" + ids + ")");
    }
  }

  // 7. Each copy's result, in arrival order.
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < n; ++i) {
    const BatchRow& row = rows.at(keys[i]);
    const int copy = ++seen[keys[i]];
    ReceiveResult& r = results[i];
    r.id = row.id;
    r.verdict = row.verdict;
    r.times_received = row.times_before + copy;
    r.new_row = row.created && copy == 1;
    const Order* o = orderOf(i);
    if (o != nullptr && isGenuineVerdict(row.verdict)) r.order = *o;
  }

  // 8. Discrepancies of the rows this batch created or re-decided.
  auto open = [&](Finding f) {
    if (upsertFinding(s, f, run_id_)) opened.push_back(std::move(f));
  };
  std::set<std::string> bad_signature_mchs;
  for (const auto& [key, row] : rows) {
    if (!row.created && !row.redecided) continue;
    const ReceivedBody& b = *bodies[row.first];
    const VerifiedNotification& v = b.verified;
    const std::string& sha = shas[row.first];
    if (row.redecided) {
      autoResolve(s, v.mch_id, v.out_trade_no,
                  {DiscrepancyKind::kNotifyUnknownOrder,
                   "the order exists now; notification " + std::to_string(row.id) +
                       " re-decided as " + notificationVerdictName(row.verdict)},
                  run_id_);
    }
    if (row.verdict == NotificationVerdict::kUnknownOrder) {
      open({DiscrepancyKind::kNotifyUnknownOrder, v.mch_id, cut(v.out_trade_no, 64),
            cut(v.transaction_id, 64), std::nullopt, "no such order",
            "notification total_fee=" + fenText(v.total_fee),
            "a verified notification names an order not in merchant_order "
            "(body_sha256=" + sha + ")"});
    } else if (row.verdict == NotificationVerdict::kAmountMismatch) {
      const Order* o = orderOf(row.first);
      open({DiscrepancyKind::kAmountMismatch, v.mch_id, v.out_trade_no, cut(v.transaction_id, 64),
            std::nullopt, std::to_string(o != nullptr ? o->total_fee : 0) + " fen",
            "notification " + fenText(v.total_fee),
            "a verified notification says paid with a different amount "
            "(body_sha256=" + sha + ")"});
    } else if (row.verdict == NotificationVerdict::kBadSignature && b.configured_mch) {
      bad_signature_mchs.insert(v.mch_id);
    }
  }
  if (!bad_signature_mchs.empty()) {
    // One row per merchant and Beijing day of receipt; the count is read from the table.
    std::vector<std::string> now_utc;
    s << "SELECT CAST(NOW(3) AS CHAR)", into(now_utc), now;
    auto t = parseUtcSql(now_utc.at(0));
    if (!t) throw DbError(Status::internal("NOW(3): " + t.status().message()));
    const CivilDate day = beijingDate(*t);
    for (const auto& mch : bad_signature_mchs) {
      std::string m = mch;
      std::string from = formatUtcSql(beijingDayStart(day));
      std::string to = formatUtcSql(beijingDayStart(addDays(day, 1)));
      std::vector<std::int64_t> count;
      s << "SELECT COALESCE(SUM(times_received), 0) FROM payment_notification WHERE mch_id = ? "
           "AND verdict = 'BAD_SIGNATURE' AND received_at >= ? AND received_at < ?",
          use(m), use(from), use(to), into(count), now;
      const std::string c = std::to_string(count.empty() ? 0 : count[0]);
      open({DiscrepancyKind::kNotifyBadSignature, mch, "", "", day, "",
            c + " notifications failed verification",
            c + " notification bodies naming this merchant failed verification "
                "this Beijing day (stored raw in payment_notification)"});
    }
  }
}
Result<std::vector<StoredNotification>> MySqlNotificationStore::forOrder(
    const std::string& mch_id, const std::string& out_trade_no) {
  std::vector<StoredNotification> out;
  Status st = db_.run(
      "notify-for-order",
      [&](Poco::Data::Session& s) {
        out.clear();
        std::string mch = mch_id, no = out_trade_no;
        Poco::Data::Statement q(s);
        q << "SELECT id, raw_body, body_sha256, verdict, CAST(received_at AS CHAR), "
             "times_received FROM payment_notification WHERE mch_id = ? AND out_trade_no = ? "
             "ORDER BY id",
            use(mch), use(no);
        q.execute();
        Poco::Data::RecordSet rs(q);
        for (std::size_t r = 0; r < rs.rowCount(); ++r) {
          StoredNotification n;
          n.id = rs.value(0, r).convert<std::int64_t>();
          n.raw_body = blobBytes(rs.value(1, r));
          n.body_sha256 = rs.value(2, r).convert<std::string>();
          if (!rs.value(3, r).isEmpty()) n.verdict = rs.value(3, r).convert<std::string>();
          auto t = parseUtcSql(rs.value(4, r).convert<std::string>());
          if (t) n.received_at = *t;
          n.times_received = rs.value(5, r).convert<int>();
          out.push_back(std::move(n));
        }
      },
      {false, 3});
  if (!st.isOk()) return st;
  return out;
}

Status MySqlNotificationStore::markDueNow(const std::vector<OrderKey>& orders) {
  if (orders.empty()) return Status::ok();
  constexpr std::size_t kPerStatement = 500;
  std::map<std::string, std::vector<std::string>> by_mch;
  for (const auto& o : orders) by_mch[o.mch_id].push_back(o.out_trade_no);
  return db_.run("notify-mark-due", [&](Poco::Data::Session& s) {
    for (const auto& [mch, nos] : by_mch) {
      for (std::size_t from = 0; from < nos.size(); from += kPerStatement) {
        const std::size_t to = std::min(nos.size(), from + kPerStatement);
        Poco::Data::Statement st(s);
        st << "UPDATE merchant_order SET next_check_at = NULL, version = version + 1 "
              "WHERE mch_id = ? AND out_trade_no IN (" + placeholders(to - from) + ") "
              "AND state IN ('NOTPAY','USERPAYING')",
            param(mch);
        for (std::size_t i = from; i < to; ++i) st, param(nos[i]);
        st.execute();
      }
    }
  });
}

}  // namespace wx
