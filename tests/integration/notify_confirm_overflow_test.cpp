// Orders the confirmation cannot take are left due now for the sweep (issue 6; DESIGN.md §5):
// MySqlNotificationStore::markDueNow writes many orders in one transaction, bumps `version` so
// that a sweep holding an older claim cannot reschedule the order later (its fenced write fails
// as a lost lease), and leaves finished orders alone; NotifyConfirmer hands every order that
// overflowed its queue, and on stop() every order still queued, to it.
#include <catch2/catch.hpp>

#include <Poco/Data/Session.h>

#include <chrono>
#include <thread>

#include "common/clock.h"
#include "net/poco_http_transport.h"
#include "service/notify_confirmer.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/mysql_notification_store.h"
#include "storage/mysql_stores.h"
#include "support/test_db.h"
#include "wechat/nonce_source.h"
#include "wechat/pay_client.h"

using namespace wx;
using namespace wx::test;
using namespace Poco::Data::Keywords;

namespace {

constexpr const char* kMch = "10000100";

struct OverflowFixture {
  TestDatabase tdb;
  std::unique_ptr<Database> db;
  OverflowFixture() {
    auto d = Database::open(tdb.config());
    if (!d) throw std::runtime_error(d.status().toString());
    db = std::move(*d);
    auto m = migrate(*db, embeddedMigrations());
    if (!m) throw std::runtime_error(m.status().toString());
  }
  // An order scheduled an hour ahead (so "due now" can only come from markDueNow).
  void addOrder(const std::string& no, const std::string& state = "NOTPAY") {
    auto s = tdb.session();
    s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, state, created_at, "
         "expire_at, next_check_at) VALUES ('" + std::string(kMch) + "', 'wxapp', '" + no +
             "', 100, '" + state + "', NOW(3) - INTERVAL 1 MINUTE, NOW(3) + INTERVAL 1 HOUR, "
             "NOW(3) + INTERVAL 1 HOUR)",
        now;
  }
  long long count(const std::string& sql) {
    Poco::Int64 n = 0;
    auto s = tdb.session();
    s << sql, into(n), now;
    return n;
  }
  long long dueNow() {
    return count("SELECT COUNT(*) FROM merchant_order WHERE next_check_at IS NULL");
  }
};

}  // namespace

TEST_CASE("notify markDueNow: unfinished orders due now with version bumped, in one call",
          "[integration][notify-server]") {
  OverflowFixture f;
  f.addOrder("DUE1");
  f.addOrder("DUE2");
  f.addOrder("DUE3", "SUCCESS");
  MySqlNotificationStore store(*f.db, 0);
  MySqlOrderStore orders(*f.db);
  // A sweep claimed DUE2 (and queried WeChat) before the notification arrived.
  auto claimed = orders.claimByKeys({{kMch, "DUE2"}}, "sweep-x", 30, false);
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 1);

  REQUIRE(store.markDueNow({{kMch, "DUE1"}, {kMch, "DUE2"}, {kMch, "DUE3"}, {kMch, "NOSUCH"}})
              .isOk());
  CHECK(f.count("SELECT COUNT(*) FROM merchant_order WHERE out_trade_no IN ('DUE1','DUE2') AND "
                "next_check_at IS NULL AND version = 1") == 2);
  CHECK(f.count("SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'DUE3' AND "
                "next_check_at IS NOT NULL AND version = 0") == 1);

  // The sweep's write from its older claim (NOTPAY, next check in 5 minutes) is refused, so
  // it cannot undo "due now".
  Decision d;
  d.next_check_at = SystemClock::instance().now() + std::chrono::minutes(5);
  auto applied = orders.apply(claimed->front(), d, 0, "sweep-x");
  REQUIRE_FALSE(applied);
  CHECK(applied.status().code() == StatusCode::kAborted);
  CHECK(f.count("SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'DUE2' AND "
                "next_check_at IS NULL") == 1);
  CHECK(store.markDueNow({}).isOk());
}

TEST_CASE("notify confirmer: orders that overflow the queue, and queued ones at stop, are due now",
          "[integration][notify-server]") {
  OverflowFixture f;
  constexpr int kOrders = 6;
  for (int i = 0; i < kOrders; ++i) f.addOrder("OVF" + std::to_string(i));
  MySqlNotificationStore store(*f.db, 0);
  MySqlOrderStore orders(*f.db);
  Config config;
  auto transport = PocoHttpTransport::create({});
  REQUIRE(transport);
  RandomNonceSource nonces;
  PayClient client(config.wechat, **transport, nonces, SystemClock::instance());
  ConfirmStorage storage;
  storage.mark_due_now = [&store](const std::vector<OrderKey>& o) { return store.markDueNow(o); };
  // Room for one order and no worker to take it: every other order overflows.
  NotifyConfirmer confirmer(config, orders, store, storage, client, SystemClock::instance(), 0,
                            "notify-test", 1, 0);
  CHECK(confirmer.enqueue(kMch, "OVF0") == NotifyConfirmer::Enqueued::kQueued);
  CHECK(confirmer.enqueue(kMch, "OVF0") == NotifyConfirmer::Enqueued::kAlreadyQueued);
  for (int i = 1; i < kOrders; ++i) {
    CHECK(confirmer.enqueue(kMch, "OVF" + std::to_string(i)) == NotifyConfirmer::Enqueued::kFull);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.dueNow() < kOrders - 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(f.dueNow() == kOrders - 1);  // the overflowed ones, written by the hand-over thread
  CHECK(f.count("SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'OVF0' AND "
                "next_check_at IS NOT NULL") == 1);  // still queued
  CHECK(confirmer.stats().overflow == kOrders - 1);
  confirmer.stop();
  CHECK(f.dueNow() == kOrders);  // the queued one handed to the sweep
  // After stop, an order is left due now at once.
  f.addOrder("OVFLATE");
  CHECK(confirmer.enqueue(kMch, "OVFLATE") == NotifyConfirmer::Enqueued::kStopped);
  CHECK(f.dueNow() == kOrders + 1);
}
