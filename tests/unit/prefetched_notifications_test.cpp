// PrefetchedNotifications (service/prefetched_notifications.h): one read for a claimed batch,
// each order's rows handed out once, everything else read from the source.
#include <catch2/catch.hpp>

#include "service/prefetched_notifications.h"

using namespace wx;

namespace {

// A store holding rows in memory that counts the reads it serves.
class CountingStore final : public NotificationStore {
 public:
  std::vector<StoredNotification> rows;
  int single_reads = 0;
  int batch_reads = 0;
  bool fail = false;

  Result<std::vector<StoredNotification>> forOrder(const std::string& mch_id,
                                                   const std::string& out_trade_no) override {
    ++single_reads;
    if (fail) return Status::unavailable("down");
    std::vector<StoredNotification> out;
    for (const auto& n : rows) {
      if (n.mch_id == mch_id && n.out_trade_no == out_trade_no) out.push_back(n);
    }
    return out;
  }
  Result<std::vector<StoredNotification>> forOrders(const std::vector<OrderKey>& keys) override {
    ++batch_reads;
    if (fail) return Status::unavailable("down");
    std::vector<StoredNotification> out = rows;  // also rows nobody asked for
    (void)keys;
    return out;
  }
};

StoredNotification row(std::int64_t id, const std::string& mch, const std::string& no) {
  StoredNotification n;
  n.id = id;
  n.mch_id = mch;
  n.out_trade_no = no;
  n.raw_body = "<xml>" + std::to_string(id) + "</xml>";
  return n;
}

}  // namespace

TEST_CASE("prefetched notifications: one read per batch, each order's rows once",
          "[notifications][unit]") {
  CountingStore store;
  store.rows = {row(1, "M1", "A"), row(2, "M1", "B"), row(3, "M1", "A"), row(4, "M2", "A"),
                row(5, "M1", "X")};
  PrefetchedNotifications notes(store);
  REQUIRE(notes.prefetch({{"M1", "A"}, {"M1", "B"}, {"M1", "C"}, {"M2", "A"}}).isOk());
  CHECK(store.batch_reads == 1);
  CHECK(notes.pending() == 4);  // C has none: an empty answer is an answer too

  auto a = notes.forOrder("M1", "A");
  REQUIRE(a.isOk());
  REQUIRE(a->size() == 2);
  CHECK(a->at(0).id == 1);  // the source's order is kept
  CHECK(a->at(1).id == 3);
  auto c = notes.forOrder("M1", "C");
  REQUIRE(c.isOk());
  CHECK(c->empty());
  auto m2 = notes.forOrder("M2", "A");
  REQUIRE(m2.isOk());
  REQUIRE(m2->size() == 1);
  CHECK(m2->at(0).id == 4);
  CHECK(store.single_reads == 0);
  CHECK(notes.pending() == 1);  // B

  // Handed out once: asking again reads the source (rows stored since would be seen).
  store.rows.push_back(row(6, "M1", "A"));
  auto again = notes.forOrder("M1", "A");
  REQUIRE(again.isOk());
  CHECK(again->size() == 3);
  CHECK(store.single_reads == 1);
  // A row the source returned for an order nobody asked for was not kept.
  auto x = notes.forOrder("M1", "X");
  REQUIRE(x.isOk());
  CHECK(store.single_reads == 2);
}

TEST_CASE("prefetched notifications: a failed prefetch keeps nothing: orders read the source",
          "[notifications][unit]") {
  CountingStore store;
  store.rows = {row(1, "M1", "A")};
  PrefetchedNotifications notes(store);
  store.fail = true;
  Status st = notes.prefetch({{"M1", "A"}});
  CHECK(st.code() == StatusCode::kUnavailable);
  CHECK(notes.pending() == 0);
  auto down = notes.forOrder("M1", "A");
  CHECK(down.status().code() == StatusCode::kUnavailable);  // the order fails on its own
  store.fail = false;
  auto up = notes.forOrder("M1", "A");
  REQUIRE(up.isOk());
  CHECK(up->size() == 1);
  CHECK(store.single_reads == 2);
}

TEST_CASE("notification store: the default batch read asks each order and labels the rows",
          "[notifications][unit]") {
  // A store that implements only forOrder (as the notify-server's own does).
  class OneByOne final : public NotificationStore {
   public:
    int reads = 0;
    Result<std::vector<StoredNotification>> forOrder(const std::string& mch_id,
                                                     const std::string& out_trade_no) override {
      ++reads;
      if (out_trade_no == "bad") return Status::unavailable("down");
      StoredNotification n;
      n.raw_body = mch_id + out_trade_no;  // mch_id/out_trade_no left empty on purpose
      return std::vector<StoredNotification>{n};
    }
  } store;
  auto rows = store.forOrders({{"M1", "A"}, {"M2", "B"}});
  REQUIRE(rows.isOk());
  REQUIRE(rows->size() == 2);
  CHECK(rows->at(0).mch_id == "M1");
  CHECK(rows->at(0).out_trade_no == "A");
  CHECK(rows->at(1).raw_body == "M2B");
  CHECK(store.reads == 2);
  CHECK(store.forOrders({{"M1", "A"}, {"M1", "bad"}}).status().code() == StatusCode::kUnavailable);
}
