#include "storage/mysql_notification_store.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include "common/hash.h"
#include "storage/database.h"
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

// Order columns read inside the receive transaction (the order row is locked FOR UPDATE).
std::optional<Order> lockOrder(Poco::Data::Session& s, const std::string& mch_id,
                               const std::string& out_trade_no) {
  std::string mch = mch_id, no = out_trade_no;
  Poco::Data::Statement st(s);
  st << "SELECT id, appid, total_fee, fee_type, state FROM merchant_order "
        "WHERE mch_id = ? AND out_trade_no = ? FOR UPDATE",
      use(mch), use(no);
  st.execute();
  Poco::Data::RecordSet rs(st);
  if (rs.rowCount() == 0) return std::nullopt;
  Order o;
  o.id = rs.value(0, 0).convert<std::int64_t>();
  o.mch_id = mch_id;
  o.out_trade_no = out_trade_no;
  o.appid = rs.value(1, 0).convert<std::string>();
  o.total_fee = rs.value(2, 0).convert<std::int64_t>();
  o.fee_type = rs.value(3, 0).convert<std::string>();
  auto state = parseOrderState(rs.value(4, 0).convert<std::string>());
  if (!state) throw DbError(Status::dataLoss("merchant_order.state: " + state.status().message()));
  o.state = *state;
  return o;
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

Result<ReceiveResult> MySqlNotificationStore::receive(const ReceivedBody& body) {
  const std::string sha = sha256Hex(body.raw_body);
  ReceiveResult result;
  // A repeat of a stored body (WeChat's parallel copies, replays): one conditional UPDATE counts
  // it, in the dedup namespace the verifier predicts. A miss (or a body whose verdict changed
  // namespace, e.g. an appid that is not the order's) takes the full path below.
  bool repeat = false;
  Status fast = db_.run(
      "notify-repeat",
      [&](Poco::Data::Session& s) {
        repeat = false;
        std::string key = body.verified.verdict == NotificationVerdict::kAccepted
                              ? sha
                              : sha256Hex("unverified:" + sha);
        Poco::Data::Statement upd(s);
        upd << "UPDATE payment_notification SET times_received = times_received + 1, "
               "last_received_at = NOW(3) WHERE dedup_key = ?",
            use(key);
        if (upd.execute() == 0) return;
        std::vector<std::int64_t> ids;
        std::vector<std::string> verdicts;
        std::vector<int> times;
        s << "SELECT id, verdict, times_received FROM payment_notification WHERE dedup_key = ?",
            use(key), into(ids), into(verdicts), into(times), now;
        if (ids.size() != 1) return;
        result = ReceiveResult{};
        result.id = ids[0];
        result.times_received = times[0];
        result.new_row = false;
        result.verdict = parseVerdict(verdicts[0]);
        repeat = true;
      },
      {false, 6});
  if (!fast.isOk()) return fast;
  if (repeat) return result;
  // READ COMMITTED for this unit only: under REPEATABLE READ the locking reads below take gap
  // locks on payment_notification's indexes, and copies for *neighbouring* orders then deadlock
  // on each other's inserts. Copies for one order are serialised by its row lock instead; the
  // dedup key is UNIQUE. The transaction is ours (not Database::run's) so the level applies to
  // it alone and the pooled session keeps the default.
  Status st = db_.run("notify-receive",
                      [&](Poco::Data::Session& s) {
                        s << "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", now;
                        s << "START TRANSACTION", now;
                        try {
                          receiveInTransaction(s, body, sha, result);
                          s << "COMMIT", now;
                        } catch (...) {
                          try {
                            s << "ROLLBACK", now;
                          } catch (...) {
                          }
                          throw;
                        }
                      },
                      {false, 6});
  if (!st.isOk()) return st;
  return result;
}

void MySqlNotificationStore::receiveInTransaction(Poco::Data::Session& s, const ReceivedBody& body,
                                                  const std::string& sha, ReceiveResult& result) {
  const VerifiedNotification& n = body.verified;
  {
    result = ReceiveResult{};
    NotificationVerdict verdict = n.verdict;
    if (n.verdict == NotificationVerdict::kAccepted) {
      // Serialise every copy for this order on its row (WeChat: "lock row, check, process once").
      result.order = lockOrder(s, n.mch_id, n.out_trade_no);
      verdict =
          result.order ? checkAgainstOrder(n, *result.order) : NotificationVerdict::kUnknownOrder;
    }
    const bool genuine = isGenuineVerdict(verdict);
    const std::string dedup = genuine ? sha : sha256Hex("unverified:" + sha);
    if (verdict == NotificationVerdict::kAccepted) {
      // Another body (other bytes) already ACCEPTED for this payment: this one is a DUPLICATE.
      std::string mch = n.mch_id, txn = cut(n.transaction_id, 64), key = dedup;
      std::vector<std::int64_t> others;
      s << "SELECT id FROM payment_notification WHERE mch_id = ? AND transaction_id = ? "
           "AND verdict = 'ACCEPTED' AND (dedup_key IS NULL OR dedup_key <> ?) FOR UPDATE",
          use(mch), use(txn), use(key), into(others), now;
      if (!others.empty()) verdict = NotificationVerdict::kDuplicate;
    }
    Nullable<std::string> mch = column(n.mch_id), appid = column(n.appid),
                          no = column(n.out_trade_no), txn = column(n.transaction_id);
    Nullable<std::int64_t> fee =
        n.total_fee ? Nullable<std::int64_t>(*n.total_fee) : Nullable<std::int64_t>();
    Nullable<std::string> time_end =
        n.time_end ? Nullable<std::string>(formatUtcSql(*n.time_end)) : Nullable<std::string>();
    Nullable<int> sign_ok = Nullable<int>(n.sign_ok ? 1 : 0);
    std::string verdict_name = notificationVerdictName(verdict);
    Poco::Data::BLOB raw(reinterpret_cast<const unsigned char*>(body.raw_body.data()),
                         body.raw_body.size());
    std::string body_sha = sha, key = dedup;
    Nullable<std::string> remote = column(body.remote_addr);
    // LAST_INSERT_ID(id) makes the id of the existing row readable after an update.
    s << "INSERT INTO payment_notification (mch_id, appid, out_trade_no, transaction_id, "
         "total_fee, time_end, sign_ok, verdict, raw_body, body_sha256, received_at, remote_addr, "
         "times_received, dedup_key, last_received_at, verified_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
         "?, ?, ?, NOW(3), ?, 1, ?, NOW(3), NOW(3)) ON DUPLICATE KEY UPDATE "
         "id = LAST_INSERT_ID(id), times_received = times_received + 1, "
         "last_received_at = NOW(3)",
        use(mch), use(appid), use(no), use(txn), use(fee), use(time_end), use(sign_ok),
        use(verdict_name), use(raw), use(body_sha), use(remote), use(key), now;
    std::vector<std::int64_t> ids;
    std::vector<std::string> verdicts;
    std::vector<int> times;
    s << "SELECT id, verdict, times_received FROM payment_notification "
         "WHERE id = LAST_INSERT_ID()",
        into(ids), into(verdicts), into(times), now;
    if (ids.size() != 1) throw DbError(Status::internal("payment_notification: row not found"));
    result.id = ids[0];
    result.times_received = times[0];
    result.new_row = times[0] == 1;  // our row lock is held: nobody else counted it yet
    result.verdict = parseVerdict(verdicts[0]);
    if (!result.new_row) return;

    std::vector<Finding> findings;
    if (result.verdict == NotificationVerdict::kUnknownOrder) {
      findings.push_back({DiscrepancyKind::kNotifyUnknownOrder, n.mch_id, cut(n.out_trade_no, 64),
                          cut(n.transaction_id, 64), std::nullopt, "no such order",
                          "notification total_fee=" + fenText(n.total_fee),
                          "a verified notification names an order not in merchant_order "
                          "(body_sha256=" +
                              sha + ")"});
    } else if (result.verdict == NotificationVerdict::kAmountMismatch && result.order) {
      findings.push_back({DiscrepancyKind::kAmountMismatch, n.mch_id, n.out_trade_no,
                          cut(n.transaction_id, 64), std::nullopt,
                          std::to_string(result.order->total_fee) + " fen",
                          "notification " + fenText(n.total_fee),
                          "a verified notification says paid with a different amount "
                          "(body_sha256=" +
                              sha + ")"});
    } else if (result.verdict == NotificationVerdict::kBadSignature && body.configured_mch) {
      // One row per merchant and Beijing day of receipt; the count is read from the table.
      std::string m = n.mch_id;
      std::vector<std::string> now_utc;
      s << "SELECT CAST(NOW(3) AS CHAR)", into(now_utc), now;
      auto t = parseUtcSql(now_utc.at(0));
      if (!t) throw DbError(Status::internal("NOW(3): " + t.status().message()));
      const CivilDate day = beijingDate(*t);
      std::string from = formatUtcSql(beijingDayStart(day));
      std::string to = formatUtcSql(beijingDayStart(addDays(day, 1)));
      std::vector<std::int64_t> count;
      s << "SELECT COALESCE(SUM(times_received), 0) FROM payment_notification WHERE mch_id = ? "
           "AND verdict = 'BAD_SIGNATURE' AND received_at >= ? AND received_at < ?",
          use(m), use(from), use(to), into(count), now;
      const std::string c = std::to_string(count.empty() ? 0 : count[0]);
      findings.push_back({DiscrepancyKind::kNotifyBadSignature, n.mch_id, "", "", day, "",
                          c + " notifications failed verification",
                          c + " notification bodies naming this merchant failed verification "
                              "this Beijing day (stored raw in payment_notification)"});
    }
    for (const auto& f : findings) upsertFinding(s, f, run_id_);
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
          const auto& blob = rs.value(1, r);
          if (blob.type() == typeid(Poco::Data::BLOB)) {
            const auto& b = blob.extract<Poco::Data::BLOB>();
            n.raw_body.assign(reinterpret_cast<const char*>(b.rawContent()), b.size());
          } else {
            n.raw_body = blob.convert<std::string>();
          }
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

Status MySqlNotificationStore::markDueNow(const std::string& mch_id,
                                          const std::string& out_trade_no) {
  return db_.run("notify-mark-due",
                 [&](Poco::Data::Session& s) {
                   std::string mch = mch_id, no = out_trade_no;
                   s << "UPDATE merchant_order SET next_check_at = NULL WHERE mch_id = ? AND "
                        "out_trade_no = ? AND state IN ('NOTPAY','USERPAYING')",
                       use(mch), use(no), now;
                 },
                 {false, 3});
}

}  // namespace wx
