// The environment of the `wxrecon bill` tests (bill_command_test, bill_corpus_test,
// bill_timezone_test, bill_money_test): SweepEnv (fresh database, real wxpay-sim on the real
// clock, the real binary) plus [bill]/[reports] sections and helpers for a Beijing day D (3 days
// ago unless given), so D and D+1 are both downloadable at any hour.
//
//   BillEnv env;
//   env.paidAtSim("M1", 100, env.day, 0, 30);       // both sides; paid at the sim 00:30 Beijing
//   env.overrideBill(env.day, fixture("x.csv"));    // the sim answers D with these bytes instead
//   auto r = env.bill();                            // wxrecon bill --date D --mch <merchant 0>
#pragma once

#include <Poco/Base64Encoder.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/sweep_env.h"

namespace wx::test {

// The bytes of tests/fixtures/bills/<name>.
inline std::string billFixture(const std::string& name) {
  const std::string path = std::string(WX_SOURCE_DIR) + "/tests/fixtures/bills/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("no fixture " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct BillEnv : SweepEnv {
  CivilDate day;
  // GET_LOCK('wxrecon-bill-<mch>-<date>') is server-wide and ctest runs test cases in parallel
  // on one MariaDB: test cases that may overlap reconcile different days (2..91 days ago).
  // `root`: the archive directory ("<root>-reports" the reports), shared by the process's
  // environments unless a test gives each its own.
  explicit BillEnv(int days_ago = 3, const std::string& root = archiveRoot())
      : SweepEnv(options(root)) {
    day =
        addDays(beijingDate(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now())),
                -days_ago);
  }
  static SweepEnvOptions options(const std::string& root) {
    SweepEnvOptions o;
    o.extra_ini = "\n[bill]\narchive_dir = " + root + "\n[reports]\ndir = " + root + "-reports\n";
    return o;
  }
  // The process's own (mkdtemp'd, removed at exit): never a directory a killed test process
  // with the same pid left behind, with its archived bills.
  static std::string archiveRoot() {
    static const TempDir dir;
    return dir.path() + "/archive";
  }
  // Seconds from now to Beijing `hh:mm` of `d`.
  int at(const CivilDate& d, int hh, int mm, int ss = 0) const {
    const auto t = beijingDayStart(d) + std::chrono::seconds(hh * 3600 + mm * 60 + ss);
    const auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
    return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(t - now).count());
  }
  // An order created the hour before day `d` on both sides (local: unless `local` is false),
  // paid at the sim at Beijing `hh:mm` of `d`.
  void paidAtSim(const std::string& no, std::int64_t fee, const CivilDate& d, int hh, int mm,
                 bool local = true) {
    order(0, no, fee, at(d, 0, 0) - 3600, 7 * 86400, true);
    if (!local) deleteLocal(no);
    sim().controlJson("POST", "/sim/orders/" + no + "/pay",
                      R"({"mch_id":")" + merchant(0).mch_id + R"(","notify":"lose","paid_at":")" +
                          isoIn(at(d, hh, mm)) + R"("})");
  }
  void deleteLocal(const std::string& no) {
    using namespace Poco::Data::Keywords;
    db().session() << "DELETE FROM merchant_order WHERE out_trade_no = '" + no + "'", now;
  }
  // A local order in `state` paid at `hh:mm:ss` of `d` (no sim counterpart unless made).
  void localPaid(const std::string& no, std::int64_t fee, const CivilDate& d, int hh, int mm,
                 const std::string& state = "SUCCESS", int ss = 0,
                 const std::string& transaction_id = "") {
    using namespace Poco::Data::Keywords;
    localOrder(merchant(0).mch_id, appid(0), no, fee, at(d, 0, 0) - 3600, 7 * 86400, state);
    const std::string txn = transaction_id.empty() ? "LOCALTXN" + no : transaction_id;
    db().session() << "UPDATE merchant_order SET transaction_id = '" + txn +
                          "', paid_at = NOW(3) + INTERVAL " + std::to_string(at(d, hh, mm, ss)) +
                          " SECOND WHERE out_trade_no = '" + no + "'",
        now;
  }
  // From now on the sim answers downloadbill for merchant 0 and day `d` with `bytes` (gzipped
  // as WeChat does when wxrecon asks for GZIP; verbatim when `raw`).
  void overrideBill(const CivilDate& d, const std::string& bytes, bool raw = false) {
    std::ostringstream b64;
    Poco::Base64Encoder enc(b64);
    enc.rdbuf()->setLineLength(0);
    enc << bytes;
    enc.close();
    sim().controlJson("POST", "/sim/bills/override",
                      R"({"mch_id":")" + merchant(0).mch_id + R"(","date":")" + formatIsoDate(d) +
                          R"(","body_base64":")" + b64.str() + R"(","raw":)" +
                          (raw ? "true" : "false") + "}");
  }
  // ... or with WeChat's error envelope (return_msg `msg`, error_code `code`).
  void overrideBillError(const CivilDate& d, const std::string& msg, const std::string& code) {
    simBillError(0, d, msg, code);
  }
  // wxrecon bill --date D --mch <merchant 0> [extra], with `env_extra` (e.g. TZ) in the child's
  // environment.
  ProcessResult bill(std::vector<std::string> extra = {},
                     const std::map<std::string, std::string>& env_extra = {}) {
    extra.insert(extra.begin(),
                 {"bill", "--date", formatIsoDate(day), "--mch", merchant(0).mch_id});
    extra.push_back("--config");
    extra.push_back(iniPath());
    auto e = env();
    for (const auto& [k, v] : env_extra) e[k] = v;
    return runProcess(WXRECON_BIN, extra, e);
  }
  // "KIND:out_trade_no:STATUS" of every discrepancy, sorted.
  std::vector<std::string> discrepancies() {
    using namespace Poco::Data::Keywords;
    std::vector<std::string> out;
    db().session() << "SELECT CONCAT(kind, ':', COALESCE(out_trade_no, ''), ':', status) FROM "
                      "discrepancy ORDER BY kind, out_trade_no",
        into(out), now;
    return out;
  }
  // "date:STATUS" of every bill_file row, by date and id.
  std::vector<std::string> billFiles() {
    using namespace Poco::Data::Keywords;
    std::vector<std::string> out;
    db().session() << "SELECT CONCAT(bill_date, ':', status) FROM bill_file ORDER BY bill_date, id",
        into(out), now;
    return out;
  }
};

}  // namespace wx::test
