// MySQL implementations of the service stores (src/service/stores.h).
#pragma once

#include <Poco/Data/Session.h>

#include "service/stores.h"

namespace wx {

class Database;

class MySqlOrderStore final : public OrderStore {
 public:
  explicit MySqlOrderStore(Database& db) : db_(db) {}
  Result<std::vector<Order>> claimDue(const ClaimRequest& request) override;
  Result<ApplyResult> apply(const Order& claimed, const Decision& decision, std::int64_t run_id,
                            const std::string& owner) override;
  // One transaction for the batch: per order (in id order, so concurrent batches lock rows in
  // the same order) the fenced UPDATE, prepared once and executed per order, then one
  // multi-row INSERT of all transitions and the discrepancy upserts of the orders written.
  std::vector<Result<ApplyResult>> applyBatch(const std::vector<ApplyItem>& items,
                                              std::int64_t run_id,
                                              const std::string& owner) override;
  Status release(const Order& claimed, const std::string& owner) override;
  Result<std::vector<Order>> peekDue(const ClaimRequest& request, std::int64_t after_id) override;
  Result<std::int64_t> countDueUnmanaged(const std::vector<std::string>& managed) override;
  Result<std::vector<Order>> peekByIds(const std::vector<std::int64_t>& ids,
                                       bool include_finished) override;
  Result<std::vector<Order>> claimByIds(const std::vector<std::int64_t>& ids,
                                        const std::string& owner, int lease_s,
                                        bool include_finished) override;
  Result<std::vector<Order>> claimByKeys(const std::vector<OrderKey>& keys,
                                         const std::string& owner, int lease_s,
                                         bool include_finished) override;

  // Reads orders by id (no lease taken), e.g. for tests and the notify path.
  Result<std::vector<Order>> load(const std::vector<std::int64_t>& ids);

 private:
  // One claim transaction; `busy`: due candidates were found but none could be locked.
  Status claimDueOnce(const ClaimRequest& r, const std::string& mch, std::vector<Order>& out,
                      bool& busy);

  Database& db_;
};

class MySqlDiscrepancyStore final : public DiscrepancyStore {
 public:
  explicit MySqlDiscrepancyStore(Database& db) : db_(db) {}
  Result<ApplyResult> record(const std::vector<Finding>& findings, std::int64_t run_id) override;
  Result<bool> wouldOpen(const Finding& f) override;

 private:
  Database& db_;
};

class MySqlRunStore final : public RunStore {
 public:
  explicit MySqlRunStore(Database& db) : db_(db) {}
  Result<std::int64_t> start(RunKind kind, const std::string& params, bool dry_run) override;
  Status finish(std::int64_t run_id, const std::string& status, const RunCounters& counters,
                const std::string& summary) override;

 private:
  Database& db_;
};

// Inside an open transaction: upserts one finding per DESIGN.md §4's rules (new -> OPEN; OPEN ->
// values refreshed; RESOLVED with the same values -> only last_seen_at; RESOLVED with changed
// values -> reopened, the old resolution kept in detail). Returns true when the row is new or
// reopened.
// SELECT of merchant_order rows WHERE `where` ORDER BY `order_by` `suffix` (e.g. " LIMIT 10"),
// as Orders. Throws DbError (kDataLoss) on a row it cannot read.
std::vector<Order> readOrders(Poco::Data::Session& s, const std::string& where,
                              const std::string& suffix = "", const std::string& order_by = "id");
// 'a','b' for an IN list; keeps only [A-Za-z0-9_-] of each value (mch_ids, not free text).
std::string quotedList(const std::vector<std::string>& values);

bool upsertFinding(Poco::Data::Session& s, const Finding& f, std::int64_t run_id);
// Inside an open transaction: sets an OPEN discrepancy of this order RESOLVED by wxrecon.
void autoResolve(Poco::Data::Session& s, const std::string& mch_id, const std::string& out_trade_no,
                 const AutoResolve& r, std::int64_t run_id);

}  // namespace wx
