// One sweep (DESIGN.md §1, §5, §6): claim due unfinished orders in batches, learn each one's
// truth from WeChat, reconcile it with its stored notifications (re-verified), close what
// expired, and write the decisions — every decision comes from decide() (domain/state_machine.h).
//
//   Sweep sweep(deps, options);
//   SweepSummary s = sweep.run(stop_flag);   // s.exitCode(), s.render()
//
// Concurrency: `options.workers` threads share one PayClient (its RequestLimiter paces QPS per
// merchant and caps requests in flight); the calling thread claims batches (leases on the
// database clock, `lease_s`) and keeps at most one batch queued. Each order is applied with a
// fenced compare-and-set: a lost lease (kAborted) writes nothing and is counted.
//
// A merchant-level configuration failure (Action::kStopMerchant) stops WeChat calls for that
// merchant: its claimed orders are released untouched, and the run exits 2.
//
// Dry run: orders are read without a lease (OrderStore::peekDue), only orderquery and
// refundquery are called (an order that would be closed is counted as "would_close"), and
// nothing is written but the recon_run row (status DRY_RUN). A finding counts as new when a real
// run would open it (DiscrepancyStore::wouldOpen), so the exit code is the real run's.
//
// Stop: when `stop` becomes true, no more orders are claimed or started; orders in progress
// finish; claimed orders not yet started are released. Thread-safe as documented; run() once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/clock.h"
#include "domain/policy.h"
#include "domain/state_machine.h"
#include "service/order_checker.h"
#include "service/stores.h"
#include "wechat/api_types.h"
#include "wechat/pay_client.h"

namespace wx {

struct SweepProgress {
  std::int64_t examined = 0;
  std::int64_t claimed = 0;
  std::int64_t wechat_calls = 0;
  double elapsed_s = 0;
};

struct SweepOptions {
  std::vector<MerchantConfig> merchants;  // the merchants to sweep (config or --mch)
  std::vector<std::string> all_mch_ids;   // every configured mch_id (for the unmanaged count)
  Policy policy;
  int lease_s = 60;
  int workers = 16;    // wechat.max_in_flight
  int batch_size = 0;  // 0: 2 x workers, at least 20
  bool dry_run = false;
  std::int64_t limit = 0;                // 0: no limit
  std::string owner_prefix = "wxrecon";  // "host:pid"; the run id is appended
  std::uint64_t seed = 1;                // jitter RNG
  std::string params;                    // recon_run.params
  // Called from the run() thread about once per second (nullptr: none).
  std::function<void(const SweepProgress&)> progress;
};

struct SweepDeps {
  OrderStore& orders;
  NotificationStore& notifications;
  RunStore& runs;
  PayClient& client;
  const Clock& clock;
  // Dry run: tells which findings a real run would open (nullptr: every finding counts).
  DiscrepancyStore* discrepancies = nullptr;
};

struct SweepSummary {
  std::int64_t run_id = 0;
  bool dry_run = false;
  std::int64_t examined = 0;     // orders decided (dry run: read)
  std::int64_t transitions = 0;  // dry run: transitions it would write
  std::int64_t wechat_calls = 0;
  std::int64_t call_failures = 0;       // non-definitive answers
  std::int64_t transport_failures = 0;  // nothing reached WeChat (connect, timeout, reset...)
  std::int64_t lost_leases = 0;         // apply() said kAborted: nothing written
  std::int64_t store_failures = 0;      // other store errors for an order
  std::int64_t released = 0;       // releases of claimed orders, untouched (stop, merchant stopped,
                                   // claimed twice in one run)
  std::int64_t unmanaged_due = 0;  // due orders of merchants with no [merchant.*] section
  std::map<std::string, std::int64_t> by_outcome;
  std::map<std::string, std::int64_t> new_discrepancies;  // by kind (dry run: findings)
  std::int64_t new_high = 0;
  std::map<std::string, std::string> stopped_merchants;  // mch_id -> return_msg
  bool db_failed = false;
  std::string db_error;
  bool interrupted = false;
  double elapsed_s = 0;

  // DESIGN.md §1: 1 database unreachable, an order's read or write failed (store error), or
  // every WeChat call unreachable; 2 a merchant-level configuration failure; 3 new HIGH
  // discrepancies; else 0.
  int exitCode() const;
  // recon_run.status: OK, FAILED, CONFIG_FAILURE, INTERRUPTED, DRY_RUN.
  std::string runStatus() const;
  // The one-screen summary printed on stdout.
  std::string render() const;
};

class Sweep {
 public:
  // Keeps references to deps; they must outlive the Sweep.
  Sweep(SweepDeps deps, SweepOptions options);
  Sweep(const Sweep&) = delete;
  Sweep& operator=(const Sweep&) = delete;
  ~Sweep();

  // Runs one pass and finishes its recon_run row. Never throws.
  SweepSummary run(const std::atomic<bool>& stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wx
