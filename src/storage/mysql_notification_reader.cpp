#include "storage/mysql_notification_reader.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include "storage/database.h"

namespace wx {

using namespace Poco::Data::Keywords;

namespace {
// Larger than notify.max_body_bytes may be configured in practice and than what
// verifyNotification accepts by default (64 KiB).
constexpr std::size_t kMaxBody = 1 << 20;
}  // namespace

Result<std::vector<StoredNotification>> MySqlNotificationReader::forOrder(
    const std::string& mch_id, const std::string& out_trade_no) {
  std::vector<StoredNotification> out;
  Status st = db_.run(
      "notifications-for-order",
      [&](Poco::Data::Session& s) {
        out.clear();
        std::string mch = mch_id, no = out_trade_no;
        std::vector<std::int64_t> ids;
        // raw_body is a MEDIUMBLOB: read as a BLOB so the bytes arrive unchanged. Poco's MySQL
        // binding allocates each result buffer at the column's declared maximum (16 MB for a
        // MEDIUMBLOB) on every execution: with one worker thread per request in flight, that
        // alone took the sweep's RSS past 400 MB. LEFT() declares kMaxBody + 1 bytes instead;
        // a body that long is over every notification cap, and LENGTH() reports the truth.
        std::vector<Poco::Data::BLOB> bodies;
        std::vector<std::string> hashes, received;
        std::vector<Poco::Nullable<std::string>> verdicts;
        std::vector<int> times;
        std::vector<std::int64_t> lengths;
        s << "SELECT id, LEFT(raw_body, " + std::to_string(kMaxBody + 1) +
                 "), LENGTH(raw_body), body_sha256, verdict, CAST(received_at AS CHAR), "
                 "times_received FROM payment_notification WHERE mch_id = ? AND out_trade_no = ? "
                 "ORDER BY id",
            use(mch), use(no), into(ids), into(bodies), into(lengths), into(hashes), into(verdicts),
            into(received), into(times), now;
        for (std::size_t i = 0; i < ids.size(); ++i) {
          StoredNotification n;
          n.id = ids[i];
          if (bodies[i].size() > 0) {
            n.raw_body.assign(reinterpret_cast<const char*>(bodies[i].rawContent()),
                              bodies[i].size());
          }
          if (lengths[i] > static_cast<std::int64_t>(kMaxBody)) {
            // Longer than any notification may be: kept out, it could not verify anyway.
            continue;
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
