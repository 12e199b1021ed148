#include "storage/mysql_notification_reader.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <map>

#include "storage/database.h"

namespace wx {

using namespace Poco::Data::Keywords;

namespace {
// Larger than notify.max_body_bytes may be configured in practice and than what
// verifyNotification accepts by default (64 KiB).
constexpr std::size_t kMaxBody = 1 << 20;
// out_trade_no values per IN list (one statement per merchant and chunk).
constexpr std::size_t kChunk = 500;

std::string idList(const std::vector<std::int64_t>& ids) {
  std::string s;
  for (auto id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

// The ids of the rows naming these orders: an index-only read of idx_notification_order
// (mch_id, out_trade_no), cheap when there are none, which is the common case.
void findIds(Poco::Data::Session& s, const std::map<std::string, std::vector<std::string>>& by_mch,
             std::vector<std::int64_t>& ids) {
  for (const auto& [mch_id, numbers] : by_mch) {
    for (std::size_t from = 0; from < numbers.size(); from += kChunk) {
      const std::size_t to = std::min(numbers.size(), from + kChunk);
      std::vector<std::string> values;  // bound by reference: no reallocation after reserve
      values.reserve(to - from + 1);
      values.push_back(mch_id);
      std::string sql =
          "SELECT id FROM payment_notification WHERE mch_id = ? AND out_trade_no IN (";
      for (std::size_t i = from; i < to; ++i) {
        values.push_back(numbers[i]);
        sql += i == from ? "?" : ",?";
      }
      sql += ")";
      std::vector<std::int64_t> found;  // Poco clears a vector it extracts into
      Poco::Data::Statement q(s);
      q << sql;
      for (auto& v : values) q.addBind(use(v));
      q, into(found);
      q.execute();
      ids.insert(ids.end(), found.begin(), found.end());
    }
  }
}

}  // namespace

Result<std::vector<StoredNotification>> MySqlNotificationReader::forOrder(
    const std::string& mch_id, const std::string& out_trade_no) {
  return forOrders({OrderKey{mch_id, out_trade_no}});
}

Result<std::vector<StoredNotification>> MySqlNotificationReader::forOrders(
    const std::vector<OrderKey>& orders) {
  std::vector<StoredNotification> out;
  if (orders.empty()) return out;
  std::map<std::string, std::vector<std::string>> by_mch;
  for (const auto& k : orders) by_mch[k.mch_id].push_back(k.out_trade_no);
  Status st = db_.run(
      "notifications-for-orders",
      [&](Poco::Data::Session& s) {
        out.clear();
        std::vector<std::int64_t> ids;
        findIds(s, by_mch, ids);
        if (ids.empty()) return;
        // raw_body is a MEDIUMBLOB: read as a BLOB so the bytes arrive unchanged. Poco's MySQL
        // binding allocates each result buffer at the column's declared maximum (16 MB for a
        // MEDIUMBLOB) on every execution: with one worker thread per request in flight, that
        // alone took the sweep's RSS past 400 MB. LEFT() declares kMaxBody + 1 bytes instead;
        // a body that long is over every notification cap, and LENGTH() reports the truth.
        // Only this second statement pays for that buffer, and only when some row exists.
        std::vector<std::int64_t> row_ids;
        std::vector<std::string> mchs, numbers, hashes, received;
        std::vector<Poco::Data::BLOB> bodies;
        std::vector<Poco::Nullable<std::string>> verdicts;
        std::vector<int> times;
        std::vector<std::int64_t> lengths;
        s << "SELECT id, mch_id, out_trade_no, LEFT(raw_body, " + std::to_string(kMaxBody + 1) +
                 "), LENGTH(raw_body), body_sha256, verdict, CAST(received_at AS CHAR), "
                 "times_received FROM payment_notification WHERE id IN (" + idList(ids) +
                 ") ORDER BY id",
            into(row_ids), into(mchs), into(numbers), into(bodies), into(lengths), into(hashes),
            into(verdicts), into(received), into(times), now;
        for (std::size_t i = 0; i < row_ids.size(); ++i) {
          if (lengths[i] > static_cast<std::int64_t>(kMaxBody)) {
            // Longer than any notification may be: kept out, it could not verify anyway.
            continue;
          }
          StoredNotification n;
          n.id = row_ids[i];
          n.mch_id = mchs[i];
          n.out_trade_no = numbers[i];
          if (bodies[i].size() > 0) {
            n.raw_body.assign(reinterpret_cast<const char*>(bodies[i].rawContent()),
                              bodies[i].size());
          }
          n.body_sha256 = hashes[i];
          n.verdict = verdicts[i].isNull() ? "" : verdicts[i].value();
          auto t = parseUtcSql(received[i]);
          if (!t) throw DbError(Status::dataLoss("payment_notification: " + t.status().message()));
          n.received_at = *t;
          n.times_received = times[i];
          out.push_back(std::move(n));
        }
      },
      {false, 3});
  if (!st.isOk()) return st;
  return out;
}

}  // namespace wx
