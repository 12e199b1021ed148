// payment_notification over MySQL: the receive side of notify-server and the NotificationStore
// reader (DESIGN.md §4, §6).
//
// receive() stores one body with its verdict and the discrepancy it raises, and returns what was
// committed. Bodies are group-committed (storage/group_commit.h): the calling thread hands its
// body to the store's writer thread and waits; the writer stores everything pending (up to
// kMaxBatch bodies) in ONE transaction with a few multi-row statements (receiveBatch()), so one
// durable COMMIT covers many notifications. A body's result is returned only after the COMMIT
// that holds it; when that transaction fails, every body of the batch gets the error and none
// of them is stored (the caller answers FAIL; WeChat resends).
//
// Deduplication (DESIGN.md §4), exact within a batch and across batches and processes:
//   - byte-identical bodies share a row: dedup_key is the body's sha256 (genuine verdicts) or
//     sha256("unverified:" + sha256) (everything else), so a verified body never joins an
//     unverified one even when the bytes are equal; each copy adds 1 to times_received;
//   - a verified body naming an already ACCEPTED (mch_id, transaction_id) with other bytes gets
//     its own row, verdict DUPLICATE (also when the ACCEPTED one is earlier in the same batch);
//   - the first verdict of a row stays, with one exception: a row stored as UNKNOWN_ORDER whose
//     order exists when its next copy arrives is re-decided as if that copy were the first
//     (ACCEPTED, AMOUNT_MISMATCH or DUPLICATE; the row keeps its id and count), its
//     NOTIFY_UNKNOWN_ORDER discrepancy is resolved as cleared by itself, and the result carries
//     the order so the caller confirms it.
// Concurrency: the orders named by verified bodies are locked (FOR UPDATE) before anything is
// decided, and the rows with the batch's dedup keys after, so copies for one order are
// serialised whichever process receives them; a dedup key inserted concurrently by another
// process turns into a count (INSERT ... ON DUPLICATE KEY UPDATE), never a second row.
// Discrepancies (only for a row this batch created, or re-decided): NOTIFY_UNKNOWN_ORDER,
// AMOUNT_MISMATCH; NOTIFY_BAD_SIGNATURE once per (merchant, Beijing day of receipt), detail =
// the number of stored bad bodies that day, only when the body names a configured mch_id.
//
// Errors: kUnavailable when the database cannot be reached (the caller answers FAIL so WeChat
// resends); kInternal for SQL errors. Thread-safe.
#pragma once

#include <Poco/Data/Session.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/notification_verifier.h"
#include "service/stores.h"

namespace wx {

class Database;

struct ReceivedBody {
  std::string raw_body;
  std::string remote_addr;
  VerifiedNotification verified;  // verifyNotification(raw_body, ...)
  bool configured_mch = false;    // the body names a configured mch_id
};

struct ReceiveResult {
  std::int64_t id = 0;
  NotificationVerdict verdict = NotificationVerdict::kMalformed;  // as stored in the row
  bool new_row = false;
  int times_received = 1;  // the row's count including this copy
  // The order a genuine body names, when it exists (read under lock, not claimed); also for
  // repeats, so a copy of a notification whose order is still unfinished is confirmed again.
  std::optional<Order> order;
};

// True for the verdicts of a genuine, recorded notification: they are acknowledged with SUCCESS
// once committed (ACCEPTED, DUPLICATE, UNKNOWN_ORDER, AMOUNT_MISMATCH).
bool isGenuineVerdict(NotificationVerdict v);

class MySqlNotificationStore final : public NotificationStore {
 public:
  static constexpr std::size_t kMaxBatch = 256;

  MySqlNotificationStore(Database& db, std::int64_t run_id);
  ~MySqlNotificationStore() override;

  Result<std::vector<StoredNotification>> forOrder(const std::string& mch_id,
                                                   const std::string& out_trade_no) override;

  // Stores one body (group-committed, see above); blocks until its batch is committed or failed.
  Result<ReceiveResult> receive(const ReceivedBody& body);
  // The same without blocking: `done` is called with the body and its result on the group
  // commit's writer thread once its batch is committed or failed (before the next batch is
  // written: it must be quick and must not throw). Every body handed in gets its call, also
  // when the store is destroyed with bodies pending.
  using ReceiveDone = std::function<void(const ReceivedBody&, Result<ReceiveResult>)>;
  void receiveAsync(ReceivedBody body, ReceiveDone done);

  // Stores `bodies` in ONE transaction, as if received in this order; one result per body, or
  // the error for all of them (nothing stored). receive() batches through this.
  Result<std::vector<ReceiveResult>> receiveBatch(const std::vector<const ReceivedBody*>& bodies);

  // Transactions written by receive() so far (benchmarks, metrics).
  std::uint64_t batchesWritten() const;

  // Leaves the unfinished ones of `orders` due now (next_check_at = NULL) for the next sweep, in
  // one transaction (one UPDATE per merchant and 500 orders): used when the confirmation queue
  // is full or the server stops with work queued. Bumps `version`: a sweep (or confirmation)
  // that claimed one of them before this notification arrived may have queried WeChat before
  // the payment; its fenced write then fails (lost lease) instead of rescheduling the order
  // later and undoing "due now" — the order is checked again as soon as its lease expires.
  Status markDueNow(const std::vector<OrderKey>& orders);

 private:
  struct Batcher;
  void receiveInTransaction(Poco::Data::Session& s, const std::vector<const ReceivedBody*>& bodies,
                            const std::vector<std::string>& shas,
                            std::vector<ReceiveResult>& results, std::vector<Finding>& opened);

  Database& db_;
  std::int64_t run_id_;
  std::unique_ptr<Batcher> batcher_;
};

}  // namespace wx
