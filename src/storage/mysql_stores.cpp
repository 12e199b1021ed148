#include "storage/mysql_stores.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Environment.h>
#include <Poco/Nullable.h>
#include <Poco/Process.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include "common/test_hooks.h"
#include "service/run_metrics.h"
#include "storage/database.h"

namespace wx {

using namespace Poco::Data::Keywords;
using Poco::Nullable;

namespace {

const char* const kOrderColumns =
    "id, mch_id, appid, out_trade_no, total_fee, fee_type, state, transaction_id, "
    "CAST(paid_at AS CHAR), CAST(created_at AS CHAR), CAST(expire_at AS CHAR), "
    "CAST(next_check_at AS CHAR), check_attempts, lease_generation, version, "
    "CAST(close_confirm_at AS CHAR), CAST(not_exist_first_at AS CHAR)";

std::optional<TimePoint> timeAt(Poco::Data::RecordSet& rs, std::size_t col, std::size_t row) {
  const Poco::Dynamic::Var& v = rs.value(col, row);
  if (v.isEmpty()) return std::nullopt;
  auto t = parseUtcSql(v.convert<std::string>());
  if (!t) throw DbError(Status::dataLoss("merchant_order: " + t.status().message()));
  return *t;
}

std::string idList(const std::vector<std::int64_t>& ids) {
  std::string s;
  for (auto id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

// mch_ids come from the validated config ([A-Za-z0-9_-]); quote them for an IN list.
Nullable<std::string> nullIfEmpty(const std::string& v) {
  return v.empty() ? Nullable<std::string>() : Nullable<std::string>(v);
}

}  // namespace

std::string quotedList(const std::vector<std::string>& values) {
  std::string s;
  for (const auto& v : values) {
    std::string safe;
    for (char c : v) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') safe += c;
    }
    s += (s.empty() ? "'" : ",'") + safe + "'";
  }
  return s;
}


std::vector<Order> readOrders(Poco::Data::Session& s, const std::string& where,
                              const std::string& suffix, const std::string& order_by) {
  Poco::Data::Statement st(s);
  st << std::string("SELECT ") + kOrderColumns + " FROM merchant_order WHERE " + where +
            " ORDER BY " + order_by + suffix;
  st.execute();
  Poco::Data::RecordSet rs(st);
  std::vector<Order> out;
  out.reserve(rs.rowCount());
  for (std::size_t r = 0; r < rs.rowCount(); ++r) {
    Order o;
    o.id = rs.value(0, r).convert<std::int64_t>();
    o.mch_id = rs.value(1, r).convert<std::string>();
    o.appid = rs.value(2, r).convert<std::string>();
    o.out_trade_no = rs.value(3, r).convert<std::string>();
    o.total_fee = rs.value(4, r).convert<std::int64_t>();
    o.fee_type = rs.value(5, r).convert<std::string>();
    auto state = parseOrderState(rs.value(6, r).convert<std::string>());
    if (!state) throw DbError(Status::dataLoss("merchant_order.state: " + state.status().message()));
    o.state = *state;
    if (!rs.value(7, r).isEmpty()) o.transaction_id = rs.value(7, r).convert<std::string>();
    o.paid_at = timeAt(rs, 8, r);
    o.created_at = *timeAt(rs, 9, r);
    o.expire_at = *timeAt(rs, 10, r);
    o.next_check_at = timeAt(rs, 11, r);
    o.check_attempts = rs.value(12, r).convert<int>();
    o.lease_generation = rs.value(13, r).convert<std::int64_t>();
    o.version = rs.value(14, r).convert<std::int64_t>();
    o.close_confirm_at = timeAt(rs, 15, r);
    o.not_exist_first_at = timeAt(rs, 16, r);
    out.push_back(std::move(o));
  }
  return out;
}

namespace {

// SQL literal of a time we formatted ourselves, or NULL.
std::string timeLiteral(const std::optional<TimePoint>& t) {
  return t ? "'" + formatUtcSql(*t) + "'" : std::string("NULL");
}

// Inside the batch's transaction, the compare-and-set of every order (RELIABILITY.md invariants 4
// and 10) in two statements whatever the batch size:
// 1. lock the batch's rows (FOR UPDATE, in id order) and read their fence: version, lease
//    generation, and whether our lease is still ours and unexpired. A locking read sees the
//    latest committed row, and the lock keeps it so until COMMIT. An order whose fence differs
//    from what it was claimed with is left alone (written[i] stays empty): nothing is written
//    for it, and the others go on.
// 2. one UPDATE of exactly the orders that passed, each with its own values, repeating the
//    fence in its WHERE; the row count must be their number (else nothing is committed).
// transaction_id, once set, never changes (COALESCE); it is the only value from outside, so it
// is bound, never spliced.
void fenceAndUpdate(Poco::Data::Session& s, const std::vector<OrderStore::ApplyItem>& items,
                    const std::vector<std::size_t>& by_id, const std::string& owner,
                    std::vector<std::optional<ApplyResult>>& written) {
  std::vector<std::int64_t> ids;
  for (std::size_t i : by_id) ids.push_back(items[i].claimed.id);
  std::string lease_owner = owner;
  std::vector<std::int64_t> row_ids, versions, generations, ours;
  s << "SELECT id, version, lease_generation, "
       "COALESCE(lease_owner = ? AND lease_until >= NOW(3), 0) FROM merchant_order "
       "WHERE id IN (" + idList(ids) + ") ORDER BY id FOR UPDATE",
      use(lease_owner), into(row_ids), into(versions), into(generations), into(ours), now;
  std::map<std::int64_t, std::size_t> row_of;
  for (std::size_t r = 0; r < row_ids.size(); ++r) row_of[row_ids[r]] = r;
  std::vector<std::size_t> pass;  // item indexes, in id order
  const bool unfenced = hooks::broken(hooks::Break::kNoVersionCheck);  // test build only
  for (std::size_t i : by_id) {
    const Order& o = items[i].claimed;
    auto it = row_of.find(o.id);
    if (it == row_of.end()) continue;
    const std::size_t r = it->second;
    if (!unfenced &&
        (versions[r] != o.version || generations[r] != o.lease_generation || ours[r] != 1)) {
      continue;
    }
    row_of.erase(it);  // the same order twice in a batch: only the first may write
    pass.push_back(i);
  }
  if (pass.empty()) return;

  std::string when_state, when_txn, when_paid, when_next, when_attempts, when_confirm,
      when_not_exist, fence, pass_ids;
  std::vector<std::string> txns;  // bound by reference: complete before binding
  for (std::size_t i : pass) {
    const Order& o = items[i].claimed;
    const Decision& d = items[i].decision;
    const std::string when = " WHEN " + std::to_string(o.id) + " THEN ";
    when_state += when + "'" + orderStateName(d.finalState().value_or(o.state)) + "'";
    if (d.set_transaction_id) {
      when_txn += when + "?";
      txns.push_back(*d.set_transaction_id);
    }
    if (d.set_paid_at) when_paid += when + timeLiteral(d.set_paid_at);
    when_next += when + timeLiteral(d.next_check_at);
    when_attempts += when + std::to_string(d.check_attempts);
    when_confirm += when + timeLiteral(d.close_confirm_at);
    when_not_exist += when + timeLiteral(d.not_exist_first_at);
    fence += (fence.empty() ? "" : " OR ") + std::string("(id = ") + std::to_string(o.id) +
             " AND version = " + std::to_string(o.version) +
             " AND lease_generation = " + std::to_string(o.lease_generation) + ")";
    pass_ids += (pass_ids.empty() ? "" : ",") + std::to_string(o.id);
  }
  // FORCE INDEX: on a small table MariaDB plans this UPDATE (its long OR of fences) as a full
  // index scan, and in REPEATABLE READ that locks every row of the table until COMMIT, hiding
  // them all from concurrent claims (EXPLAIN on 200 orders: type=index, rows 200; with the
  // hint: range, 64). The same for the claims' lease UPDATEs below.
  std::string sql =
      "UPDATE merchant_order FORCE INDEX (PRIMARY) SET state = CASE id" + when_state + " END";
  if (!when_txn.empty()) {
    sql += ", transaction_id = COALESCE(transaction_id, CASE id" + when_txn + " END)";
  }
  if (!when_paid.empty()) sql += ", paid_at = COALESCE(CASE id" + when_paid + " END, paid_at)";
  sql += ", next_check_at = CASE id" + when_next + " END, check_attempts = CASE id" +
         when_attempts + " END, close_confirm_at = CASE id" + when_confirm +
         " END, not_exist_first_at = CASE id" + when_not_exist +
         " END, lease_owner = NULL, lease_until = NULL, version = version + 1 WHERE id IN (" +
         pass_ids + ") AND " +
         (unfenced ? std::string("? IS NOT NULL")
                   : "lease_owner = ? AND lease_until >= NOW(3) AND (" + fence + ")");
  Poco::Data::Statement upd(s);
  upd << sql;
  for (auto& t : txns) upd.addBind(use(t));
  upd.addBind(use(lease_owner));
  const std::size_t updated = upd.execute();
  if (updated != pass.size()) {
    // The rows are locked by this transaction: only a bug gets here. Commit nothing.
    throw DbError(Status::internal("apply: " + std::to_string(updated) + " of " +
                                   std::to_string(pass.size()) + " fenced orders updated"));
  }
  for (std::size_t i : pass) written[i] = ApplyResult{};
}

// Inside the batch's transaction: the order_transition rows of the written orders, in as few
// multi-row INSERTs as possible (Poco's use(vector) would run one statement per row).
void insertTransitions(Poco::Data::Session& s, const std::vector<OrderStore::ApplyItem>& items,
                       std::vector<std::optional<ApplyResult>>& written, std::int64_t run_id) {
  constexpr std::size_t kRowsPerInsert = 500;
  struct Row {
    std::int64_t order_id;
    std::string from, to, source, evidence;
    Nullable<std::int64_t> run;
  };
  std::vector<Row> rows;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!written[i]) continue;
    for (const auto& t : items[i].decision.transitions) {
      rows.push_back({items[i].claimed.id, orderStateName(t.from), orderStateName(t.to),
                      transitionSourceName(t.source), t.evidence.substr(0, 2000),
                      run_id > 0 ? Nullable<std::int64_t>(run_id) : Nullable<std::int64_t>()});
      ++written[i]->transitions;
    }
  }
  // rows is complete: the bindings below refer to its elements, which no longer move.
  for (std::size_t from = 0; from < rows.size(); from += kRowsPerInsert) {
    const std::size_t to = std::min(rows.size(), from + kRowsPerInsert);
    std::string sql =
        "INSERT INTO order_transition (order_id, from_state, to_state, source, run_id, evidence, "
        "at) VALUES ";
    for (std::size_t r = from; r < to; ++r) sql += r == from ? "(?,?,?,?,?,?,NOW(3))" : ",(?,?,?,?,?,?,NOW(3))";
    Poco::Data::Statement ins(s);
    ins << sql;
    for (std::size_t r = from; r < to; ++r) {
      Row& row = rows[r];
      ins, use(row.order_id), use(row.from), use(row.to), use(row.source), use(row.run),
          use(row.evidence);
    }
    ins.execute();
  }
}

}  // namespace

const char* runKindName(RunKind k) {
  switch (k) {
    case RunKind::kSweep: return "sweep";
    case RunKind::kBill: return "bill";
    case RunKind::kRerun: return "rerun";
    case RunKind::kReport: return "report";
    case RunKind::kResolve: return "resolve";
    case RunKind::kNotify: return "notify";
  }
  return "?";
}

Result<std::vector<Order>> MySqlOrderStore::claimDue(const ClaimRequest& r) {
  std::vector<Order> out;
  if (r.mch_ids.empty() || r.limit <= 0) return out;
  const std::string mch = quotedList(r.mch_ids);
  // Due orders whose rows were all locked by other transactions in flight (another worker's
  // claim, a writer's batch about to COMMIT): SKIP LOCKED rightly passes them, but an empty
  // answer then would tell the sweep that nothing is due and end its run early (T5 at 200
  // orders, T4/T6 under load). Such locks last milliseconds, so the claim is tried again,
  // 10 times over about a second; a transaction that holds them longer (a worker stopped
  // mid-claim) leaves them to the next run.
  bool busy = false;
  Status st = Status::ok();
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
    st = claimDueOnce(r, mch, out, busy);
    if (!st.isOk() || !out.empty() || !busy) break;
  }
  if (!st.isOk()) return st;
  return out;
}

Status MySqlOrderStore::claimDueOnce(const ClaimRequest& r, const std::string& mch,
                                     std::vector<Order>& out, bool& busy) {
  return db_.run("claim", [&](Poco::Data::Session& s) {
    out.clear();
    busy = false;
    // Two steps, so that a claim never locks rows it does not take: a locking scan over
    // idx_order_due would lock (REPEATABLE READ) every row it examines, leased ones included,
    // and a worker stalled inside that short transaction (SIGSTOP, a GC-like pause) would
    // then hide them from every other worker's SKIP LOCKED until it resumes.
    // 1. Candidates by a plain consistent read (no locks). The range on idx_order_due
    //    (state, mch_id, next_check_at) never touches finished orders. 4 x limit, so that up to four
    //    workers claiming at the same instant each still get a full batch.
    const std::string due_lease =
        "(lease_until IS NULL OR lease_until < NOW(3))" +
        (r.exclude_ids.empty() ? std::string() : " AND id NOT IN (" + idList(r.exclude_ids) + ")");
    const std::string candidates_limit = std::to_string(4 * r.limit);
    std::vector<std::int64_t> candidates;
    // FORCE INDEX: with statistics of a small table MariaDB chose a rowid filter on
    // idx_order_paid and read every row of the merchant (the sweep benchmark's EXPLAIN).
    s << "SELECT id FROM merchant_order FORCE INDEX (idx_order_due) "
         "WHERE state IN ('NOTPAY','USERPAYING') "
         "AND (next_check_at IS NULL OR next_check_at <= NOW(3)) AND " + due_lease +
             " AND mch_id IN (" + mch + ") LIMIT " + candidates_limit,
        into(candidates), now;
    if (static_cast<int>(candidates.size()) < 4 * r.limit) {
      // CLOSED orders whose confirming query is due (close=SUCCESS, requery=NOTPAY).
      std::vector<std::int64_t> confirm;
      s << "SELECT id FROM merchant_order WHERE close_confirm_at <= NOW(3) AND state = 'CLOSED' "
           "AND " + due_lease + " AND mch_id IN (" + mch + ") LIMIT " + candidates_limit,
          into(confirm), now;
      candidates.insert(candidates.end(), confirm.begin(), confirm.end());
    }
    if (candidates.empty()) return;
    // 2. Lock up to `limit` of them by primary key, skipping those another worker holds, and
    //    re-check the conditions on the current row (a locking read sees committed leases).
    std::vector<std::int64_t> ids;
    s << "SELECT id FROM merchant_order WHERE id IN (" + idList(candidates) + ") AND " +
             due_lease +
             " AND ((state IN ('NOTPAY','USERPAYING') AND (next_check_at IS NULL OR "
             "next_check_at <= NOW(3))) OR (state = 'CLOSED' AND close_confirm_at <= NOW(3))) "
             "ORDER BY id LIMIT " + std::to_string(r.limit) + " FOR UPDATE SKIP LOCKED",
        into(ids), now;
    if (ids.empty()) {
      // Candidates, none lockable: held by other transactions, or no longer due (claimed and
      // committed since the read in step 1 — the retry's step 1 no longer finds those).
      busy = true;
      return;
    }
    std::string owner = r.owner;
    int lease = r.lease_s;
    s << "UPDATE merchant_order FORCE INDEX (PRIMARY) SET lease_owner = ?, "
         "lease_until = NOW(3) + INTERVAL ? SECOND, "
         "lease_generation = lease_generation + 1 WHERE id IN (" + idList(ids) + ")",
        use(owner), use(lease), now;
    out = readOrders(s, "id IN (" + idList(ids) + ")");
  });
}

namespace {
// The orders claimByIds/peekByIds take: unfinished ones (all with include_finished), not under
// a live lease.
std::string claimableByIds(const std::vector<std::int64_t>& ids, bool include_finished) {
  return "id IN (" + idList(ids) + ") AND " +
         (include_finished ? "" : "state IN ('NOTPAY','USERPAYING') AND ") +
         "(lease_until IS NULL OR lease_until < NOW(3))";
}
}  // namespace

Result<std::vector<Order>> MySqlOrderStore::peekByIds(const std::vector<std::int64_t>& ids,
                                                      bool include_finished) {
  std::vector<Order> out;
  if (ids.empty()) return out;
  Status st = db_.run("peek-by-id", [&](Poco::Data::Session& s) {
    out = readOrders(s, claimableByIds(ids, include_finished));
  }, {false, 3});
  if (!st.isOk()) return st;
  return out;
}

Result<std::vector<Order>> MySqlOrderStore::claimByIds(const std::vector<std::int64_t>& ids,
                                                       const std::string& owner, int lease_s,
                                                       bool include_finished) {
  std::vector<Order> out;
  if (ids.empty()) return out;
  Status st = db_.run("claim-by-id", [&](Poco::Data::Session& s) {
    out.clear();
    // Locking by primary key only: rows another worker holds are skipped, never waited for.
    std::vector<std::int64_t> got;
    s << "SELECT id FROM merchant_order WHERE " + claimableByIds(ids, include_finished) +
             " ORDER BY id FOR UPDATE SKIP LOCKED",
        into(got), now;
    if (got.empty()) return;
    std::string lease_owner = owner;
    int lease = lease_s;
    s << "UPDATE merchant_order FORCE INDEX (PRIMARY) SET lease_owner = ?, "
         "lease_until = NOW(3) + INTERVAL ? SECOND, "
         "lease_generation = lease_generation + 1 WHERE id IN (" + idList(got) + ")",
        use(lease_owner), use(lease), now;
    out = readOrders(s, "id IN (" + idList(got) + ")");
  });
  if (!st.isOk()) return st;
  return out;
}

Result<std::vector<Order>> MySqlOrderStore::claimByKeys(const std::vector<OrderKey>& keys,
                                                        const std::string& owner, int lease_s,
                                                        bool include_finished) {
  if (keys.empty()) return std::vector<Order>();
  // out_trade_no may hold any printable character: look the ids up with bound parameters.
  std::vector<std::int64_t> ids;
  Status st = db_.run("ids-by-key", [&](Poco::Data::Session& s) {
    ids.clear();
    for (const auto& k : keys) {
      std::string mch = k.mch_id, no = k.out_trade_no;
      std::vector<std::int64_t> one;
      s << "SELECT id FROM merchant_order WHERE mch_id = ? AND out_trade_no = ?", use(mch),
          use(no), into(one), now;
      ids.insert(ids.end(), one.begin(), one.end());
    }
  }, {false, 3});
  if (!st.isOk()) return st;
  return claimByIds(ids, owner, lease_s, include_finished);
}

Result<std::vector<Order>> MySqlOrderStore::peekDue(const ClaimRequest& r, std::int64_t after_id) {
  std::vector<Order> out;
  if (r.mch_ids.empty() || r.limit <= 0) return out;
  const std::string mch = quotedList(r.mch_ids);
  // The same conditions as claimDue, read-only (no FOR UPDATE, no lease): the dry run.
  Status st = db_.run("peek-due", [&](Poco::Data::Session& s) {
    out = readOrders(s, "id > " + std::to_string(after_id) + " AND mch_id IN (" + mch + ") " +
                            "AND (lease_until IS NULL OR lease_until < NOW(3)) AND "
                            "((state IN ('NOTPAY','USERPAYING') AND (next_check_at IS NULL OR "
                            "next_check_at <= NOW(3))) OR (state = 'CLOSED' AND "
                            "close_confirm_at <= NOW(3)))",
                     " LIMIT " + std::to_string(r.limit));
  }, {false, 3});
  if (!st.isOk()) return st;
  return out;
}

Result<std::int64_t> MySqlOrderStore::countDueUnmanaged(const std::vector<std::string>& managed) {
  std::int64_t count = 0;
  Status st = db_.run("count-unmanaged", [&](Poco::Data::Session& s) {
    std::string sql =
        "SELECT COUNT(*) FROM merchant_order WHERE state IN ('NOTPAY','USERPAYING') "
        "AND (next_check_at IS NULL OR next_check_at <= NOW(3))";
    if (!managed.empty()) sql += " AND mch_id NOT IN (" + quotedList(managed) + ")";
    s << sql, into(count), now;
  }, {false, 3});
  if (!st.isOk()) return st;
  return count;
}

Result<std::vector<Order>> MySqlOrderStore::load(const std::vector<std::int64_t>& ids) {
  std::vector<Order> out;
  if (ids.empty()) return out;
  Status st = db_.run("load-orders", [&](Poco::Data::Session& s) {
    out = readOrders(s, "id IN (" + idList(ids) + ")");
  }, {false, 3});
  if (!st.isOk()) return st;
  return out;
}

Result<ApplyResult> MySqlOrderStore::apply(const Order& o, const Decision& d, std::int64_t run_id,
                                           const std::string& owner) {
  return std::move(applyBatch({ApplyItem{o, d}}, run_id, owner).front());
}

std::vector<Result<ApplyResult>> MySqlOrderStore::applyBatch(const std::vector<ApplyItem>& items,
                                                             std::int64_t run_id,
                                                             const std::string& owner) {
  std::vector<std::size_t> by_id(items.size());
  for (std::size_t i = 0; i < by_id.size(); ++i) by_id[i] = i;
  std::sort(by_id.begin(), by_id.end(), [&](std::size_t a, std::size_t b) {
    return items[a].claimed.id < items[b].claimed.id;
  });
  std::vector<std::optional<ApplyResult>> written;  // per item; empty: the fence refused it
  std::vector<const Finding*> opened;                // logged once committed
  Status st = db_.run("apply", [&](Poco::Data::Session& s) {
    written.assign(items.size(), std::nullopt);
    opened.clear();
    fenceAndUpdate(s, items, by_id, owner, written);
    insertTransitions(s, items, written, run_id);
    for (std::size_t i : by_id) {
      if (!written[i]) continue;
      const Order& o = items[i].claimed;
      const Decision& d = items[i].decision;
      ApplyResult& result = *written[i];
      for (const auto& f : d.findings) {
        if (upsertFinding(s, f, run_id)) {
          ++result.discrepancies_new;
          if (severityOf(f.kind) == Severity::kHigh) ++result.discrepancies_high_new;
          result.new_kinds.push_back(f.kind);
          opened.push_back(&f);
        }
      }
      for (const auto& r : d.resolves) autoResolve(s, o.mch_id, o.out_trade_no, r, run_id);
    }
  });
  if (st.isOk()) {
    for (const Finding* f : opened) noteNewDiscrepancy(*f);
  }
  std::vector<Result<ApplyResult>> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!st.isOk()) {
      out.push_back(st);
    } else if (written[i]) {
      out.push_back(std::move(*written[i]));
    } else {
      out.push_back(Status::aborted("order " + items[i].claimed.out_trade_no +
                                    ": lease lost or changed concurrently; nothing written"));
    }
  }
  return out;
}

Status MySqlOrderStore::release(const Order& o, const std::string& owner) {
  return db_.run("release", [&](Poco::Data::Session& s) {
    std::int64_t id = o.id, generation = o.lease_generation;
    std::string lease_owner = owner;
    s << "UPDATE merchant_order SET lease_owner = NULL, lease_until = NULL "
         "WHERE id = ? AND lease_generation = ? AND lease_owner = ?",
        use(id), use(generation), use(lease_owner), now;
  }, {false, 3});
}

bool upsertFinding(Poco::Data::Session& s, const Finding& f, std::int64_t run_id) {
  std::string kind = discrepancyKindName(f.kind);
  std::string severity = severityName(severityOf(f.kind));
  std::string mch = f.mch_id;
  Nullable<std::string> out_trade_no = nullIfEmpty(f.out_trade_no);
  Nullable<std::string> txn = nullIfEmpty(f.transaction_id);
  Nullable<std::string> bill_date =
      f.bill_date ? Nullable<std::string>(formatIsoDate(*f.bill_date)) : Nullable<std::string>();
  std::string local = f.local_value.substr(0, 500), remote = f.remote_value.substr(0, 500);
  std::string detail = f.detail;
  Nullable<std::int64_t> run = run_id > 0 ? Nullable<std::int64_t>(run_id) : Nullable<std::int64_t>();
  std::string key_no = f.out_trade_no;
  std::string key_date = f.bill_date ? formatIsoDate(*f.bill_date) : "1000-01-01";

  auto lookup = [&](std::vector<std::int64_t>& ids, std::vector<std::string>& status,
                    std::vector<std::string>& old_local, std::vector<std::string>& old_remote,
                    std::vector<Nullable<std::string>>& by, std::vector<Nullable<std::string>>& at,
                    std::vector<Nullable<std::string>>& note, std::vector<Nullable<std::string>>& old_detail) {
    s << "SELECT id, status, local_value, remote_value, resolved_by, CAST(resolved_at AS CHAR), "
         "resolution_note, detail FROM discrepancy WHERE kind = ? AND mch_id = ? AND "
         "out_trade_no_key = ? AND bill_date_key = ? FOR UPDATE",
        use(kind), use(mch), use(key_no), use(key_date), into(ids), into(status), into(old_local),
        into(old_remote), into(by), into(at), into(note), into(old_detail), now;
  };
  std::vector<std::int64_t> ids;
  std::vector<std::string> status, old_local, old_remote;
  std::vector<Nullable<std::string>> by, at, note, old_detail;
  lookup(ids, status, old_local, old_remote, by, at, note, old_detail);
  if (ids.empty()) {
    try {
      s << "INSERT INTO discrepancy (kind, severity, mch_id, out_trade_no, transaction_id, "
           "bill_date, local_value, remote_value, detail, first_run_id, last_run_id, first_seen_at, "
           "last_seen_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3), NOW(3), 'OPEN')",
          use(kind), use(severity), use(mch), use(out_trade_no), use(txn), use(bill_date),
          use(local), use(remote), use(detail), use(run), use(run), now;
      return true;
    } catch (const Poco::Exception& e) {
      if (classifyDbException(e.displayText()) != DbErrorKind::kDuplicateKey) throw;
      // A concurrent writer inserted it first: fall through to the update rules.
      lookup(ids, status, old_local, old_remote, by, at, note, old_detail);
      if (ids.empty()) throw;
    }
  }
  std::int64_t id = ids[0];
  if (status[0] == "OPEN") {
    s << "UPDATE discrepancy SET last_seen_at = NOW(3), last_run_id = COALESCE(?, last_run_id), "
         "local_value = ?, remote_value = ?, detail = ?, transaction_id = COALESCE(?, transaction_id) "
         "WHERE id = ?",
        use(run), use(local), use(remote), use(detail), use(txn), use(id), now;
    return false;
  }
  if (old_local[0] == local && old_remote[0] == remote) {
    s << "UPDATE discrepancy SET last_seen_at = NOW(3) WHERE id = ?", use(id), now;
    return false;
  }
  // Changed values: reopen, keeping the old resolution in the detail.
  std::string history = " [reopened: values changed from local=" + old_local[0] + " remote=" +
                        old_remote[0] + "; was resolved by " + (by[0].isNull() ? "?" : by[0].value()) +
                        " at " + (at[0].isNull() ? "?" : at[0].value()) + " UTC: " +
                        (note[0].isNull() ? "" : note[0].value()) + "]";
  std::string new_detail = detail + history;
  s << "UPDATE discrepancy SET status = 'OPEN', local_value = ?, remote_value = ?, detail = ?, "
       "last_seen_at = NOW(3), last_run_id = COALESCE(?, last_run_id), resolved_by = NULL, "
       "resolved_os_user = NULL, resolved_at = NULL, resolution_note = NULL WHERE id = ?",
      use(local), use(remote), use(new_detail), use(run), use(id), now;
  return true;
}

void autoResolve(Poco::Data::Session& s, const std::string& mch_id, const std::string& out_trade_no,
                 const AutoResolve& r, std::int64_t run_id) {
  std::string kind = discrepancyKindName(r.kind), mch = mch_id, no = out_trade_no;
  std::string note = "cleared by itself: " + r.reason;
  Nullable<std::int64_t> run = run_id > 0 ? Nullable<std::int64_t>(run_id) : Nullable<std::int64_t>();
  s << "UPDATE discrepancy SET status = 'RESOLVED', resolved_by = 'wxrecon', resolved_at = NOW(3), "
       "resolution_note = ?, last_run_id = COALESCE(?, last_run_id) "
       "WHERE kind = ? AND mch_id = ? AND out_trade_no_key = ? AND status = 'OPEN'",
      use(note), use(run), use(kind), use(mch), use(no), now;
}

Result<ApplyResult> MySqlDiscrepancyStore::record(const std::vector<Finding>& findings,
                                                  std::int64_t run_id) {
  ApplyResult result;
  std::vector<const Finding*> opened;  // logged once committed
  Status st = db_.run("record-discrepancies", [&](Poco::Data::Session& s) {
    result = ApplyResult{};
    opened.clear();
    for (const auto& f : findings) {
      if (upsertFinding(s, f, run_id)) {
        ++result.discrepancies_new;
        if (severityOf(f.kind) == Severity::kHigh) ++result.discrepancies_high_new;
        result.new_kinds.push_back(f.kind);
        opened.push_back(&f);
      }
    }
  });
  if (!st.isOk()) return st;
  for (const Finding* f : opened) noteNewDiscrepancy(*f);
  return result;
}

Result<bool> MySqlDiscrepancyStore::wouldOpen(const Finding& f) {
  bool opens = true;
  Status st = db_.run("would-open", [&](Poco::Data::Session& s) {
    std::string kind = discrepancyKindName(f.kind), mch = f.mch_id, key_no = f.out_trade_no;
    std::string key_date = f.bill_date ? formatIsoDate(*f.bill_date) : "1000-01-01";
    std::vector<std::string> status, old_local, old_remote;
    // The same key and the same rules as upsertFinding, read-only.
    s << "SELECT status, local_value, remote_value FROM discrepancy WHERE kind = ? AND "
         "mch_id = ? AND out_trade_no_key = ? AND bill_date_key = ?",
        use(kind), use(mch), use(key_no), use(key_date), into(status), into(old_local),
        into(old_remote), now;
    opens = status.empty() ||
            (status[0] != "OPEN" && (old_local[0] != f.local_value.substr(0, 500) ||
                                     old_remote[0] != f.remote_value.substr(0, 500)));
  }, {false, 3});
  if (!st.isOk()) return st;
  return opens;
}

Result<std::int64_t> MySqlRunStore::start(RunKind kind, const std::string& params, bool dry_run) {
  std::int64_t id = 0;
  Status st = db_.run("run-start", [&](Poco::Data::Session& s) {
    std::string k = runKindName(kind), p = params.substr(0, 2000);
    std::string status = dry_run ? "DRY_RUN" : "RUNNING";
    std::string host = Poco::Environment::nodeName();
    int pid = static_cast<int>(Poco::Process::id());
    s << "INSERT INTO recon_run (kind, params, started_at, status, host, pid) "
         "VALUES (?, ?, NOW(3), ?, ?, ?)",
        use(k), use(p), use(status), use(host), use(pid), now;
    s << "SELECT LAST_INSERT_ID()", into(id), now;
  });
  if (!st.isOk()) return st;
  return id;
}

Status MySqlRunStore::finish(std::int64_t run_id, const std::string& status,
                             const RunCounters& c, const std::string& summary) {
  return db_.run("run-finish", [&](Poco::Data::Session& s) {
    std::string st = status, sum = summary;
    std::int64_t id = run_id;
    RunCounters k = c;
    s << "UPDATE recon_run SET finished_at = NOW(3), status = ?, orders_examined = ?, "
         "transitions = ?, wechat_calls = ?, failures = ?, discrepancies_new = ?, "
         "discrepancies_high_new = ?, summary = ? WHERE id = ?",
        use(st), use(k.orders_examined), use(k.transitions), use(k.wechat_calls), use(k.failures),
        use(k.discrepancies_new), use(k.discrepancies_high_new), use(sum), use(id), now;
  });
}

}  // namespace wx
