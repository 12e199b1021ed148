// The notification store's group commit against the real MariaDB (DESIGN.md §4 dedup rules,
// RELIABILITY.md invariant 9): a batch decides exactly as one-by-one receipt would (identical
// copies share a row and each gets its own count, other bytes for an ACCEPTED payment are a
// DUPLICATE, unverified never joins verified), a batch whose transaction fails stores none of
// its bodies and fails every one of them, and identical copies submitted concurrently from many
// threads (so across batches) end in one row counting every copy exactly once.
#include <catch2/catch.hpp>

#include <Poco/Data/Session.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/hash.h"
#include "service/notification_verifier.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/mysql_notification_store.h"
#include "support/test_db.h"
#include "wechat/signer.h"
#include "wechat/xml_codec.h"

using namespace wx;
using namespace wx::test;
using namespace Poco::Data::Keywords;

namespace {

constexpr const char* kMch = "10000100";
constexpr const char* kAppid = "wxd678efh567hg6787";
constexpr const char* kKey = "192006250b4c09247ec02edce69f6a2d";

struct Fixture {
  TestDatabase tdb;
  std::unique_ptr<Database> db;
  std::vector<MerchantConfig> merchants;
  Fixture() {
    auto d = Database::open(tdb.config());
    if (!d) throw std::runtime_error(d.status().toString());
    db = std::move(*d);
    auto m = migrate(*db, embeddedMigrations());
    if (!m) throw std::runtime_error(m.status().toString());
    MerchantConfig mc;
    mc.name = "a";
    mc.mch_id = kMch;
    mc.appids = {kAppid};
    mc.api_key = Secret(kKey);
    mc.notify_sign_types = {SignType::kMd5};
    merchants.push_back(mc);
  }
  void addOrder(const std::string& no, long fee = 100) {
    auto s = tdb.session();
    s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, created_at, "
         "expire_at) VALUES ('" + std::string(kMch) + "', '" + kAppid + "', '" + no + "', " +
             std::to_string(fee) + ", NOW(3) - INTERVAL 1 MINUTE, NOW(3) + INTERVAL 1 HOUR)",
        now;
  }
  // A notification body for order `no`; `nonce` varies the bytes of the same payment.
  ReceivedBody body(const std::string& no, const std::string& nonce = "n1",
                    const std::string& key = kKey) const {
    FieldMap f{{"return_code", "SUCCESS"}, {"appid", kAppid},
               {"mch_id", kMch},           {"nonce_str", nonce},
               {"result_code", "SUCCESS"}, {"openid", "oUser_1"},
               {"trade_type", "JSAPI"},    {"bank_type", "CFT"},
               {"total_fee", "100"},       {"fee_type", "CNY"},
               {"cash_fee", "100"},        {"transaction_id", "4200" + no},
               {"out_trade_no", no},       {"time_end", "20261128120000"}};
    f["sign"] = computeSign(f, SignType::kMd5, Secret(key));
    ReceivedBody b;
    b.raw_body = writeXmlFields(f);
    b.remote_addr = "127.0.0.1";
    b.verified = verifyNotification(b.raw_body, merchants);
    b.configured_mch = true;
    return b;
  }
  long long count(const std::string& sql) {
    Poco::Int64 n = 0;
    auto s = tdb.session();
    s << sql, into(n), now;
    return n;
  }
};

std::vector<const ReceivedBody*> ptrs(const std::vector<ReceivedBody>& v) {
  std::vector<const ReceivedBody*> out;
  for (const auto& b : v) out.push_back(&b);
  return out;
}

}  // namespace

TEST_CASE("notify group commit: one batch decides as one-by-one receipt would",
          "[integration][notify-server][notify-batch]") {
  Fixture f;
  f.addOrder("B1");
  f.addOrder("B2");
  MySqlNotificationStore store(*f.db, 0);
  const std::vector<ReceivedBody> batch = {
      f.body("B1"),                     // 0: new, ACCEPTED
      f.body("B1"),                     // 1: identical copy: same row, count 2
      f.body("B2"),                     // 2: new, ACCEPTED
      f.body("B2", "other-bytes"),      // 3: same payment, other bytes: DUPLICATE
      f.body("U1"),                     // 4: no such order: UNKNOWN_ORDER
      f.body("B1", "n1", "wrong0key"),  // 5: bad signature: its own (unverified) row
      f.body("B1", "n1", "wrong0key"),  // 6: identical forged copy: counted
      f.body("B1"),                     // 7: third identical copy
  };
  auto r = store.receiveBatch(ptrs(batch));
  REQUIRE(r.isOk());
  const auto& res = *r;
  REQUIRE(res.size() == batch.size());
  using V = NotificationVerdict;
  CHECK(res[0].verdict == V::kAccepted);
  CHECK(res[0].new_row);
  CHECK(res[0].times_received == 1);
  CHECK(res[1].id == res[0].id);
  CHECK_FALSE(res[1].new_row);
  CHECK(res[1].times_received == 2);
  CHECK(res[7].id == res[0].id);
  CHECK(res[7].times_received == 3);
  CHECK(res[2].verdict == V::kAccepted);
  CHECK(res[3].verdict == V::kDuplicate);
  CHECK(res[3].id != res[2].id);
  CHECK(res[4].verdict == V::kUnknownOrder);
  CHECK_FALSE(res[4].order.has_value());
  CHECK(res[5].verdict == V::kBadSignature);
  CHECK(res[5].id != res[0].id);  // unverified never joins verified
  CHECK(res[6].id == res[5].id);
  CHECK(res[6].times_received == 2);
  // Every genuine copy carries its order (copies re-queue confirmation of an unfinished order).
  for (int i : {0, 1, 2, 3, 7}) {
    REQUIRE(res[i].order.has_value());
    CHECK(res[i].order->state == OrderState::kNotPay);
  }
  CHECK(f.count("SELECT COUNT(*) FROM payment_notification") == 5);
  CHECK(f.count("SELECT times_received FROM payment_notification WHERE id = " +
                std::to_string(res[0].id)) == 3);
  CHECK(f.count("SELECT COUNT(*) FROM discrepancy WHERE kind = 'NOTIFY_UNKNOWN_ORDER' AND "
                "status = 'OPEN'") == 1);
  CHECK(f.count("SELECT COUNT(*) FROM discrepancy WHERE kind = 'NOTIFY_BAD_SIGNATURE'") == 1);

  SECTION("the next batch counts into the stored rows; an UNKNOWN_ORDER row whose order now "
          "exists is decided again as a first copy") {
    f.addOrder("U1");
    const std::vector<ReceivedBody> next = {f.body("B1"), f.body("U1"), f.body("U1")};
    auto r2 = store.receiveBatch(ptrs(next));
    REQUIRE(r2.isOk());
    CHECK((*r2)[0].id == res[0].id);
    CHECK((*r2)[0].times_received == 4);
    CHECK((*r2)[1].id == res[4].id);
    CHECK((*r2)[1].verdict == V::kAccepted);
    CHECK((*r2)[1].times_received == 2);
    REQUIRE((*r2)[1].order.has_value());
    CHECK((*r2)[1].order->out_trade_no == "U1");
    CHECK((*r2)[2].verdict == V::kAccepted);
    CHECK((*r2)[2].times_received == 3);
    CHECK(f.count("SELECT COUNT(*) FROM payment_notification") == 5);
    CHECK(f.count("SELECT COUNT(*) FROM payment_notification WHERE id = " +
                  std::to_string(res[4].id) + " AND verdict = 'ACCEPTED'") == 1);
    CHECK(f.count("SELECT COUNT(*) FROM discrepancy WHERE kind = 'NOTIFY_UNKNOWN_ORDER' AND "
                  "status = 'RESOLVED' AND resolved_by = 'wxrecon'") == 1);
  }
}

TEST_CASE("notify group commit: a batch whose transaction fails stores none of its bodies",
          "[integration][notify-server][notify-batch]") {
  Fixture f;
  f.addOrder("F1");
  f.addOrder("F2");
  MySqlNotificationStore store(*f.db, 0);
  // The unknown order's discrepancy is written last in the transaction: with its table gone the
  // batch fails after its payment_notification rows were inserted, and must roll them back.
  const std::vector<ReceivedBody> batch = {f.body("F1"), f.body("F2"), f.body("F1"),
                                           f.body("UNKNOWN9")};
  {
    auto s = f.tdb.session();
    s << "RENAME TABLE discrepancy TO discrepancy_away", now;
  }
  auto r = store.receiveBatch(ptrs(batch));
  CHECK_FALSE(r.isOk());
  CHECK(f.count("SELECT COUNT(*) FROM payment_notification") == 0);

  // Through the group commit: every submitter of a failed batch gets the error, never a result.
  {
    auto out = store.receive(batch[3]);
    CHECK_FALSE(out.isOk());
    CHECK(f.count("SELECT COUNT(*) FROM payment_notification") == 0);
  }
  {
    auto s = f.tdb.session();
    s << "RENAME TABLE discrepancy_away TO discrepancy", now;
  }
  auto again = store.receiveBatch(ptrs(batch));
  REQUIRE(again.isOk());
  CHECK((*again)[0].new_row);
  CHECK((*again)[2].times_received == 2);
  CHECK(f.count("SELECT COUNT(*) FROM payment_notification") == 3);
  CHECK(f.count("SELECT COALESCE(SUM(times_received), 0) FROM payment_notification") == 4);
}

TEST_CASE("notify group commit: concurrent identical copies across batches count exactly once each",
          "[integration][notify-server][notify-batch]") {
  Fixture f;
  constexpr int kOrders = 20, kThreads = 16, kCopies = 10;
  for (int i = 0; i < kOrders; ++i) f.addOrder("C" + std::to_string(i));
  MySqlNotificationStore store(*f.db, 0);
  std::vector<ReceivedBody> bodies;
  for (int i = 0; i < kOrders; ++i) bodies.push_back(f.body("C" + std::to_string(i)));
  // Other bytes for order C0's payment, racing its first copies: exactly one ACCEPTED row.
  const ReceivedBody other = f.body("C0", "other-bytes");

  std::mutex mu;
  std::map<std::int64_t, std::vector<int>> counts;  // row id -> times_received answered
  std::vector<NotificationVerdict> verdicts;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCopies; ++c) {
        for (int i = 0; i < kOrders; ++i) {
          const ReceivedBody& b =
              (t == 0 && c == 0 && i == 0) ? other : bodies[(i + t) % kOrders];
          auto r = store.receive(b);
          if (!r.isOk()) {
            ++errors;
            continue;
          }
          std::lock_guard<std::mutex> lock(mu);
          counts[r->id].push_back(r->times_received);
          verdicts.push_back(r->verdict);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(errors == 0);
  INFO("batches: " << store.batchesWritten());
  CHECK(f.count("SELECT COUNT(*) FROM payment_notification") == kOrders + 1);
  CHECK(f.count("SELECT SUM(times_received) FROM payment_notification") ==
        kThreads * kCopies * kOrders);
  CHECK(f.count("SELECT COUNT(*) FROM payment_notification WHERE verdict = 'ACCEPTED'") ==
        kOrders);
  CHECK(f.count("SELECT COUNT(*) FROM payment_notification WHERE verdict = 'DUPLICATE'") == 1);
  // Each copy of a row got a distinct count, 1..N: none counted twice, none lost.
  for (auto& [id, seen] : counts) {
    std::sort(seen.begin(), seen.end());
    for (std::size_t k = 0; k < seen.size(); ++k) REQUIRE(seen[k] == static_cast<int>(k) + 1);
    CHECK(f.count("SELECT times_received FROM payment_notification WHERE id = " +
                  std::to_string(id)) == static_cast<long long>(seen.size()));
  }
}

TEST_CASE("notify group commit: an empty body is stored MALFORMED and does not fail its batch",
          "[integration][notify-server][notify-batch]") {
  Fixture f;
  f.addOrder("E1");
  MySqlNotificationStore store(*f.db, 0);
  ReceivedBody empty;
  empty.remote_addr = "127.0.0.1";
  empty.verified = verifyNotification("", f.merchants);
  const std::vector<ReceivedBody> batch = {f.body("E1"), empty};
  auto r = store.receiveBatch(ptrs(batch));
  REQUIRE(r.isOk());
  CHECK((*r)[0].verdict == NotificationVerdict::kAccepted);
  CHECK((*r)[1].verdict == NotificationVerdict::kMalformed);
  CHECK(f.count("SELECT COUNT(*) FROM payment_notification WHERE LENGTH(raw_body) = 0 AND "
                "verdict = 'MALFORMED'") == 1);
}

TEST_CASE("notify group commit: order numbers with quotes and backslashes, CJK and emoji "
          "are matched exactly (the batch's SELECTs write them as escaped literals)",
          "[integration][notify-server][notify-batch]") {
  Fixture f;
  const std::string odd = "O'1\\\"";  // O'1\" (merchant_order.out_trade_no is ASCII)
  const std::string injection = "x' OR '1'='1\xe4\xb8\xad\xf0\x9f\x98\x80";  // ... 中😀
  // Through the store's own (utf8mb4) connections.
  REQUIRE(f.db->run("add-order", [&](Poco::Data::Session& s) {
                std::string mch = kMch, appid = kAppid, no = odd;
                s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, "
                     "created_at, expire_at) VALUES (?, ?, ?, 100, NOW(3) - INTERVAL 1 MINUTE, "
                     "NOW(3) + INTERVAL 1 HOUR)",
                    use(mch), use(appid), use(no), now;
              }).isOk());
  f.addOrder("x");  // what the injection text would match if it were not a literal
  MySqlNotificationStore store(*f.db, 0);
  const std::vector<ReceivedBody> batch = {f.body(odd), f.body(injection)};
  REQUIRE(batch[0].verified.verdict == NotificationVerdict::kAccepted);
  auto r = store.receiveBatch(ptrs(batch));
  INFO(r.status().message());
  REQUIRE(r.isOk());
  CHECK((*r)[0].verdict == NotificationVerdict::kAccepted);
  REQUIRE((*r)[0].order.has_value());
  CHECK((*r)[0].order->out_trade_no == odd);
  CHECK((*r)[1].verdict == NotificationVerdict::kUnknownOrder);
  CHECK_FALSE((*r)[1].order.has_value());

  // Other bytes for the same payment (its transaction_id holds the same characters): DUPLICATE;
  // an identical copy: counted on its row.
  const std::vector<ReceivedBody> next = {f.body(odd, "other-bytes"), f.body(odd),
                                          f.body(injection)};
  auto r2 = store.receiveBatch(ptrs(next));
  REQUIRE(r2.isOk());
  CHECK((*r2)[0].verdict == NotificationVerdict::kDuplicate);
  CHECK((*r2)[1].id == (*r)[0].id);
  CHECK((*r2)[1].times_received == 2);
  CHECK((*r2)[2].id == (*r)[1].id);
  CHECK((*r2)[2].times_received == 2);
  CHECK(f.count("SELECT COUNT(*) FROM payment_notification") == 3);
}
