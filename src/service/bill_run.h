// `wxrecon bill` (DESIGN.md §1, §4, §6, §9): for each merchant, under
// GET_LOCK('wxrecon-bill-<mch_id>-<date>'), get the ALL bill of Beijing day D (download, GZIP,
// streamed to a temp file in bill.archive_dir while hashing, then kept as
// <archive>/<mch>/<D>/ALL-<sha256>.csv.gz; or, for a rerun, the newest archived OK/EMPTY file
// with its sha256 checked), classify it, and reconcile an OK/EMPTY bill three ways:
//
//   bill lines (BillIndex, domain/bill_match.h)  <->  orders paid on D (keyset pages)
//                                                <->  verified notifications (re-verified)
//
// Orders the bill says are paid but that are unfinished, CLOSED/REVOKED/PAYERROR, or whose
// refund line meets a SUCCESS order are claimed (OrderStore::claimByKeys) and checked with a
// fresh orderquery through the OrderChecker (source bill, never closeorder): the order moves
// only on that answer. D+1's bill is fetched too when WeChat can have it, to place orders paid
// near midnight before LOCAL_ONLY is raised; otherwise the candidates stay pending.
//
// Dry run: the same reads and read-only WeChat calls (downloadbill, orderquery, refundquery);
// nothing is archived (the download goes to a private temp file, deleted) and nothing is
// written but the recon_run row (DRY_RUN); findings count as new when a real run would open
// them (DiscrepancyStore::wouldOpen).
//
// Not thread-safe; run() once. Never throws.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/clock.h"
#include "domain/policy.h"
#include "service/order_checker.h"
#include "service/stores.h"
#include "wechat/pay_client.h"

namespace wx {

// Takes a named database lock without waiting. A null handle: another session holds it. The
// lock is held until the handle is destroyed.
using LockHandle = std::shared_ptr<void>;
using TryLock = std::function<Result<LockHandle>(const std::string& name)>;

struct BillRunOptions {
  std::vector<MerchantConfig> merchants;  // the merchants to reconcile (config or --mch)
  CivilDate day;                          // Beijing day D
  Policy policy;
  std::string archive_dir;
  int lease_s = 60;
  bool dry_run = false;
  // false: reconcile from the newest archived OK/EMPTY bill of the day when there is one
  // (rerun); true: always download.
  bool redownload = true;
  std::string owner_prefix = "wxrecon";
  std::string params;  // recon_run.params
  std::size_t max_body_bytes = 65536;
  int page_size = 20000;  // local orders per keyset page
  // The report seam: called per merchant after its day is committed (real run) or computed
  // (dry run), for OK, EMPTY and REJECTED bills, with the day's totals as written (or as they
  // would be) and, in a dry run, the findings that would open (at most 100,000; a
  // real run's findings are in the database). nullptr: none.
  std::function<void(const BillDayRecord& day, const std::vector<Finding>& would_open)> after_day;
};

struct BillRunDeps {
  PayClient& client;
  OrderStore& orders;
  NotificationStore& notifications;
  DiscrepancyStore& discrepancies;
  BillStore& bills;
  RunStore& runs;
  const Clock& clock;
  TryLock try_lock;
};

// One merchant's day.
struct BillMerchantResult {
  std::string mch_id;
  std::string status;            // OK, EMPTY, NOT_READY, FAILED, REJECTED, LOCKED, CONFIG_FAILURE
  std::string next_day_status;   // D+1: OK, EMPTY, NOT_READY, FAILED, REJECTED, NOT_YET
  std::string detail;            // why, for anything but OK/EMPTY
  BillDayRecord day;             // the totals (bill_day)
  std::string archive_path;      // empty: nothing archived
  std::int64_t pending_local_only = 0;  // not in D's bill, D+1 unavailable: decided later
  std::int64_t skipped_leased = 0;      // bill said paid, order leased elsewhere: its owner decides
  std::int64_t transitions = 0;
  std::int64_t wechat_calls = 0;
  std::int64_t failures = 0;  // order-level store/check failures
  std::map<std::string, std::int64_t> new_by_kind;
  std::int64_t new_high = 0;
};

struct BillRunSummary {
  std::int64_t run_id = 0;
  bool dry_run = false;
  CivilDate day;
  std::vector<BillMerchantResult> merchants;
  bool db_failed = false;
  std::string db_error;
  double elapsed_s = 0;

  // DESIGN.md §1: 1 a download failed, the database failed, a merchant was locked by another
  // run; 4 a bill is not ready (try later); 2 a merchant-level configuration failure; 3 new
  // HIGH discrepancies (a rejected bill included); else 0.
  int exitCode() const;
  std::string runStatus() const;  // OK, FAILED, NOT_READY, CONFIG_FAILURE, DRY_RUN
  std::string render() const;
};

class BillRun {
 public:
  BillRun(BillRunDeps deps, BillRunOptions options);
  ~BillRun();
  BillRun(const BillRun&) = delete;
  BillRun& operator=(const BillRun&) = delete;
  BillRunSummary run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wx
