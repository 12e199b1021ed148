// `wxrecon report` as a process against the real MariaDB: which discrepancies touch a Beijing
// day (DESIGN.md §6), the files' content (T17: formula cells and <script> from attacker-
// controlled text), byte-identical reruns, and the same reports under any process TZ.
#include <catch2/catch.hpp>

#include <Poco/Data/Session.h>

#include <fstream>
#include <sstream>

#include "support/process.h"
#include "support/test_db.h"

using namespace wx::test;
using namespace Poco::Data::Keywords;

namespace {

const std::string kMch = "1900000109";
// A key made for this test only: 32 letters and digits, no run of 6 digits.
const std::string kKey = "Rq7pLm2xKc9vTb4nWd8sHf3jYg6zQa1e";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ReportEnv {
 public:
  ReportEnv() {
    reports_ = dir_.path() + "/reports";
    writeIni(true);
    auto r = wxrecon({"migrate"});
    if (r.exit_code != 0) throw std::runtime_error("migrate failed: " + r.err);
  }

  void writeIni(bool with_reports) {
    std::string ini = db_.iniDbSection() + "\n[merchant.shop]\nmch_id = " + kMch +
                      "\nappid = wxd930ea5d5a258f4f\napi_key_env = WXT_REPORT_KEY\n";
    if (with_reports) ini += "\n[reports]\ndir = " + reports_ + "\n";
    ini_ = dir_.write("wxrecon.ini", ini);
  }

  ProcessResult wxrecon(std::vector<std::string> args, const std::string& tz = "UTC") const {
    args.push_back("--config");
    args.push_back(ini_);
    return runProcess(WXRECON_BIN, args, {{"WXT_REPORT_KEY", kKey}, {"TZ", tz}});
  }

  void order(const std::string& no, std::int64_t fee, const std::string& state,
             const std::string& created_utc, const std::string& paid_utc) {
    auto s = db_.session();
    std::string mch = kMch, n = no, st = state, created = created_utc;
    Poco::Nullable<std::string> paid;
    if (!paid_utc.empty()) paid = paid_utc;
    s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, state, created_at, "
         "expire_at, paid_at) VALUES (?, 'wxd930ea5d5a258f4f', ?, ?, ?, ?, ? + INTERVAL 2 HOUR, ?)",
        use(mch), use(n), use(fee), use(st), use(created), use(created), use(paid), now;
  }

  struct D {
    std::string kind, severity, no, bill_date, local, remote, detail, first_seen;
    std::string status = "OPEN", by = "", at = "", note = "";
  };
  std::int64_t discrepancy(const D& d) {
    auto s = db_.session();
    D v = d;
    std::string mch = kMch;
    auto nullable = [](const std::string& x) {
      return x.empty() ? Poco::Nullable<std::string>() : Poco::Nullable<std::string>(x);
    };
    Poco::Nullable<std::string> no = nullable(v.no), bill = nullable(v.bill_date),
                                by = nullable(v.by), at = nullable(v.at), note = nullable(v.note);
    s << "INSERT INTO discrepancy (kind, severity, mch_id, out_trade_no, bill_date, local_value, "
         "remote_value, detail, first_seen_at, last_seen_at, status, resolved_by, resolved_at, "
         "resolution_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ? + INTERVAL 1 HOUR, ?, ?, ?, ?)",
        use(v.kind), use(v.severity), use(mch), use(no), use(bill), use(v.local), use(v.remote),
        use(v.detail), use(v.first_seen), use(v.first_seen), use(v.status), use(by), use(at),
        use(note), now;
    std::int64_t id = 0;
    s << "SELECT LAST_INSERT_ID()", into(id), now;
    return id;
  }

  TestDatabase& db() { return db_; }
  const std::string& reports() const { return reports_; }
  std::string dayDir(const std::string& day) const { return reports_ + "/" + kMch + "/" + day; }

 private:
  TestDatabase db_;
  TempDir dir_;
  std::string ini_, reports_;
};

// The CSV row of discrepancy `id` (starts with "<id>,"), or "" when absent.
bool hasRow(const std::string& csv, std::int64_t id) {
  return csv.find("\r\n" + std::to_string(id) + ",") != std::string::npos;
}

}  // namespace

TEST_CASE("report: the discrepancies touching a Beijing day, safe files, same bytes under any TZ",
          "[report][integration]") {
  ReportEnv env;
  // Beijing day D = 2026-11-27 is UTC [2026-11-26 16:00, 2026-11-27 16:00).
  env.order("EARLY-0130", 1000, "REVIEW", "2026-11-26 17:00:00.000", "2026-11-26 17:30:00.000");
  env.order("-2*3", 250, "SUCCESS", "2026-11-27 03:00:00.000", "2026-11-27 03:01:00.000");
  env.order("UNPAID-LATE", 300, "NOTPAY", "2026-11-27 15:59:59.999", "");
  env.order("NEXT-DAY", 400, "SUCCESS", "2026-11-27 15:50:00.000", "2026-11-27 16:00:00.000");
  {
    auto s = env.db().session();
    s << "INSERT INTO bill_day (mch_id, bill_date, local_count, local_amount_fen, bill_count, "
         "bill_order_amount_fen, bill_settlement_fen, bill_refund_fen, bill_fee, bill_net_fen, "
         "matched_count, matched_amount_fen, unmatched_local_count, unmatched_bill_count, "
         "not_managed_count, bill_status) VALUES ('" +
             kMch +
             "', '2026-11-27', 2, 1250, 3, 1251, "
             "1251, 1, '0.05000', 1250, 2, 1250, 0, 1, 0, 'OK')",
        now;
  }
  using D = ReportEnv::D;
  // On D by its bill_date; 商品名称/attach are attacker-controlled (T17).
  const auto bill_only = env.discrepancy(
      {"BILL_ONLY", "HIGH", "=HYPERLINK(\"x\")", "2026-11-27", "", "=cmd|' /C calc'!A0",
       "商品名称==cmd|' /C calc'!A0 attach=<script>alert(1)</script></td>", "2026-11-28 02:00:00"});
  // On D only through its order's paid_at (01:30 Beijing, still 2026-11-26 in UTC); first seen
  // on D+1.
  const auto by_paid = env.discrepancy({"AMOUNT_MISMATCH", "HIGH", "EARLY-0130", "", "@SUM(1+1)",
                                        "-0.01", "amount", "2026-11-27 18:00:00"});
  // Resolved, with a note and a person.
  D resolved{"NOTIFY_MISMATCH",    "MEDIUM", "-2*3", "", "+1", "2", "time_end differs",
             "2026-11-27 04:00:00"};
  resolved.status = "RESOLVED";
  resolved.by = "王会计";
  resolved.at = "2026-11-27 05:00:00";
  resolved.note = "已核对, \"ok\"";
  const auto resolved_id = env.discrepancy(resolved);
  // On D through created_at (never paid: 23:59:59.999 Beijing).
  const auto by_created = env.discrepancy(
      {"QUERY_EXHAUSTED", "MEDIUM", "UNPAID-LATE", "", "", "", "", "2026-11-28 01:00:00"});
  // No order: on D through first_seen_at (00:00:00.000 Beijing).
  const auto by_seen = env.discrepancy(
      {"NOTIFY_UNKNOWN_ORDER", "MEDIUM", "GHOST", "", "", "", "", "2026-11-26 16:00:00"});
  // Not on D: the order was paid on D+1 (first_seen_at on D does not count when there is an order).
  const auto next_day = env.discrepancy(
      {"RESPONSE_BAD_SIGNATURE", "HIGH", "NEXT-DAY", "", "", "", "", "2026-11-27 10:00:00"});
  // Not on D: its bill_date (D-1) wins over the order's paid_at.
  const auto other_bill = env.discrepancy(
      {"LOCAL_ONLY", "HIGH", "EARLY-0130", "2026-11-26", "", "", "", "2026-11-27 10:00:00"});
  // Not on D: first seen 23:59:59.999 Beijing on D-1.
  const auto before = env.discrepancy(
      {"NOTIFY_UNKNOWN_ORDER", "MEDIUM", "GHOST2", "", "", "", "", "2026-11-26 15:59:59.999"});

  auto r = env.wxrecon({"report", "--from", "2026-11-27", "--to", "2026-11-27"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const std::string csv_path = env.dayDir("2026-11-27") + "/reconciliation.csv";
  const std::string html_path = env.dayDir("2026-11-27") + "/reconciliation.html";
  const std::string index_path = env.reports() + "/" + kMch + "/index.html";
  CHECK(r.out.find(csv_path) != std::string::npos);
  CHECK(r.out.find(html_path) != std::string::npos);
  CHECK(r.out.find(index_path) != std::string::npos);

  const std::string csv = slurp(csv_path);
  REQUIRE(csv.compare(0, 3, "\xEF\xBB\xBF") == 0);
  for (auto id : {bill_only, by_paid, resolved_id, by_created, by_seen}) {
    INFO("discrepancy " << id);
    CHECK(hasRow(csv, id));
  }
  for (auto id : {next_day, other_bill, before}) {
    INFO("discrepancy " << id);
    CHECK_FALSE(hasRow(csv, id));
  }
  // T17 and the cell rules, as written in the file.
  CHECK(csv.find(",\"`=HYPERLINK(\"\"x\"\")\",") != std::string::npos);
  // A detail that does not start with a formula character stays as it is (Excel shows text).
  CHECK(csv.find(",商品名称==cmd|' /C calc'!A0 attach=<script>alert(1)</script></td>,") !=
        std::string::npos);
  CHECK(csv.find(",'@SUM(1+1),'-0.01,amount,") != std::string::npos);
  CHECK(csv.find(",,'=cmd|' /C calc'!A0,") != std::string::npos);
  CHECK(csv.find(",`-2*3,") != std::string::npos);
  CHECK(csv.find(",'+1,2,time_end differs,2026-11-27 12:00:00,2026-11-27 13:00:00,王会计,"
                 "2026-11-27 13:00:00,\"已核对, \"\"ok\"\"\"\r\n") != std::string::npos);
  CHECK(csv.find(",10.00,REVIEW,") != std::string::npos);  // the order's amount and state
  CHECK(csv.find("\r\n`1900000109,2026-11-27,OK,3,12.51,12.51,0.01,0.05000,12.50,2,12.50,0.01,2,"
                 "12.50,0,1,0\r\n") != std::string::npos);
  // HIGH rows first, then MEDIUM: by severity, kind, out_trade_no, id.
  CHECK(csv.find("\r\n" + std::to_string(by_paid) + ",HIGH,AMOUNT_MISMATCH") <
        csv.find("\r\n" + std::to_string(bill_only) + ",HIGH,BILL_ONLY"));
  CHECK(csv.find("\r\n" + std::to_string(bill_only) + ",HIGH,BILL_ONLY") <
        csv.find("\r\n" + std::to_string(by_seen) + ",MEDIUM,NOTIFY_UNKNOWN_ORDER"));

  const std::string html = slurp(html_path);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/td&gt;") != std::string::npos);
  CHECK(html.find("王会计") != std::string::npos);
  CHECK(html.find("已核对, &quot;ok&quot;") != std::string::npos);
  CHECK(html.find("<td class=\"num bad\">0.01</td>") != std::string::npos);  // 12.51 vs 12.50

  const std::string index = slurp(index_path);
  CHECK(index.find("2026-11-27/reconciliation.html") != std::string::npos);
  // Days with discrepancies but no report written are listed without a link.
  CHECK(index.find("2026-11-28 (no report written)") != std::string::npos);
  CHECK(index.find("2026-11-26 (no report written)") != std::string::npos);
  CHECK(index.find("2026-11-28") < index.find("2026-11-27"));

  // The run is recorded.
  std::string kind, status;
  env.db().session() << "SELECT kind, status FROM recon_run ORDER BY id DESC LIMIT 1", into(kind),
      into(status), now;
  CHECK(kind == "report");
  CHECK(status == "OK");

  SECTION("a second run writes the same CSV bytes") {
    auto again = env.wxrecon({"report", "--from", "2026-11-27", "--to", "2026-11-27"});
    REQUIRE(again.exit_code == 0);
    CHECK(slurp(csv_path) == csv);
  }
  SECTION("the process TZ changes nothing (T13)") {
    for (const char* tz : {"America/New_York", "Asia/Shanghai"}) {
      INFO(tz);
      auto other = env.wxrecon({"report", "--from", "2026-11-27", "--to", "2026-11-27"}, tz);
      REQUIRE(other.exit_code == 0);
      CHECK(slurp(csv_path) == csv);
      auto strip = [](const std::string& h) { return h.substr(0, h.find("<footer>")); };
      CHECK(strip(slurp(html_path)) == strip(html));
    }
  }
}

TEST_CASE("report: a day with nothing yet gets a page saying so", "[report][integration]") {
  ReportEnv env;
  auto r = env.wxrecon({"report", "--from", "2026-11-01", "--to", "2026-11-02"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const std::string csv = slurp(env.dayDir("2026-11-02") + "/reconciliation.csv");
  CHECK(csv.find("`1900000109,2026-11-02,NOT_RECONCILED,") != std::string::npos);
  const std::string html = slurp(env.dayDir("2026-11-01") + "/reconciliation.html");
  CHECK(html.find("has not been reconciled yet") != std::string::npos);
  CHECK(html.find("No discrepancies touch this day.") != std::string::npos);
}

TEST_CASE("report: usage and configuration errors exit 2 naming the problem",
          "[report][integration]") {
  ReportEnv env;
  auto missing_to = env.wxrecon({"report", "--from", "2026-11-01"});
  CHECK(missing_to.exit_code == 2);
  CHECK(missing_to.err.find("--to") != std::string::npos);
  auto reversed = env.wxrecon({"report", "--from", "2026-11-02", "--to", "2026-11-01"});
  CHECK(reversed.exit_code == 2);
  CHECK(reversed.err.find("before --from") != std::string::npos);
  auto bad_date = env.wxrecon({"report", "--from", "2026-02-30", "--to", "2026-03-01"});
  CHECK(bad_date.exit_code == 2);
  CHECK(bad_date.err.find("--from") != std::string::npos);
  auto unknown =
      env.wxrecon({"report", "--from", "2026-11-01", "--to", "2026-11-01", "--mch", "42"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("--mch 42") != std::string::npos);
  env.writeIni(false);
  auto no_dir = env.wxrecon({"report", "--from", "2026-11-01", "--to", "2026-11-01"});
  CHECK(no_dir.exit_code == 2);
  CHECK(no_dir.err.find("[reports] dir") != std::string::npos);
}
