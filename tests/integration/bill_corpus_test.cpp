// RELIABILITY.md T12: the bill corpus (tests/fixtures/bills/) through the whole `wxrecon bill`
// command. wxpay-sim answers day D with each fixture (POST /sim/bills/override: gzipped like
// WeChat's GZIP answer, or verbatim for the gzip and XML fixtures); the fixtures' merchant and
// appid are merchant 0's, their date is replaced by D. The local side holds the fixtures' four
// paid orders (ORD0002 refunded), so a bill read correctly yields 0 discrepancies; a rejected one
// yields exactly BILL_TOTALS_MISMATCH and nothing else, whatever the local orders say.
#include <catch2/catch.hpp>

#include "integration/bill_env.h"

using namespace wx;
using namespace wx::test;
using Catch::Matchers::Contains;
using namespace Poco::Data::Keywords;

namespace {

struct CorpusCase {
  const char* fixture;  // "" = a zero-byte body
  bool raw;             // served verbatim (else gzipped on request, as WeChat does)
  const char* status;   // classification of D: OK, EMPTY, REJECTED, NOT_READY, FAILED
  bool plant;           // the four paid orders exist locally
  const char* why;
};

const CorpusCase kCases[] = {
    {"all_synthetic.csv", false, "OK", true, "the 5-row sample bill"},
    {"all_synthetic.csv.gz", true, "OK", true, "a gzip file served as is"},
    {"all_crlf.csv", false, "OK", true, "CRLF line ends"},
    {"all_bom.csv", false, "OK", true, "a UTF-8 BOM"},
    {"all_trailing_blank_lines.csv", false, "OK", true, "blank lines after the summary"},
    {"all_no_final_newline.csv", false, "OK", true, "no newline after the summary"},
    {"fullwidth_colon.csv", false, "OK", true, "交易时间 with full-width colons"},
    {"legacy_all.csv", false, "OK", true, "the old 24-column layout (总金额)"},
    {"body_backtick_comma.csv", false, "OK", true, "backtick and comma inside 商品名称/商户数据包"},
    {"all_count_payments_only.csv", false, "OK", true, "总交易单数 counting payments only"},
    {"all_refund_fee_positive.csv", false, "OK", true, "a positive refund-row fee"},
    {"empty_day.csv", false, "OK", false, "header and a zero summary: an empty day's file"},
    {"no_bill_exist.xml", true, "EMPTY", false, "No Bill Exist"},
    {"bill_creating.xml", true, "NOT_READY", true, "Bill Creating: WeChat says try later"},
    {"invalid_bill_date.xml", true, "FAILED", true, "an error envelope is never an empty bill"},
    {"", true, "FAILED", true, "a zero-byte answer to a GZIP request"},
    {"(gzip of nothing)", true, "REJECTED", true, "a gzip of an empty file"},
    {"corrupt.csv.gz", true, "REJECTED", true, "corrupt gzip"},
    {"truncated.csv.gz", true, "REJECTED", true, "truncated gzip"},
    {"truncated_trailer.csv.gz", true, "REJECTED", true, "gzip without its trailer"},
    {"missing_summary.csv", false, "REJECTED", true, "no summary row"},
    {"mismatch_count.csv", false, "REJECTED", true, "总交易单数 wrong"},
    {"mismatch_settlement.csv", false, "REJECTED", true, "应结订单总金额 wrong"},
    {"mismatch_refund.csv", false, "REJECTED", true, "退款总金额 wrong"},
    {"mismatch_coupon_refund.csv", false, "REJECTED", true, "充值券退款总金额 wrong"},
    {"mismatch_fee.csv", false, "REJECTED", true, "手续费总金额 wrong"},
    {"mismatch_order.csv", false, "REJECTED", true, "订单总金额 wrong"},
    {"mismatch_refund_applied.csv", false, "REJECTED", true, "申请退款总金额 wrong"},
};

int exitFor(const std::string& status) {
  if (status == "OK" || status == "EMPTY") return 0;
  if (status == "REJECTED") return 3;
  if (status == "NOT_READY") return 4;
  return 1;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

}  // namespace

TEST_CASE("bill corpus (T12): each fixture classified correctly by wxrecon bill",
          "[bill][integration][corpus]") {
  BillEnv env(4);  // a day of its own (bill_env.h)
  const CivilDate d = env.day;
  const std::string dtext = formatIsoDate(d), d1text = formatIsoDate(addDays(d, 1));
  for (const CorpusCase& c : kCases) {
    INFO("fixture " << (*c.fixture ? c.fixture : "(zero bytes)") << ": " << c.why);
    auto s = env.db().session();
    for (const char* table : {"discrepancy", "bill_file", "bill_day", "order_transition",
                              "merchant_order", "recon_run"}) {
      s << std::string("DELETE FROM ") + table, now;
    }
    // `gzip -n < /dev/null` (built here: Poco's gzip stream writes nothing for no input).
    static const std::string kGzipOfNothing("\x1f\x8b\x08\0\0\0\0\0\0\x03\x03\0\0\0\0\0\0\0\0\0",
                                            20);
    const std::string name = c.fixture;
    std::string bytes = name.empty()                  ? std::string()
                        : name == "(gzip of nothing)" ? kGzipOfNothing
                                                      : billFixture(name);
    if (!c.raw) bytes = replaceAll(bytes, "2024-05-01", dtext);
    env.overrideBill(d, bytes, c.raw);
    if (c.plant) {
      env.localPaid("ORD0001", 600, d, 8, 35, "SUCCESS", 41, "4200000001202405010000000001");
      env.localPaid("ORD0002", 100, d, 9, 10, "REFUND", 2, "4200000001202405010000000002");
      env.localPaid("ORD0003", 50, d, 12, 0, "SUCCESS", 0, "4200000001202405010000000003");
      env.localPaid("ORD0004", 200, d, 18, 20, "SUCCESS", 15, "4200000001202405010000000004");
    }
    const std::string status = c.status;
    auto r = env.bill();
    INFO(r.out << r.err);
    CHECK(r.exit_code == exitFor(status));
    CHECK_THAT(r.out, Contains("bill " + status));
    // Only a rejected bill raises BILL_TOTALS_MISMATCH; nothing else is concluded from any case.
    const std::vector<std::string> rejected = {"BILL_TOTALS_MISMATCH::OPEN"};
    CHECK(env.discrepancies() == (status == "REJECTED" ? rejected : std::vector<std::string>{}));
    // bill_file: D (and D+1, fetched only for a usable D) when something was downloaded.
    std::vector<std::string> files;
    if (status == "OK" || status == "EMPTY") files = {dtext + ":" + status, d1text + ":EMPTY"};
    if (status == "REJECTED") files = {dtext + ":REJECTED"};
    CHECK(env.billFiles() == files);
    // Orders are never moved by a bill alone.
    CHECK(env.count("SELECT COUNT(*) FROM order_transition") == 0);
    if (status == "REJECTED") {
      std::string error;
      s << "SELECT COALESCE(error, '') FROM bill_file", into(error), now;
      CHECK_FALSE(error.empty());
      // The day is saved (its page shows the rejection) with nothing concluded.
      CHECK(env.count("SELECT COUNT(*) FROM bill_day") == 1);
      CHECK(env.count("SELECT COUNT(*) FROM bill_day WHERE bill_status = 'REJECTED' AND "
                      "local_count = 0 AND matched_count = 0 AND bill_count = 0 AND "
                      "unmatched_local_count = 0 AND unmatched_bill_count = 0") == 1);
    }
    if (status == "OK" && c.plant) {
      std::int64_t local = 0, local_amount = 0, matched = 0, matched_amount = 0, bill_count = 0,
                   bill_amount = 0, refund = 0, unmatched_local = 0, unmatched_bill = 0;
      s << "SELECT local_count, local_amount_fen, matched_count, matched_amount_fen, bill_count, "
           "bill_order_amount_fen, bill_refund_fen, unmatched_local_count, unmatched_bill_count "
           "FROM bill_day",
          into(local), into(local_amount), into(matched), into(matched_amount), into(bill_count),
          into(bill_amount), into(refund), into(unmatched_local), into(unmatched_bill), now;
      CHECK(local == 4);
      CHECK(local_amount == 950);
      CHECK(matched == 4);
      CHECK(matched_amount == 950);
      CHECK(bill_count == 4);
      CHECK(bill_amount == 950);
      CHECK(refund == 100);
      CHECK(unmatched_local == 0);
      CHECK(unmatched_bill == 0);
    }
    if (status == "OK" && !c.plant) {
      CHECK(env.count("SELECT bill_count FROM bill_day") == 0);
      CHECK(env.count("SELECT COUNT(*) FROM bill_day WHERE bill_status = 'OK'") == 1);
    }
  }
}

TEST_CASE(
    "bill: a rejected bill exits 3 with BILL_TOTALS_MISMATCH only, and a later good copy "
    "of the same day is reconciled",
    "[bill][integration][corpus]") {
  BillEnv env(5);  // a day of its own (bill_env.h)
  const CivilDate d = env.day;
  const std::string dtext = formatIsoDate(d);
  env.localPaid("ORD0001", 600, d, 8, 35, "SUCCESS", 41, "4200000001202405010000000001");
  env.localPaid("LONLY", 150, d, 14, 0);  // in no bill: LOCAL_ONLY, but only from a usable bill
  env.overrideBill(d, replaceAll(billFixture("mismatch_order.csv"), "2024-05-01", dtext));
  auto r = env.bill();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.out, Contains("bill REJECTED"));
  CHECK_THAT(r.out, Contains("订单总金额"));
  CHECK(env.discrepancies() == std::vector<std::string>{"BILL_TOTALS_MISMATCH::OPEN"});
  std::string said;
  env.db().session() << "SELECT CAST(CONCAT(local_value, '|', remote_value, '|', "
                        "COALESCE(detail, '')) AS CHAR(4000)) FROM discrepancy",
      into(said), now;
  CHECK_THAT(said, Contains("订单总金额"));

  // WeChat serves a corrected file: a new bill_file row (another sha256), reconciled.
  env.overrideBill(d, replaceAll(billFixture("all_synthetic.csv"), "2024-05-01", dtext));
  auto again = env.bill();
  INFO(again.out << again.err);
  CHECK(again.exit_code == 3);  // LOCAL_ONLY (HIGH) for LONLY; ORD0002..4 are BILL_ONLY
  CHECK_THAT(again.out, Contains("bill OK"));
  CHECK(env.billFiles() == std::vector<std::string>{dtext + ":REJECTED", dtext + ":OK",
                                                    formatIsoDate(addDays(d, 1)) + ":EMPTY"});
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy WHERE kind = 'LOCAL_ONLY' AND "
                  "out_trade_no = 'LONLY'") == 1);
  CHECK(env.count("SELECT matched_count FROM bill_day") == 1);
  // The rejection cleared by itself: RESOLVED by wxrecon, saying why.
  CHECK(env.count("SELECT COUNT(*) FROM discrepancy WHERE kind = 'BILL_TOTALS_MISMATCH' AND "
                  "status = 'RESOLVED' AND resolved_by = 'wxrecon' AND resolution_note LIKE "
                  "'cleared by itself: a later download of the day''s bill was consistent%'") == 1);
}
