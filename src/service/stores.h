// The storage interfaces the services use (STYLE.md: every outside resource behind a small
// interface we own). Real implementations: src/storage/mysql_*.cpp; fakes: tests/support/.
//
// Errors: kUnavailable (database unreachable — retry the run), kAborted (a compare-and-set lost:
// another worker or a stale lease; re-read), others are bugs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// A payment_notification row as stored (raw bytes are the truth; everything else is advisory
// when written by a merchant's own endpoint: DESIGN.md §4).
struct StoredNotification {
  std::int64_t id = 0;
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
