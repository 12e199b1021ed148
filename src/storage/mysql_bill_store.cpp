#include "storage/mysql_bill_store.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include "common/log.h"
#include "storage/mysql_stores.h"

namespace wx {

using namespace Poco::Data::Keywords;
using Poco::Nullable;

namespace {

Nullable<std::string> orNull(const std::string& v) {
  return v.empty() ? Nullable<std::string>() : Nullable<std::string>(v);
}
Nullable<std::int64_t> orNull(const std::optional<std::int64_t>& v) {
  return v ? Nullable<std::int64_t>(*v) : Nullable<std::int64_t>();
}

}  // namespace

Result<std::int64_t> MySqlBillStore::saveFile(const BillFileRecord& f, std::int64_t run_id) {
  std::int64_t id = 0;
  Status st = db_.run("bill-file", [&](Poco::Data::Session& s) {
    std::string mch = f.mch_id, date = formatIsoDate(f.bill_date), type = f.bill_type,
                status = f.status, sha = f.sha256;
    std::int64_t rows = f.rows, run = run_id;
    Nullable<std::string> layout = orNull(f.layout), fee = orNull(f.fee_total),
                          reading = orNull(f.summary_reading),
                          error = orNull(f.error.substr(0, 1000)), path = orNull(f.stored_path);
    Nullable<std::int64_t> tc = orNull(f.trade_count), set = orNull(f.settlement_total_fen),
                           ref = orNull(f.refund_total_fen), cref = orNull(f.coupon_refund_total_fen),
                           ord = orNull(f.order_total_fen), app = orNull(f.refund_applied_total_fen);
    // The same bytes again add nothing: the first download's row stays as it was.
    s << "INSERT INTO bill_file (mch_id, bill_date, bill_type, status, `rows`, layout, "
         "trade_count, settlement_total_fen, refund_total_fen, coupon_refund_total_fen, "
         "fee_total, order_total_fen, refund_applied_total_fen, summary_reading, error, sha256, "
         "stored_path, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
         "ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)",
        use(mch), use(date), use(type), use(status), use(rows), use(layout), use(tc), use(set),
        use(ref), use(cref), use(fee), use(ord), use(app), use(reading), use(error), use(sha),
        use(path), use(run), now;
    s << "SELECT LAST_INSERT_ID()", into(id), now;
  });
  if (!st.isOk()) return st;
  return id;
}

Result<std::optional<BillFileRecord>> MySqlBillStore::newestUsable(const std::string& mch_id,
                                                                    const CivilDate& day,
                                                                    const std::string& bill_type) {
  std::optional<BillFileRecord> out;
  Status st = db_.run("bill-file-newest", [&](Poco::Data::Session& s) {
    out.reset();
    std::string mch = mch_id, date = formatIsoDate(day), type = bill_type;
    Poco::Data::Statement q(s);
    q << "SELECT id, status, `rows`, sha256, stored_path FROM bill_file WHERE mch_id = ? AND "
         "bill_date = ? AND bill_type = ? AND status IN ('OK','EMPTY') "
         "ORDER BY downloaded_at DESC, id DESC LIMIT 1",
        use(mch), use(date), use(type);
    q.execute();
    Poco::Data::RecordSet rs(q);
    if (rs.rowCount() == 0) return;
    BillFileRecord f;
    f.id = rs.value(0, 0).convert<std::int64_t>();
    f.mch_id = mch_id;
    f.bill_date = day;
    f.bill_type = bill_type;
    f.status = rs.value(1, 0).convert<std::string>();
    f.rows = rs.value(2, 0).convert<std::int64_t>();
    f.sha256 = rs.value(3, 0).convert<std::string>();
    if (!rs.value(4, 0).isEmpty()) f.stored_path = rs.value(4, 0).convert<std::string>();
    out = f;
  }, {false, 3});
  if (!st.isOk()) return st;
  return out;
}

Status MySqlBillStore::saveDay(const BillDayRecord& d) {
  return db_.run("bill-day", [&](Poco::Data::Session& s) {
    std::string mch = d.mch_id, date = formatIsoDate(d.bill_date), fee = d.bill_fee,
                status = d.bill_status;
    std::int64_t lc = d.local_count, la = d.local_amount_fen, bc = d.bill_count,
                 bo = d.bill_order_amount_fen, bs = d.bill_settlement_fen,
                 br = d.bill_refund_fen, bn = d.bill_net_fen, mc = d.matched_count,
                 ma = d.matched_amount_fen, ul = d.unmatched_local_count,
                 ub = d.unmatched_bill_count, nm = d.not_managed_count;
    Nullable<std::int64_t> file = d.bill_file_id > 0 ? Nullable<std::int64_t>(d.bill_file_id)
                                                     : Nullable<std::int64_t>();
    Nullable<std::int64_t> run =
        d.run_id > 0 ? Nullable<std::int64_t>(d.run_id) : Nullable<std::int64_t>();
    s << "REPLACE INTO bill_day (mch_id, bill_date, local_count, local_amount_fen, bill_count, "
         "bill_order_amount_fen, bill_settlement_fen, bill_refund_fen, bill_fee, bill_net_fen, "
         "matched_count, matched_amount_fen, unmatched_local_count, unmatched_bill_count, "
         "not_managed_count, bill_status, bill_file_id, run_id) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(mch), use(date), use(lc), use(la), use(bc), use(bo), use(bs), use(br), use(fee),
        use(bn), use(mc), use(ma), use(ul), use(ub), use(nm), use(status), use(file), use(run),
        now;
    // A usable bill of the day clears an earlier rejected download of it by itself (DESIGN.md
    // §4): the day is reconciled from this one.
    if (status == "OK" || status == "EMPTY") {
      std::string note = "cleared by itself: a later download of the day's bill was consistent (" +
                         status + ", bill_file " +
                         (d.bill_file_id > 0 ? std::to_string(d.bill_file_id) : "-") +
                         "); the day is reconciled from it";
      s << "UPDATE discrepancy SET status = 'RESOLVED', resolved_by = 'wxrecon', "
           "resolved_at = NOW(3), resolution_note = ?, last_run_id = COALESCE(?, last_run_id) "
           "WHERE kind = 'BILL_TOTALS_MISMATCH' AND mch_id = ? AND bill_date = ? AND "
           "status = 'OPEN'",
          use(note), use(run), use(mch), use(date), now;
    }
  });
}

Result<std::vector<Order>> MySqlBillStore::paidBetween(const std::string& mch_id, TimePoint from,
                                                       TimePoint to, const Order* after,
                                                       int limit) {
  std::vector<Order> out;
  // Keyset on idx_order_paid (mch_id, paid_at) + the primary key: each page is one index range
  // read, never a re-scan of the pages before it.
  std::string where = "mch_id = " + quotedList({mch_id}) + " AND paid_at >= '" +
                      formatUtcSql(from) + "' AND paid_at < '" + formatUtcSql(to) + "'";
  if (after != nullptr && after->paid_at) {
    const std::string t = formatUtcSql(*after->paid_at);
    where += " AND (paid_at > '" + t + "' OR (paid_at = '" + t +
             "' AND id > " + std::to_string(after->id) + "))";
  }
  Status st = db_.run("paid-between", [&](Poco::Data::Session& s) {
    out.clear();
    std::vector<std::int64_t> ids, fees;
    std::vector<std::string> nos, states, txns, paid;
    // FORCE INDEX: for a keyset page MariaDB 10.11 chose `ref` on mch_id alone and filtered
    // the merchant's whole index from its start, so page k examined k pages (755,030 rows for a
    // 5,000-row page late in a 1,000,000-order day); forced, it reads the range on
    // (mch_id, paid_at, id). Only the columns the match needs, extracted in bulk (a RecordSet
    // of every column cost more client CPU than the rest of the match).
    s << "SELECT id, out_trade_no, total_fee, state, COALESCE(transaction_id, ''), "
         "CAST(paid_at AS CHAR) FROM merchant_order FORCE INDEX (idx_order_paid) WHERE " +
             where + " ORDER BY paid_at, id LIMIT " + std::to_string(limit),
        into(ids), into(nos), into(fees), into(states), into(txns), into(paid), now;
    out.resize(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      Order& o = out[i];
      o.id = ids[i];
      o.mch_id = mch_id;
      o.out_trade_no = std::move(nos[i]);
      o.total_fee = fees[i];
      auto state = parseOrderState(states[i]);
      if (!state) {
        throw DbError(Status::dataLoss("merchant_order.state: " + state.status().message()));
      }
      o.state = *state;
      if (!txns[i].empty()) o.transaction_id = std::move(txns[i]);
      auto t = parseUtcSql(paid[i]);
      if (!t) throw DbError(Status::dataLoss("merchant_order.paid_at: " + t.status().message()));
      o.paid_at = *t;
    }
  }, {false, 3});
  if (!st.isOk()) return st;
  return out;
}

Result<std::vector<Order>> MySqlBillStore::findByKeys(const std::vector<OrderKey>& keys) {
  std::vector<Order> out;
  if (keys.empty()) return out;
  Status st = db_.run("orders-by-key", [&](Poco::Data::Session& s) {
    std::vector<std::int64_t> ids;
    // out_trade_no may hold any printable character: bound parameters, one lookup each.
    for (const auto& k : keys) {
      std::string mch = k.mch_id, no = k.out_trade_no;
      std::vector<std::int64_t> one;
      s << "SELECT id FROM merchant_order WHERE mch_id = ? AND out_trade_no = ?", use(mch),
          use(no), into(one), now;
      ids.insert(ids.end(), one.begin(), one.end());
    }
    out.clear();
    if (ids.empty()) return;
    std::string list;
    for (auto id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
    out = readOrders(s, "id IN (" + list + ")");
  }, {false, 3});
  if (!st.isOk()) return st;
  return out;
}

Result<std::vector<StoredNotification>> MySqlBillStore::notificationsReceived(
    const std::string& mch_id, TimePoint from, TimePoint to, std::int64_t after_id, int limit) {
  std::vector<StoredNotification> out;
  Status st = db_.run("notifications-received", [&](Poco::Data::Session& s) {
    out.clear();
    std::string mch = mch_id, a = formatUtcSql(from), b = formatUtcSql(to);
    std::int64_t after = after_id;
    Poco::Data::Statement q(s);
    q << "SELECT id, raw_body, body_sha256 FROM payment_notification WHERE mch_id = ? AND "
         "received_at >= ? AND received_at < ? AND id > ? ORDER BY id LIMIT " +
             std::to_string(limit),
        use(mch), use(a), use(b), use(after);
    q.execute();
    Poco::Data::RecordSet rs(q);
    for (std::size_t r = 0; r < rs.rowCount(); ++r) {
      StoredNotification n;
      n.id = rs.value(0, r).convert<std::int64_t>();
      n.raw_body = blobBytes(rs.value(1, r));
      n.body_sha256 = rs.value(2, r).convert<std::string>();
      out.push_back(std::move(n));
    }
  }, {false, 3});
  if (!st.isOk()) return st;
  return out;
}

Result<std::unique_ptr<NamedDbLock>> NamedDbLock::tryAcquire(Database& db,
                                                             const std::string& name) {
  try {
    Database::Conn conn = db.acquire();
    std::string n = name;
    Nullable<std::int64_t> got;
    conn.session() << "SELECT GET_LOCK(?, 0)", use(n), into(got), now;
    const bool acquired = !got.isNull() && got.value() == 1;
    return std::unique_ptr<NamedDbLock>(new NamedDbLock(std::move(conn), name, acquired));
  } catch (const DbError& e) {
    return e.status();
  } catch (const Poco::Exception& e) {
    return Status::unavailable("GET_LOCK('" + name + "'): " + e.displayText());
  }
}

NamedDbLock::~NamedDbLock() {
  if (acquired_) {
    try {
      std::string n = name_;
      conn_.session() << "DO RELEASE_LOCK(?)", use(n), now;
    } catch (const Poco::Exception& e) {
      logWarning("bill.unlock_failed", {{"lock", name_}, {"error", e.displayText()}});
    }
  }
  conn_.discard();  // closing the connection releases whatever it still holds
}

}  // namespace wx
