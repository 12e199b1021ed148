#include "storage/mysql_resolution_store.h"

#include <Poco/Nullable.h>

#include <vector>

#include "storage/database.h"

namespace wx {

using namespace Poco::Data::Keywords;
using Poco::Nullable;

namespace {

struct DiscrepancyRow {
  std::string kind, severity, mch_id, out_trade_no, status, resolved_by, os_user, resolved_at,
      note;
};

// The discrepancy by id (`lock`: FOR UPDATE); nullopt when there is none.
std::optional<DiscrepancyRow> readDiscrepancy(Poco::Data::Session& s, std::int64_t id, bool lock) {
  std::vector<std::string> kind, severity, mch, no, status, by, os_user, at, note;
  s << std::string("SELECT kind, severity, mch_id, COALESCE(out_trade_no, ''), status, "
                   "COALESCE(resolved_by, ''), COALESCE(resolved_os_user, ''), "
                   "COALESCE(CAST(resolved_at AS CHAR), ''), COALESCE(resolution_note, '') "
                   "FROM discrepancy WHERE id = ?") +
           (lock ? " FOR UPDATE" : ""),
      use(id), into(kind), into(severity), into(mch), into(no), into(status), into(by),
      into(os_user), into(at), into(note), now;
  if (kind.empty()) return std::nullopt;
  return DiscrepancyRow{kind[0], severity[0], mch[0], no[0], status[0],
                        by[0],   os_user[0],  at[0],  note[0]};
}

[[noreturn]] void refuse(Status status) { throw DbError(std::move(status)); }

}  // namespace

Result<ResolveOutcome> MySqlResolutionStore::resolve(const ResolveRequest& request,
                                                     std::int64_t run_id) {
  ResolveOutcome outcome;
  Status st = db_.run("resolve", [&](Poco::Data::Session& s) {
    outcome = ResolveOutcome{};
    std::int64_t id = request.discrepancy_id;
    const std::string which = "discrepancy " + std::to_string(id);
    // A plain read first for the order's key: the order row is locked before the discrepancy
    // row, in the order the sweep's apply() takes them, so the two never deadlock.
    auto first = readDiscrepancy(s, id, false);
    if (!first) refuse(Status::notFound(which + " does not exist"));

    struct OrderRow {
      std::int64_t id = 0, version = 0;
      std::string state, lease_owner, lease_until;
      bool has_txn = false, leased = false;
    };
    std::optional<OrderRow> order;
    if (request.set_state) {
      if (first->out_trade_no.empty()) {
        refuse(Status::failedPrecondition(which + " (" + first->kind +
                                          ") names no order: --set-state has nothing to set"));
      }
      std::string mch = first->mch_id, no = first->out_trade_no;
      std::vector<std::int64_t> ids, versions;
      std::vector<std::string> states, owners, untils;
      std::vector<int> has_txn, leased;
      s << "SELECT id, version, state, transaction_id IS NOT NULL, COALESCE(lease_owner, ''), "
           "COALESCE(CAST(lease_until AS CHAR), ''), "
           "(lease_owner IS NOT NULL AND lease_until >= NOW(3)) "
           "FROM merchant_order WHERE mch_id = ? AND out_trade_no = ? FOR UPDATE",
          use(mch), use(no), into(ids), into(versions), into(states), into(has_txn), into(owners),
          into(untils), into(leased), now;
      if (ids.empty()) {
        refuse(Status::notFound(which + " names order " + no + " of merchant " + mch +
                                ", which is not in merchant_order"));
      }
      order = OrderRow{ids[0], versions[0], states[0], owners[0], untils[0], has_txn[0] != 0,
                       leased[0] != 0};
    }

    auto d = readDiscrepancy(s, id, true);
    if (!d) refuse(Status::notFound(which + " does not exist"));
    if (d->status != "OPEN") {
      refuse(Status::failedPrecondition(
          which + " is already resolved, by " + (d->resolved_by.empty() ? "?" : d->resolved_by) +
          (d->os_user.empty() ? "" : " (os user " + d->os_user + ")") + " at " +
          (d->resolved_at.empty() ? "?" : d->resolved_at) + " UTC: " + d->note));
    }
    outcome.kind = d->kind;
    outcome.severity = d->severity;
    outcome.mch_id = d->mch_id;
    outcome.out_trade_no = d->out_trade_no;

    if (order) {
      auto current = parseOrderState(order->state);
      if (!current) refuse(Status::dataLoss("merchant_order.state: " + current.status().message()));
      if (order->leased) {
        refuse(Status::failedPrecondition(
            "order " + d->out_trade_no + " is leased by a running worker (" + order->lease_owner +
            ", until " + order->lease_until + " UTC): try again when it is done"));
      }
      const OrderState target = *request.set_state;
      Status allowed =
          checkManualStateChange(d->out_trade_no, *current, target, order->has_txn);
      if (!allowed.isOk()) refuse(allowed);
      std::string to = orderStateName(target), from = orderStateName(*current);
      // Back to an unfinished state: due now, with a fresh backoff, so the sweep asks WeChat.
      int unfinished = isUnfinished(target) ? 1 : 0;
      std::int64_t oid = order->id, version = order->version;
      Poco::Data::Statement upd(s);
      upd << "UPDATE merchant_order SET state = ?, version = version + 1, "
             "next_check_at = IF(? = 1, NULL, next_check_at), "
             "check_attempts = IF(? = 1, 0, check_attempts) "
             "WHERE id = ? AND version = ? AND state = 'REVIEW' "
             "AND (lease_owner IS NULL OR lease_until < NOW(3))",
          use(to), use(unfinished), use(unfinished), use(oid), use(version);
      if (upd.execute() != 1) {
        refuse(Status::aborted("order " + d->out_trade_no +
                               " changed while resolving; nothing written — try again"));
      }
      std::string source = transitionSourceName(TransitionSource::kManual);
      std::string evidence = manualEvidence(request, d->kind).substr(0, 2000);
      Nullable<std::int64_t> run =
          run_id > 0 ? Nullable<std::int64_t>(run_id) : Nullable<std::int64_t>();
      s << "INSERT INTO order_transition (order_id, from_state, to_state, source, run_id, "
           "evidence, at) VALUES (?, ?, ?, ?, ?, ?, NOW(3))",
          use(oid), use(from), use(to), use(source), use(run), use(evidence), now;
      outcome.from_state = *current;
      outcome.order_state = to;
    } else if (!d->out_trade_no.empty()) {
      std::string mch = d->mch_id, no = d->out_trade_no;
      std::vector<std::string> states;
      s << "SELECT state FROM merchant_order WHERE mch_id = ? AND out_trade_no = ?", use(mch),
          use(no), into(states), now;
      if (!states.empty()) outcome.order_state = states[0];
    }

    std::string by = request.resolved_by, os_user = request.os_user, note = request.note;
    Poco::Data::Statement res(s);
    res << "UPDATE discrepancy SET status = 'RESOLVED', resolved_by = ?, resolved_os_user = ?, "
           "resolved_at = NOW(3), resolution_note = ? WHERE id = ? AND status = 'OPEN'",
        use(by), use(os_user), use(note), use(id);
    if (res.execute() != 1) refuse(Status::aborted(which + " changed while resolving"));
    std::string at;
    s << "SELECT CAST(resolved_at AS CHAR) FROM discrepancy WHERE id = ?", use(id), into(at), now;
    outcome.resolved_at = at;
  });
  if (!st.isOk()) return st;
  return outcome;
}

}  // namespace wx
