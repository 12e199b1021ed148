// The MySQL order and discrepancy stores against the real MariaDB: claims are disjoint under
// concurrency, every write is a compare-and-set fenced by the lease, discrepancy upserts follow
// DESIGN.md §4's rules.
#include <catch2/catch.hpp>

#include <Poco/Data/Session.h>

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <chrono>

#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/mysql_notification_reader.h"
#include "storage/mysql_stores.h"
#include "support/test_db.h"

using namespace wx;
using namespace wx::test;
using namespace Poco::Data::Keywords;

namespace {

struct Fixture {
  TestDatabase tdb;
  std::unique_ptr<Database> db;
  Fixture() {
    auto d = Database::open(tdb.config());
    if (!d) throw std::runtime_error(d.status().toString());
    db = std::move(*d);
    auto m = migrate(*db, embeddedMigrations());
    if (!m) throw std::runtime_error(m.status().toString());
  }
  void addOrders(int n, const std::string& mch = "10000100", const std::string& extra = "") {
    try {
      addOrdersOrThrow(n, mch, extra);
    } catch (const Poco::Exception& e) {
      FAIL(e.displayText());
    }
  }
  void addOrdersOrThrow(int n, const std::string& mch, const std::string& extra) {
    auto s = tdb.session();
    for (int i = 0; i < n; ++i) {
      s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, created_at, "
           "expire_at" + std::string(extra.empty() ? "" : ", state") + ") VALUES ('" + mch +
               "', 'wxapp', 'ORD" + mch + "-" + std::to_string(i) +
               extra + "', 101, NOW(3) - INTERVAL 10 MINUTE, NOW(3) + INTERVAL 1 HOUR" +
               (extra.empty() ? "" : ", '" + extra + "'") + ")",
          now;
    }
  }
  int count(const std::string& sql) {
    int n = 0;
    tdb.session() << sql, into(n), now;
    return n;
  }
};

Decision paid(const Order& o) {
  Decision d;
  d.transitions.push_back({o.state, OrderState::kSuccess, TransitionSource::kQuery,
                           "trade_state=SUCCESS transaction_id=4200 total_fee=101"});
  d.set_transaction_id = "4200" + std::to_string(o.id);
  d.set_paid_at = *parseUtcSql("2024-05-01 02:01:00");
  d.outcome = "paid";
  return d;
}

Finding finding(const std::string& local, const std::string& remote) {
  Finding f;
  f.kind = DiscrepancyKind::kAmountMismatch;
  f.mch_id = "10000100";
  f.out_trade_no = "ORD-X";
  f.local_value = local;
  f.remote_value = remote;
  f.detail = "d";
  return f;
}

}  // namespace

TEST_CASE("claims are disjoint across concurrent workers and skip finished orders", "[store]") {
  Fixture fx;
  fx.addOrders(200);
  fx.addOrders(50, "10000100", "SUCCESS");  // finished: never claimed
  fx.addOrders(20, "10000999");             // another merchant, not asked for
  MySqlOrderStore store(*fx.db);
  // What each worker claimed; checked on this thread (Catch's assertions are not thread-safe).
  struct Claimed {
    std::vector<std::int64_t> ids;
    int finished = 0;        // claimed although finished
    int not_first_lease = 0;  // lease_generation other than 1
  };
  std::vector<std::future<Claimed>> workers;
  for (int w = 0; w < 4; ++w) {
    workers.push_back(std::async(std::launch::async, [&, w] {
      Claimed mine;
      for (;;) {
        ClaimRequest r;
        r.owner = "worker-" + std::to_string(w);
        r.limit = 17;
        r.mch_ids = {"10000100"};
        auto batch = store.claimDue(r);
        if (!batch || batch->empty()) break;
        for (const auto& o : *batch) {
          if (!isUnfinished(o.state)) ++mine.finished;
          if (o.lease_generation != 1) ++mine.not_first_lease;
          mine.ids.push_back(o.id);
        }
      }
      return mine;
    }));
  }
  std::set<std::int64_t> all;
  std::size_t total = 0;
  for (auto& f : workers) {
    auto c = f.get();
    CHECK(c.finished == 0);
    CHECK(c.not_first_lease == 0);
    total += c.ids.size();
    all.insert(c.ids.begin(), c.ids.end());
  }
  CHECK(total == 200);       // every due order claimed...
  CHECK(all.size() == 200);  // ...exactly once
}

TEST_CASE("claimDue waits out row locks held briefly by another transaction instead of "
          "answering that nothing is due",
          "[store]") {
  // The sweep ends its run on an empty claim. Every due row locked for a moment by another
  // transaction (a concurrent claim, a writer's batch before COMMIT) used to give one: SKIP
  // LOCKED passed them all, and the run ended with orders still due (T5 at 200 orders).
  Fixture fx;
  fx.addOrders(5);
  MySqlOrderStore store(*fx.db);
  ClaimRequest r;
  r.owner = "A";
  r.mch_ids = {"10000100"};
  r.limit = 5;
  auto locker = fx.tdb.session();
  locker << "START TRANSACTION", now;
  int locked = 0;
  locker << "SELECT COUNT(*) FROM (SELECT id FROM merchant_order FOR UPDATE) x", into(locked), now;
  REQUIRE(locked == 5);
  auto claim = std::async(std::launch::async, [&] { return store.claimDue(r); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  locker << "COMMIT", now;
  auto got = claim.get();
  REQUIRE(got.isOk());
  CHECK(got->size() == 5);

  // Held past the retries (about a second): the claim gives up empty, nothing is leased, and
  // the next claim takes them.
  fx.tdb.session() << "UPDATE merchant_order SET lease_owner = NULL, lease_until = NULL", now;
  locker << "START TRANSACTION", now;
  locker << "SELECT COUNT(*) FROM (SELECT id FROM merchant_order FOR UPDATE) x", into(locked), now;
  auto stuck = store.claimDue(r);
  REQUIRE(stuck.isOk());
  CHECK(stuck->empty());
  locker << "COMMIT", now;
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order WHERE lease_owner IS NOT NULL") == 0);
  auto after = store.claimDue(r);
  REQUIRE(after.isOk());
  CHECK(after->size() == 5);
}

TEST_CASE("apply is a compare-and-set fenced by the lease", "[store]") {
  Fixture fx;
  fx.addOrders(1);
  MySqlOrderStore store(*fx.db);
  ClaimRequest r;
  r.owner = "A";
  r.mch_ids = {"10000100"};
  auto a = store.claimDue(r);
  REQUIRE(a.isOk());
  REQUIRE(a->size() == 1);
  const Order claimed_by_a = a->front();

  // A's lease expires; B claims the order (generation 2).
  fx.tdb.session() << "UPDATE merchant_order SET lease_until = NOW(3) - INTERVAL 1 SECOND", now;
  r.owner = "B";
  auto b = store.claimDue(r);
  REQUIRE(b.isOk());
  REQUIRE(b->size() == 1);
  CHECK(b->front().lease_generation == 2);

  // A's late write changes nothing.
  auto late = store.apply(claimed_by_a, paid(claimed_by_a), 0, "A");
  REQUIRE_FALSE(late.isOk());
  CHECK(late.status().code() == StatusCode::kAborted);
  CHECK(fx.count("SELECT COUNT(*) FROM order_transition") == 0);
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order WHERE state = 'NOTPAY'") == 1);

  // B's write lands, with its transition, and releases the lease.
  auto ok = store.apply(b->front(), paid(b->front()), 0, "B");
  REQUIRE(ok.isOk());
  CHECK(ok->transitions == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS' AND lease_owner IS "
                 "NULL AND version = 1 AND transaction_id IS NOT NULL") == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM order_transition WHERE from_state = 'NOTPAY' AND "
                 "to_state = 'SUCCESS' AND source = 'query'") == 1);
  // Applying the same claimed snapshot again (a replay) writes nothing.
  auto replay = store.apply(b->front(), paid(b->front()), 0, "B");
  CHECK(replay.status().code() == StatusCode::kAborted);
  CHECK(fx.count("SELECT COUNT(*) FROM order_transition") == 1);
}

TEST_CASE("an expired lease refuses the write even if nobody reclaimed", "[store]") {
  Fixture fx;
  fx.addOrders(1);
  MySqlOrderStore store(*fx.db);
  ClaimRequest r;
  r.owner = "A";
  r.mch_ids = {"10000100"};
  auto a = store.claimDue(r);
  REQUIRE(a.isOk());
  REQUIRE(a->size() == 1);
  fx.tdb.session() << "UPDATE merchant_order SET lease_until = NOW(3) - INTERVAL 1 SECOND", now;
  auto late = store.apply(a->front(), paid(a->front()), 0, "A");
  CHECK(late.status().code() == StatusCode::kAborted);
}

TEST_CASE("release keeps the schedule and check_attempts", "[store]") {
  Fixture fx;
  fx.addOrders(1);
  fx.tdb.session() << "UPDATE merchant_order SET check_attempts = 3", now;
  MySqlOrderStore store(*fx.db);
  ClaimRequest r;
  r.owner = "A";
  r.mch_ids = {"10000100"};
  auto a = store.claimDue(r);
  REQUIRE(a->size() == 1);
  REQUIRE(store.release(a->front(), "A").isOk());
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order WHERE lease_owner IS NULL AND "
                 "check_attempts = 3 AND next_check_at IS NULL") == 1);
}

TEST_CASE("discrepancy upserts: new, refreshed, resolved-unchanged, reopened", "[store]") {
  Fixture fx;
  MySqlDiscrepancyStore store(*fx.db);
  auto first = store.record({finding("total_fee=101", "total_fee=100")}, 0);
  REQUIRE(first.isOk());
  CHECK(first->discrepancies_new == 1);
  CHECK(first->discrepancies_high_new == 1);
  auto again = store.record({finding("total_fee=101", "total_fee=100")}, 0);
  CHECK(again->discrepancies_new == 0);
  CHECK(fx.count("SELECT COUNT(*) FROM discrepancy") == 1);

  fx.tdb.session() << "UPDATE discrepancy SET status = 'RESOLVED', resolved_by = 'alice', "
                      "resolved_at = NOW(3), resolution_note = 'refunded the customer'",
      now;
  auto same = store.record({finding("total_fee=101", "total_fee=100")}, 0);
  CHECK(same->discrepancies_new == 0);
  CHECK(fx.count("SELECT COUNT(*) FROM discrepancy WHERE status = 'RESOLVED' AND resolved_by = "
                 "'alice'") == 1);

  auto changed = store.record({finding("total_fee=101", "total_fee=99")}, 0);
  CHECK(changed->discrepancies_new == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM discrepancy WHERE status = 'OPEN' AND remote_value = "
                 "'total_fee=99' AND detail LIKE '%alice%refunded the customer%'") == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM discrepancy") == 1);

  // Without a bill date or order, still one row per key.
  Finding day;
  day.kind = DiscrepancyKind::kNotifyBadSignature;
  day.mch_id = "10000100";
  day.bill_date = CivilDate{2024, 5, 1};
  REQUIRE(store.record({day, day}, 0).isOk());
  Finding nodate = day;
  nodate.bill_date.reset();
  REQUIRE(store.record({nodate}, 0).isOk());
  REQUIRE(store.record({nodate}, 0).isOk());
  CHECK(fx.count("SELECT COUNT(*) FROM discrepancy WHERE kind = 'NOTIFY_BAD_SIGNATURE'") == 2);
}

TEST_CASE("a decision's auto-resolve closes the order's open discrepancy", "[store]") {
  Fixture fx;
  fx.addOrders(1);
  MySqlOrderStore store(*fx.db);
  MySqlDiscrepancyStore ds(*fx.db);
  Finding f;
  f.kind = DiscrepancyKind::kQueryExhausted;
  f.mch_id = "10000100";
  f.out_trade_no = "ORD10000100-0";
  REQUIRE(ds.record({f}, 0).isOk());
  ClaimRequest r;
  r.owner = "A";
  r.mch_ids = {"10000100"};
  auto a = store.claimDue(r);
  REQUIRE(a->size() == 1);
  Decision d;
  d.resolves.push_back({DiscrepancyKind::kQueryExhausted, "a definitive answer arrived"});
  d.next_check_at = *parseUtcSql("2030-01-01 00:00:00");
  REQUIRE(store.apply(a->front(), d, 0, "A").isOk());
  CHECK(fx.count("SELECT COUNT(*) FROM discrepancy WHERE status = 'RESOLVED' AND resolved_by = "
                 "'wxrecon' AND resolution_note LIKE 'cleared by itself%'") == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order WHERE next_check_at = '2030-01-01'") == 1);
}

TEST_CASE("claimByIds/claimByKeys claim named orders whatever their schedule, skip leased ones",
          "[store]") {
  Fixture f;
  f.addOrders(3);                        // ORD10000100-0..2, NOTPAY, due now
  f.addOrders(1, "10000100", "SUCCESS");  // ORD10000100-0SUCCESS, finished
  MySqlOrderStore store(*f.db);
  f.tdb.session() << "UPDATE merchant_order SET next_check_at = NOW(3) + INTERVAL 1 DAY", now;

  // Not due, yet claimed by key; an unknown key is ignored; a finished order only on request.
  auto got = store.claimByKeys({{"10000100", "ORD10000100-1"},
                                {"10000100", "NO-SUCH-ORDER"},
                                {"10000100", "ORD10000100-0SUCCESS"}},
                               "bill:1", 60, false);
  REQUIRE(got);
  REQUIRE(got->size() == 1);
  CHECK(got->front().out_trade_no == "ORD10000100-1");
  CHECK(got->front().lease_generation == 1);
  CHECK(f.count("SELECT COUNT(*) FROM merchant_order WHERE lease_owner = 'bill:1'") == 1);

  // Leased by someone else: skipped, even with include_finished.
  auto again = store.claimByKeys({{"10000100", "ORD10000100-1"}}, "other", 60, true);
  REQUIRE(again);
  CHECK(again->empty());

  // include_finished: the SUCCESS order is claimable (rerun --recheck-final), fenced as usual.
  auto finished = store.claimByKeys({{"10000100", "ORD10000100-0SUCCESS"}}, "rerun:2", 60, true);
  REQUIRE(finished);
  REQUIRE(finished->size() == 1);
  CHECK(finished->front().state == OrderState::kSuccess);
  CHECK(store.release(finished->front(), "rerun:2").isOk());
  CHECK(f.count("SELECT COUNT(*) FROM merchant_order WHERE lease_owner IS NOT NULL") == 1);

  // By id: the released one again, the leased one skipped.
  auto by_id = store.claimByIds({finished->front().id, got->front().id}, "rerun:3", 60, true);
  REQUIRE(by_id);
  REQUIRE(by_id->size() == 1);
  CHECK(by_id->front().id == finished->front().id);
  CHECK(by_id->front().lease_generation == finished->front().lease_generation + 1);
}

TEST_CASE("a batched apply fences each order alone: stale ones write nothing, the others land",
          "[store]") {
  Fixture fx;
  fx.addOrders(6);
  MySqlOrderStore store(*fx.db);
  ClaimRequest r;
  r.owner = "A";
  r.limit = 6;
  r.mch_ids = {"10000100"};
  auto a = store.claimDue(r);
  REQUIRE(a.isOk());
  REQUIRE(a->size() == 6);
  const std::vector<Order> o = *a;  // in id order

  // o[2]: A's lease expired and B reclaimed it (generation 2). o[4]: changed concurrently.
  fx.tdb.session() << "UPDATE merchant_order SET lease_until = NOW(3) - INTERVAL 1 SECOND "
                      "WHERE id = " + std::to_string(o[2].id),
      now;
  r.owner = "B";
  auto b = store.claimDue(r);
  REQUIRE(b.isOk());
  REQUIRE(b->size() == 1);
  REQUIRE(b->front().id == o[2].id);
  fx.tdb.session() << "UPDATE merchant_order SET version = version + 1 WHERE id = " +
                          std::to_string(o[4].id),
      now;

  // Different decisions, so that each execution of the shared UPDATE binds other values
  // (NULL and not NULL alternating).
  std::vector<Decision> d(6);
  d[0] = paid(o[0]);
  d[1].next_check_at = *parseUtcSql("2030-01-01 00:00:00");
  d[1].check_attempts = 2;
  d[1].outcome = "unknown";
  d[2] = paid(o[2]);
  d[2].findings.push_back(finding("stale", "stale"));
  d[3] = paid(o[3]);
  d[3].transitions.push_back({OrderState::kSuccess, OrderState::kRefund, TransitionSource::kQuery,
                              "trade_state=REFUND"});
  d[4] = paid(o[4]);
  d[5].transitions.push_back({o[5].state, OrderState::kReview, TransitionSource::kQuery,
                              "total_fee=999"});
  Finding mismatch = finding("101", "999");
  mismatch.out_trade_no = o[5].out_trade_no;
  d[5].findings.push_back(mismatch);
  d[5].outcome = "review";

  // Handed over out of id order: the store sorts, the results follow the items.
  const std::vector<std::size_t> order = {5, 2, 0, 4, 1, 3};
  std::vector<OrderStore::ApplyItem> items;
  for (std::size_t i : order) items.push_back({o[i], d[i]});
  auto results = store.applyBatch(items, 0, "A");
  REQUIRE(results.size() == 6);
  std::map<std::size_t, Result<ApplyResult>*> by_order;
  for (std::size_t k = 0; k < order.size(); ++k) by_order.emplace(order[k], &results[k]);
  for (std::size_t i : {2u, 4u}) {
    INFO("order " << i);
    REQUIRE_FALSE(by_order.at(i)->isOk());
    CHECK(by_order.at(i)->status().code() == StatusCode::kAborted);
  }
  for (std::size_t i : {0u, 1u, 3u, 5u}) {
    INFO("order " << i);
    REQUIRE(by_order.at(i)->isOk());
    CHECK((*by_order.at(i))->transitions == static_cast<int>(d[i].transitions.size()));
  }
  CHECK((*by_order.at(5))->discrepancies_new == 1);

  auto where = [](const Order& x) { return " WHERE id = " + std::to_string(x.id); };
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order" + where(o[0]) +
                 " AND state = 'SUCCESS' AND lease_owner IS NULL AND version = 1 AND "
                 "transaction_id = '4200" + std::to_string(o[0].id) +
                 "' AND paid_at IS NOT NULL AND next_check_at IS NULL") == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order" + where(o[1]) +
                 " AND state = 'NOTPAY' AND lease_owner IS NULL AND version = 1 AND "
                 "transaction_id IS NULL AND paid_at IS NULL AND check_attempts = 2 AND "
                 "next_check_at = '2030-01-01 00:00:00'") == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order" + where(o[3]) +
                 " AND state = 'REFUND' AND version = 1") == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order" + where(o[5]) +
                 " AND state = 'REVIEW' AND version = 1") == 1);
  // The stale and the changed order: untouched, B's lease intact.
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order" + where(o[2]) +
                 " AND state = 'NOTPAY' AND version = 0 AND lease_owner = 'B' AND "
                 "lease_generation = 2") == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order" + where(o[4]) +
                 " AND state = 'NOTPAY' AND version = 1 AND lease_owner = 'A'") == 1);
  // Transitions: exactly those of the written orders, in their order.
  CHECK(fx.count("SELECT COUNT(*) FROM order_transition") == 4);
  CHECK(fx.count("SELECT COUNT(*) FROM order_transition WHERE order_id IN (" +
                 std::to_string(o[2].id) + "," + std::to_string(o[4].id) + ")") == 0);
  CHECK(fx.count("SELECT COUNT(*) FROM order_transition t1 JOIN order_transition t2 ON "
                 "t1.order_id = t2.order_id AND t1.id < t2.id WHERE t1.to_state = 'SUCCESS' AND "
                 "t2.to_state = 'REFUND' AND t1.order_id = " + std::to_string(o[3].id)) == 1);
  // Findings: the written order's, not the stale one's.
  CHECK(fx.count("SELECT COUNT(*) FROM discrepancy WHERE out_trade_no = '" + o[5].out_trade_no +
                 "' AND status = 'OPEN'") == 1);
  CHECK(fx.count("SELECT COUNT(*) FROM discrepancy WHERE local_value = 'stale'") == 0);

  // B, the current owner, still writes its order.
  auto ok = store.apply(b->front(), paid(b->front()), 0, "B");
  REQUIRE(ok.isOk());
  CHECK(fx.count("SELECT COUNT(*) FROM merchant_order" + where(o[2]) + " AND state = 'SUCCESS'") ==
        1);
}

TEST_CASE("notifications of a batch: one read returns each asked order's rows, oldest first",
          "[store]") {
  Fixture fx;
  auto s = fx.tdb.session();
  auto add = [&](const std::string& mch, const std::string& no, const std::string& body) {
    s << "INSERT INTO payment_notification (mch_id, out_trade_no, raw_body, body_sha256) VALUES "
         "('" + mch + "', '" + no + "', " + body + ", REPEAT('a', 64))",
        now;
  };
  add("10000100", "N1", "'<xml>first</xml>'");
  add("10000100", "N3", "'<xml>other</xml>'");   // not asked for
  add("10000200", "N1", "'<xml>m2</xml>'");      // same number, another merchant
  add("10000100", "N1", "X'3C786D6C3E00FF3C2F786D6C3E'");  // bytes kept as they are
  MySqlNotificationReader reader(*fx.db);
  auto rows = reader.forOrders({{"10000100", "N1"}, {"10000100", "N2"}, {"10000200", "N1"}});
  REQUIRE(rows.isOk());
  REQUIRE(rows->size() == 3);
  std::vector<std::string> got;
  for (const auto& n : *rows) got.push_back(n.mch_id + "/" + n.out_trade_no + "/" + n.raw_body);
  CHECK(std::count(got.begin(), got.end(), "10000200/N1/<xml>m2</xml>") == 1);
  std::vector<const StoredNotification*> n1;
  for (const auto& n : *rows) {
    if (n.mch_id == "10000100") n1.push_back(&n);
  }
  REQUIRE(n1.size() == 2);
  CHECK(n1[0]->raw_body == "<xml>first</xml>");
  CHECK(n1[1]->raw_body == std::string("<xml>\0\xff</xml>", 13));
  CHECK(n1[0]->id < n1[1]->id);
  // The one-order read is the same read.
  auto one = reader.forOrder("10000100", "N1");
  REQUIRE(one.isOk());
  REQUIRE(one->size() == 2);
  CHECK(one->at(1).raw_body == n1[1]->raw_body);
  auto none = reader.forOrders({{"10000100", "N2"}});
  REQUIRE(none.isOk());
  CHECK(none->empty());
}
