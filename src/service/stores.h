// The storage interfaces the services use (STYLE.md: every outside resource behind a small
// interface we own). Real implementations: src/storage/mysql_*.cpp; fakes: tests/support/.
//
// Errors: kUnavailable (database unreachable — retry the run), kAborted (a compare-and-set lost:
// another worker or a stale lease; re-read), others are bugs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "domain/discrepancy.h"
#include "domain/order.h"
#include "domain/state_machine.h"

namespace wx {

struct ClaimRequest {
  std::string owner;                 // this worker: "host:pid:run"
  int lease_s = 60;                  // on the database clock
  int limit = 100;                   // orders per batch
  std::vector<std::string> mch_ids;  // only these merchants (empty: none is claimed)
  std::vector<std::int64_t> exclude_ids;  // never these (the sweep's re-claimed orders)
};

// An order by its natural key (UNIQUE (mch_id, out_trade_no)).
struct OrderKey {
  std::string mch_id;
  std::string out_trade_no;
};

// What apply() counts, for the run summary and the exit code.
struct ApplyResult {
  int transitions = 0;
  int discrepancies_new = 0;  // inserted or reopened
  int discrepancies_high_new = 0;
  std::vector<DiscrepancyKind> new_kinds;  // the kind of each new (inserted or reopened) one
};

class OrderStore {
 public:
  virtual ~OrderStore() = default;

  // Claims due unfinished orders (NOTPAY/USERPAYING, next_check_at NULL or past, lease free or
  // expired), and CLOSED orders whose confirming query is due (close_confirm_at past): sets the
  // lease (owner, NOW(3) + lease_s) and increments lease_generation, in one transaction with
  // SKIP LOCKED so concurrent workers never claim the same order. Returns the claimed orders
  // as written (with their new lease_generation).
  virtual Result<std::vector<Order>> claimDue(const ClaimRequest& request) = 0;

  // Writes a decision for a claimed order in one transaction: a compare-and-set on `version`
  // and `lease_generation` (and lease owner) with the affected-row count checked (0 rows:
  // kAborted, nothing written), the order_transition rows, the discrepancy upserts and
  // auto-resolutions; releases the lease. `claimed` is the order as claimDue returned it.
  virtual Result<ApplyResult> apply(const Order& claimed, const Decision& decision,
                                    std::int64_t run_id, const std::string& owner) = 0;

  // One decision to write with applyBatch(); both must outlive the call.
  struct ApplyItem {
    const Order& claimed;  // as claimDue returned it
    const Decision& decision;
  };
  // Writes several claimed orders' decisions in ONE transaction. Each order is fenced exactly
  // as by apply() (its own compare-and-set, its row count checked): an order that lost its lease
  // gets kAborted and nothing is written for it, while the others are written. Any other error
  // rolls the whole transaction back and every item gets it. One result per item, in order.
  // Default: apply() per item.
  virtual std::vector<Result<ApplyResult>> applyBatch(const std::vector<ApplyItem>& items,
                                                      std::int64_t run_id,
                                                      const std::string& owner) {
    std::vector<Result<ApplyResult>> out;
    out.reserve(items.size());
    for (const auto& i : items) out.push_back(apply(i.claimed, i.decision, run_id, owner));
    return out;
  }

  // Releases a claimed order untouched (a merchant stopped, a signal arrived): its schedule and
  // check_attempts stay as they were. A stale lease releases nothing.
  virtual Status release(const Order& claimed, const std::string& owner) = 0;

  // Read-only (dry run): the orders claimDue would claim (orders under a live lease are skipped
  // too), with id > after_id, in id order, without taking a lease or writing anything. Keyset
  // paging: pass the last id seen. The default implementation fails (kInternal).
  virtual Result<std::vector<Order>> peekDue(const ClaimRequest& request, std::int64_t after_id) {
    (void)request;
    (void)after_id;
    return Status::internal("peekDue is not implemented by this store");
  }

  // One COUNT: due unfinished orders whose mch_id is NOT in `managed` (no [merchant.*]
  // section): never claimed, only reported in the run summary. Default: fails (kInternal).
  virtual Result<std::int64_t> countDueUnmanaged(const std::vector<std::string>& managed) {
    (void)managed;
    return Status::internal("countDueUnmanaged is not implemented by this store");
  }

  // Claims the named orders whatever their schedule (bill run, rerun): unfinished ones
  // (NOTPAY/USERPAYING), and with `include_finished` also SUCCESS, REFUND, CLOSED, REVOKED,
  // PAYERROR and REVIEW ones (rerun --recheck-final re-verifies them through decide()). Orders
  // under a live lease are skipped (their owner decides them), unknown ids/keys too. Sets the
  // lease and increments lease_generation like claimDue (SKIP LOCKED, one transaction), so
  // apply() and release() are fenced the same way. Returns the claimed orders in id order.
  // Default: fails (kInternal).
  virtual Result<std::vector<Order>> claimByIds(const std::vector<std::int64_t>& ids,
                                                const std::string& owner, int lease_s,
                                                bool include_finished) {
    (void)ids;
    (void)owner;
    (void)lease_s;
    (void)include_finished;
    return Status::internal("claimByIds is not implemented by this store");
  }
  // Read-only (rerun --dry-run): the orders claimByIds would claim, without a lease or a write.
  // Default: fails (kInternal).
  virtual Result<std::vector<Order>> peekByIds(const std::vector<std::int64_t>& ids,
                                               bool include_finished) {
    (void)ids;
    (void)include_finished;
    return Status::internal("peekByIds is not implemented by this store");
  }
  // The same by (mch_id, out_trade_no).
  virtual Result<std::vector<Order>> claimByKeys(const std::vector<OrderKey>& keys,
                                                 const std::string& owner, int lease_s,
                                                 bool include_finished) {
    (void)keys;
    (void)owner;
    (void)lease_s;
    (void)include_finished;
    return Status::internal("claimByKeys is not implemented by this store");
  }

  // The verified-notification facts for an order are read by the NotificationStore.
};

class DiscrepancyStore {
 public:
  virtual ~DiscrepancyStore() = default;
  // Upserts findings outside an order transition (bill-level or notification findings).
  virtual Result<ApplyResult> record(const std::vector<Finding>& findings, std::int64_t run_id) = 0;
  // Read-only (dry run): would upserting `f` open a discrepancy (no row with its key, or a
  // RESOLVED one whose values changed)? Default: fails (kInternal).
  virtual Result<bool> wouldOpen(const Finding& f) {
    (void)f;
    return Status::internal("wouldOpen is not implemented by this store");
  }
};

// Dry runs: the findings that would open a discrepancy, in their order (pointers into
// `findings`). A finding the store cannot judge (wouldOpen failed; logged as `log_event`) counts
// as opening, unless `unjudged` is given: then it is counted there and left out. Every finding
// opens when `store` is null.
std::vector<const Finding*> wouldOpenFindings(DiscrepancyStore* store,
                                              const std::vector<Finding>& findings,
                                              std::string_view log_event,
                                              std::int64_t* unjudged = nullptr);

// A payment_notification row as stored (raw bytes are the truth; everything else is advisory
// when written by a merchant's own endpoint: DESIGN.md §4).
struct StoredNotification {
  std::int64_t id = 0;
  std::string mch_id;        // the row's parsed columns (advisory, like everything but raw_body)
  std::string out_trade_no;
  std::string raw_body;
  std::string body_sha256;
  std::string verdict;  // empty when NULL
  TimePoint received_at;
  int times_received = 1;
};

class NotificationStore {
 public:
  virtual ~NotificationStore() = default;
  // Every stored notification naming this order (by the parsed mch_id/out_trade_no columns),
  // oldest first. The caller re-parses and re-verifies raw_body (service/notification_verifier.h).
  virtual Result<std::vector<StoredNotification>> forOrder(const std::string& mch_id,
                                                           const std::string& out_trade_no) = 0;
  // The same for many orders at once (a claimed batch): each order's rows oldest first, each
  // row with its mch_id/out_trade_no set. Default: forOrder() per order.
  virtual Result<std::vector<StoredNotification>> forOrders(const std::vector<OrderKey>& orders) {
    std::vector<StoredNotification> out;
    for (const auto& k : orders) {
      auto rows = forOrder(k.mch_id, k.out_trade_no);
      if (!rows) return rows.status();
      for (auto& n : *rows) {
        n.mch_id = k.mch_id;
        n.out_trade_no = k.out_trade_no;
        out.push_back(std::move(n));
      }
    }
    return out;
  }
};

// A bill_file row (DESIGN.md §4): one per distinct downloaded bill.
struct BillFileRecord {
  std::int64_t id = 0;
  std::string mch_id;
  CivilDate bill_date;
  std::string bill_type = "ALL";
  std::string status;  // OK, EMPTY, NOT_READY, FAILED, REJECTED
  std::int64_t rows = 0;
  std::string layout;  // empty: NULL
  std::optional<std::int64_t> trade_count, settlement_total_fen, refund_total_fen,
      coupon_refund_total_fen, order_total_fen, refund_applied_total_fen;
  std::string fee_total;        // exact, e.g. "0.05000"; empty: NULL
  std::string summary_reading;  // which inferred rule matched; empty: NULL
  std::string error;
  std::string sha256;       // of the raw bytes as downloaded ("" bytes for EMPTY)
  std::string stored_path;  // empty: NULL (nothing archived)
};

// A bill_day row (DESIGN.md §4, §6), both sides in fen.
struct BillDayRecord {
  std::string mch_id;
  CivilDate bill_date;
  std::int64_t local_count = 0;
  Fen local_amount_fen = 0;
  std::int64_t bill_count = 0;  // payment rows
  Fen bill_order_amount_fen = 0;
  Fen bill_settlement_fen = 0;
  Fen bill_refund_fen = 0;
  std::string bill_fee = "0.00000";
  Fen bill_net_fen = 0;  // settlement − refunds
  std::int64_t matched_count = 0;
  Fen matched_amount_fen = 0;
  std::int64_t unmatched_local_count = 0;
  std::int64_t unmatched_bill_count = 0;
  std::int64_t not_managed_count = 0;
  std::string bill_status = "OK";
  std::int64_t bill_file_id = 0;
  std::int64_t run_id = 0;
};

// What the bill run reads and writes besides orders and discrepancies.
class BillStore {
 public:
  virtual ~BillStore() = default;
  // Upserts on (mch_id, bill_date, bill_type, sha256): the same bytes again add nothing (the
  // row keeps its first download). Returns the row's id.
  virtual Result<std::int64_t> saveFile(const BillFileRecord& file, std::int64_t run_id) = 0;
  // The newest OK or EMPTY bill_file of that day and type (rerun without --redownload).
  virtual Result<std::optional<BillFileRecord>> newestUsable(const std::string& mch_id,
                                                              const CivilDate& day,
                                                              const std::string& bill_type) = 0;
  // Replaces the bill_day row of (mch_id, bill_date); an OK/EMPTY day also resolves an OPEN
  // BILL_TOTALS_MISMATCH of that day (a rejected earlier download, cleared by itself).
  virtual Status saveDay(const BillDayRecord& day) = 0;
  // Keyset paging over orders with paid_at in [from, to) of one merchant (any state; the
  // caller filters), ordered by (paid_at, id): pass the last order seen (nullptr: start).
  // Only what the match reads is filled: id, mch_id, out_trade_no, total_fee, state,
  // transaction_id, paid_at (the other fields keep their defaults).
  virtual Result<std::vector<Order>> paidBetween(const std::string& mch_id, TimePoint from,
                                                 TimePoint to, const Order* after,
                                                 int limit) = 0;
  // The orders with these keys (read-only, no lease); unknown keys are absent.
  virtual Result<std::vector<Order>> findByKeys(const std::vector<OrderKey>& keys) = 0;
  // The out_trade_no, transaction_id, total_fee, time_end and raw body of the notifications
  // of `mch_id` received in [from, to), in id order after `after_id` (keyset).
  virtual Result<std::vector<StoredNotification>> notificationsReceived(
      const std::string& mch_id, TimePoint from, TimePoint to, std::int64_t after_id,
      int limit) = 0;
};

enum class RunKind { kSweep, kBill, kRerun, kReport, kResolve, kNotify };
const char* runKindName(RunKind k);

struct RunCounters {
  std::int64_t orders_examined = 0;
  std::int64_t transitions = 0;
  std::int64_t wechat_calls = 0;
  std::int64_t failures = 0;
  std::int64_t discrepancies_new = 0;
  std::int64_t discrepancies_high_new = 0;
};

class RunStore {
 public:
  virtual ~RunStore() = default;
  // Inserts the recon_run row (status RUNNING, or DRY_RUN) and returns its id.
  virtual Result<std::int64_t> start(RunKind kind, const std::string& params, bool dry_run) = 0;
  // status: OK, FAILED, CONFIG_FAILURE, INTERRUPTED, DRY_RUN.
  virtual Status finish(std::int64_t run_id, const std::string& status, const RunCounters& counters,
                        const std::string& summary) = 0;
};

}  // namespace wx
