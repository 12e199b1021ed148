// A test environment for `wxrecon sweep` end to end: a fresh database (migrated by the real
// binary), a real wxpay-sim on the real clock, and a temp INI whose [wechat] base_url points at
// the sim, with short timeouts and a short lease. Orders are created on both sides with helpers.
//
//   wx::test::SweepEnv env;                       // merchants "shop" (MD5), "other" (HMAC)
//   env.order(0, "P1", 100, -3600, 3600);         // created 1 h ago, expires in 1 h
//   env.simPay(0, "P1");
//   auto r = env.sweep();                         // runs WXRECON_BIN sweep --config ...
#pragma once

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/hash.h"
#include "common/secret.h"
#include "common/time.h"
#include "support/process.h"
#include "support/sim_process.h"
#include "support/test_db.h"
#include "wechat/signer.h"
#include "wechat/xml_codec.h"

namespace wx::test {

struct SweepEnvOptions {
  int lease_s = 4;  // must exceed 2 x (timeout_ms + connect_timeout_ms)
  int timeout_ms = 1000;
  int connect_timeout_ms = 500;
  int max_in_flight = 8;
  int close_grace_s = 2;
  // Per merchant index: a wrong API key in wxrecon's INI (the sim answers SIGNERROR/FAIL).
  std::map<std::size_t, std::string> wrong_key;
  std::string extra_ini;
  // The merchants' mch_ids (index order; empty: the sim's defaults). Tests whose processes run
  // a bill of a day other tests also bill give their own: GET_LOCK names are server-wide.
  std::vector<std::string> mch_ids;
};

class SweepEnv {
 public:
  SweepEnv() : SweepEnv(SweepEnvOptions{}) {}
  explicit SweepEnv(SweepEnvOptions options)
      : options_(std::move(options)), sim_(simOptions(options_.mch_ids)) {
    writeIni();
    auto r = wxrecon({"migrate"});
    if (r.exit_code != 0) throw std::runtime_error("migrate failed: " + r.err);
  }

  static SimProcess::Options simOptions(const std::vector<std::string>& mch_ids = {}) {
    SimProcess::Options o;
    o.clock = "";  // the real clock: expiry and the 5-minute rule agree with the database's
    for (std::size_t i = 0; i < mch_ids.size() && i < o.merchants.size(); ++i) {
      o.merchants[i].mch_id = mch_ids[i];
    }
    return o;
  }

  SimProcess& sim() { return sim_; }
  TestDatabase& db() { return db_; }
  const std::string& iniPath() const { return ini_; }
  const SimMerchantSpec& merchant(std::size_t i) const { return sim_.merchant(i); }
  std::string appid(std::size_t i) const {
    const auto& a = merchant(i).appids;
    return a.substr(0, a.find(','));
  }

  void writeIni(const std::string& extra = "") {
    std::string ini = db_.iniDbSection();
    ini += "\n[wechat]\nbase_url = " + sim_.url() + "\nbackup_url = " + sim_.url() +
           "\nconnect_timeout_ms = " + std::to_string(options_.connect_timeout_ms) +
           "\ntimeout_ms = " + std::to_string(options_.timeout_ms) +
           "\nmax_in_flight = " + std::to_string(options_.max_in_flight) + "\nqps = 2000\n";
    for (std::size_t i = 0; i < sim_.options().merchants.size(); ++i) {
      const auto& m = sim_.options().merchants[i];
      ini += "\n[merchant." + m.name + "]\nmch_id = " + m.mch_id + "\nappid = " + m.appids +
             "\napi_key_env = WXT_SWEEP_KEY_" + m.name + "\nsign_type = " + m.sign_type + "\n";
    }
    ini += "\n[schedule]\nlease_s = " + std::to_string(options_.lease_s) +
           "\nsweep_interval_s = 1\n\n[policy]\nclose_grace_s = " +
           std::to_string(options_.close_grace_s) + "\n" + options_.extra_ini + extra;
    ini_ = dir_.write("wxrecon.ini", ini);
  }

  std::map<std::string, std::string> env() const {
    std::map<std::string, std::string> e;
    for (std::size_t i = 0; i < sim_.options().merchants.size(); ++i) {
      const auto& m = sim_.options().merchants[i];
      auto w = options_.wrong_key.find(i);
      e["WXT_SWEEP_KEY_" + m.name] = w == options_.wrong_key.end() ? m.key : w->second;
    }
    return e;
  }

  ProcessResult wxrecon(std::vector<std::string> args) const {
    args.push_back("--config");
    args.push_back(ini_);
    return runProcess(WXRECON_BIN, args, env());
  }
  ProcessResult sweep(std::vector<std::string> extra = {}) const {
    extra.insert(extra.begin(), "sweep");
    return wxrecon(extra);
  }

  // ISO-8601 UTC of now + offset_s (for the sim).
  static std::string isoIn(int offset_s) {
    auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
    return formatIso8601Utc(now + std::chrono::seconds(offset_s));
  }

  // The order on both sides (sim: unless `at_sim` is false), created `created_s` from now and
  // expiring `expire_s` from now. Returns the local id.
  std::int64_t order(std::size_t m, const std::string& no, std::int64_t fee, int created_s,
                     int expire_s, bool at_sim = true) {
    if (at_sim) {
      sim_.controlJson("POST", "/sim/orders",
                       R"({"mch_id":")" + merchant(m).mch_id + R"(","appid":")" + appid(m) +
                           R"(","out_trade_no":")" + no + R"(","total_fee":)" +
                           std::to_string(fee) + R"(,"created_at":")" + isoIn(created_s) +
                           R"(","time_expire":")" + isoIn(expire_s) + R"("})");
    }
    return localOrder(merchant(m).mch_id, appid(m), no, fee, created_s, expire_s);
  }

  std::int64_t localOrder(const std::string& mch, const std::string& appid, const std::string& no,
                          std::int64_t fee, int created_s, int expire_s,
                          const std::string& state = "NOTPAY") {
    using namespace Poco::Data::Keywords;
    auto s = db_.session();
    s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, created_at, "
         "expire_at, state) VALUES ('" +
             mch + "','" + appid + "','" + no + "'," + std::to_string(fee) +
             ", NOW(3) + INTERVAL " + std::to_string(created_s) + " SECOND, NOW(3) + INTERVAL " +
             std::to_string(expire_s) + " SECOND, '" + state + "')",
        now;
    std::int64_t id = 0;
    s << "SELECT LAST_INSERT_ID()", into(id), now;
    return id;
  }

  void simPay(std::size_t m, const std::string& no, std::int64_t paid_fee = 0) {
    std::string body = R"({"mch_id":")" + merchant(m).mch_id + R"(","notify":"lose")";
    if (paid_fee > 0) body += R"(,"paid_fee":)" + std::to_string(paid_fee);
    sim_.controlJson("POST", "/sim/orders/" + no + "/pay", body + "}");
  }
  void simRefund(std::size_t m, const std::string& no, std::int64_t fee) {
    sim_.controlJson(
        "POST", "/sim/orders/" + no + "/refund",
        R"({"mch_id":")" + merchant(m).mch_id + R"(","refund_fee":)" + std::to_string(fee) + "}");
  }
  // From now on the sim answers downloadbill for merchant `m` and day `d` with WeChat's error
  // envelope (return_msg `msg`, error_code `code`), whatever its clock says.
  void simBillError(std::size_t m, const CivilDate& d, const std::string& msg,
                    const std::string& code) {
    sim_.controlJson("POST", "/sim/bills/override",
                     R"({"mch_id":")" + merchant(m).mch_id + R"(","date":")" + formatIsoDate(d) +
                         R"(","error":")" + msg + R"(","error_code":")" + code + R"("})");
  }
  std::string simState(std::size_t m, const std::string& no) {
    return sim_.controlJson("GET", "/sim/orders/" + no + "?mch_id=" + merchant(m).mch_id)
        ->getValue<std::string>("state");
  }

  // Stores a payment notification for order `no` of merchant `m` as a merchant's own endpoint
  // would (DESIGN.md §4: the fixed columns; verdict advisory), signed with `key` (empty: the
  // merchant's real key) in the merchant's sign type. time_end is `paid_s` from now.
  void storeNotification(std::size_t m, const std::string& no, std::int64_t fee,
                         const std::string& transaction_id, int paid_s,
                         const std::string& key = "") {
    using namespace Poco::Data::Keywords;
    const auto& spec = merchant(m);
    const auto when = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()) +
                      std::chrono::seconds(paid_s);
    FieldMap f{{"return_code", "SUCCESS"},
               {"result_code", "SUCCESS"},
               {"appid", appid(m)},
               {"mch_id", spec.mch_id},
               {"nonce_str", "n0nce" + no},
               {"openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
               {"is_subscribe", "N"},
               {"trade_type", "JSAPI"},
               {"bank_type", "CMC"},
               {"total_fee", std::to_string(fee)},
               {"cash_fee", std::to_string(fee)},
               {"fee_type", "CNY"},
               {"transaction_id", transaction_id},
               {"out_trade_no", no},
               {"time_end", formatBeijingCompact(when)}};
    const SignType type = spec.sign_type == "MD5" ? SignType::kMd5 : SignType::kHmacSha256;
    signRequest(f, type, Secret(key.empty() ? spec.key : key));
    std::string body = writeXmlFields(f);
    std::string sha = sha256Hex(body), mch = spec.mch_id, app = appid(m), out = no,
                txn = transaction_id, time_end = formatUtcSql(when);
    Poco::Data::BLOB blob(reinterpret_cast<const unsigned char*>(body.data()), body.size());
    auto s = db_.session();
    s << "INSERT INTO payment_notification (mch_id, appid, out_trade_no, transaction_id, "
         "total_fee, time_end, sign_ok, verdict, raw_body, body_sha256, received_at) VALUES "
         "(?, ?, ?, ?, ?, ?, 1, 'ACCEPTED', ?, ?, NOW(3))",
        use(mch), use(app), use(out), use(txn), use(fee), use(time_end), use(blob), use(sha), now;
  }

  // Every unfinished order (and every pending close confirmation) due now.
  void makeAllDue() {
    using namespace Poco::Data::Keywords;
    auto s = db_.session();
    s << "UPDATE merchant_order SET next_check_at = NULL WHERE state IN ('NOTPAY','USERPAYING')",
        now;
    s << "UPDATE merchant_order SET close_confirm_at = NOW(3) - INTERVAL 1 SECOND "
         "WHERE close_confirm_at IS NOT NULL",
        now;
  }

  struct Row {
    std::string state;
    std::string transaction_id;  // "" when NULL
    bool has_paid_at = false;
    bool has_next_check = false;
    int check_attempts = 0;
    std::int64_t version = 0;
    bool leased = false;
  };
  Row row(const std::string& no) {
    using namespace Poco::Data::Keywords;
    std::string key = no;
    auto s = db_.session();
    std::string state, txn;
    int paid = 0, next = 0, attempts = 0, leased = 0;
    std::int64_t version = 0;
    s << "SELECT state, COALESCE(transaction_id, ''), paid_at IS NOT NULL, "
         "next_check_at IS NOT NULL, check_attempts, version, lease_owner IS NOT NULL "
         "FROM merchant_order WHERE out_trade_no = ?",
        use(key), into(state), into(txn), into(paid), into(next), into(attempts), into(version),
        into(leased), now;
    return {state, txn, paid != 0, next != 0, attempts, version, leased != 0};
  }
  // "FROM>TO/source" for each transition of the order, oldest first.
  std::vector<std::string> transitions(const std::string& no) {
    using namespace Poco::Data::Keywords;
    std::string key = no;
    auto s = db_.session();
    std::vector<std::string> out;
    s << "SELECT CONCAT(t.from_state, '>', t.to_state, '/', t.source) FROM order_transition t "
         "JOIN merchant_order o ON o.id = t.order_id WHERE o.out_trade_no = ? ORDER BY t.id",
        use(key), into(out), now;
    return out;
  }
  std::int64_t count(const std::string& sql) {
    using namespace Poco::Data::Keywords;
    auto s = db_.session();
    std::int64_t n = 0;
    s << sql, into(n), now;
    return n;
  }
  std::vector<std::string> openDiscrepancies(const std::string& no) {
    using namespace Poco::Data::Keywords;
    std::string key = no;
    auto s = db_.session();
    std::vector<std::string> out;
    s << "SELECT kind FROM discrepancy WHERE out_trade_no = ? AND status = 'OPEN' ORDER BY kind",
        use(key), into(out), now;
    return out;
  }

 private:
  SweepEnvOptions options_;
  TestDatabase db_;
  TempDir dir_;
  SimProcess sim_;
  std::string ini_;
};

}  // namespace wx::test
