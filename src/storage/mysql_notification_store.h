// payment_notification over MySQL: the receive side of notify-server and the NotificationStore
// reader (DESIGN.md §4, §6).
//
// receive() stores one body with its verdict in ONE transaction, together with the discrepancy
// it raises, and returns what was committed. Deduplication (DESIGN.md §4):
//   - byte-identical bodies share a row: dedup_key is the body's sha256 (verified bodies) or
//     sha256("unverified:" + sha256) (everything else), so a verified body never joins an
//     unverified one even when the bytes are equal; a repeat is counted (times_received + 1,
//     last_received_at) by one conditional UPDATE on dedup_key, or, when it races with the
//     first copy, by the INSERT ... ON DUPLICATE KEY UPDATE of the full path;
//   - a verified body naming an already ACCEPTED (mch_id, transaction_id) with other bytes gets
//     its own row, verdict DUPLICATE. The decision is a locking read taken after locking the
//     order row (FOR UPDATE), so concurrent copies for one order are serialised.
//   - the first verdict of a row stays; repeats only count.
// Discrepancies (only when the row is new): NOTIFY_UNKNOWN_ORDER, AMOUNT_MISMATCH;
// NOTIFY_BAD_SIGNATURE once per (merchant, Beijing day of receipt), detail = the number of
// stored bad bodies that day, only when the body names a configured mch_id.
//
// Errors: kUnavailable when the database cannot be reached (the caller answers FAIL so WeChat
// resends); kInternal for SQL errors. Thread-safe (one pooled session per call).
#pragma once

#include <Poco/Data/Session.h>

#include <cstdint>
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
  int times_received = 1;
  std::optional<Order> order;  // the order it names, when it exists (read, not claimed)
};

// True for the verdicts of a genuine, recorded notification: they are acknowledged with SUCCESS
// once committed (ACCEPTED, DUPLICATE, UNKNOWN_ORDER, AMOUNT_MISMATCH).
bool isGenuineVerdict(NotificationVerdict v);

class MySqlNotificationStore final : public NotificationStore {
 public:
  MySqlNotificationStore(Database& db, std::int64_t run_id) : db_(db), run_id_(run_id) {}

  Result<std::vector<StoredNotification>> forOrder(const std::string& mch_id,
                                                   const std::string& out_trade_no) override;

  Result<ReceiveResult> receive(const ReceivedBody& body);

  // Leaves an unfinished order due now (next_check_at = NULL) for the next sweep: used when
  // the confirmation queue is full or the server stops with work queued.
  Status markDueNow(const std::string& mch_id, const std::string& out_trade_no);

 private:
  void receiveInTransaction(Poco::Data::Session& s, const ReceivedBody& body,
                            const std::string& sha, ReceiveResult& result);

  Database& db_;
  std::int64_t run_id_;
};

}  // namespace wx
