// reconciliation.csv: DESIGN.md §6's rules, cell by cell, and the file as a whole.
#include <catch2/catch.hpp>

#include "report/csv_report.h"

using namespace wx;

namespace {

TimePoint utc(const char* sql) { return *parseUtcSql(sql); }

ReportDiscrepancy row(std::int64_t id, const std::string& severity, const std::string& kind,
                      const std::string& no) {
  ReportDiscrepancy d;
  d.id = id;
  d.severity = severity;
  d.kind = kind;
  d.status = "OPEN";
  d.out_trade_no = no;
  d.first_seen_at = utc("2026-11-26 16:30:00.000");  // 2026-11-27 00:30:00 Beijing
  d.last_seen_at = utc("2026-11-27 02:00:00.000");
  return d;
}

DayReport sample() {
  DayReport r;
  r.mch_id = "1900000109";
  r.day = CivilDate{2026, 11, 27};
  DayTotals t;
  t.bill_status = "OK";
  t.bill_count = 3;
  t.bill_order_amount = 12345678900;
  t.bill_settlement = 12345678900;
  t.bill_refund = -1;
  t.bill_fee = "0.05000";
  t.bill_net = 12345678899;
  t.local_count = 3;
  t.local_amount = 12345678901;
  t.matched_count = 2;
  t.matched_amount = 1;
  r.totals = t;
  auto a = row(7, "LOW", "NOTIFY_MISSING", "A1");
  auto b = row(3, "HIGH", "LOCAL_ONLY", "-2*3");
  b.transaction_id = "4200000001202611270000000001";
  b.order_amount = 1;
  b.order_state = "SUCCESS";
  b.local_value = "=cmd|' /C calc'!A0";
  b.remote_value = "@SUM(A1:A2)";
  b.detail = "商品名称 \"测试\", 含逗号\r\n第二行";
  auto c = row(5, "HIGH", "AMOUNT_MISMATCH", "Z9");
  c.status = "RESOLVED";
  c.resolved_by = "+1 finance";
  c.resolved_at = utc("2026-11-27 03:04:05.000");
  c.resolution_note = "\tcredited manually";
  auto d = row(4, "MEDIUM", "QUERY_EXHAUSTED", "B2");
  d.detail = "\rline";
  r.discrepancies = {a, b, c, d};
  return r;
}

std::vector<std::string> lines(const std::string& csv) {
  std::vector<std::string> out;
  std::size_t start = 3;  // after the BOM
  bool quoted = false;
  for (std::size_t i = start; i < csv.size(); ++i) {
    if (csv[i] == '"') quoted = !quoted;
    if (!quoted && csv.compare(i, 2, "\r\n") == 0) {
      out.push_back(csv.substr(start, i - start));
      start = i + 2;
      ++i;
    }
  }
  REQUIRE(start == csv.size());  // every record ends with CRLF
  return out;
}

}  // namespace

TEST_CASE("csv cells: RFC 4180 quoting only where needed", "[report][csv]") {
  CHECK(csvQuote("plain") == "plain");
  CHECK(csvQuote("a,b") == "\"a,b\"");
  CHECK(csvQuote("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csvQuote("two\nlines") == "\"two\nlines\"");
  CHECK(csvQuote("cr\rhere") == "\"cr\rhere\"");
  CHECK(csvQuote("") == "");
  CHECK(csvQuote("中文商品") == "中文商品");  // UTF-8 bytes pass unchanged
}

TEST_CASE("csv cells: text that Excel would run as a formula is neutralised", "[report][csv]") {
  // Each leading character DESIGN.md §6 names, with the payload that motivates it.
  CHECK(csvText("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0");
  CHECK(csvText("@SUM(A1:A2)") == "'@SUM(A1:A2)");
  CHECK(csvText("+1") == "'+1");
  CHECK(csvText("-2*3") == "'-2*3");
  CHECK(csvText("\tTAB") == "'\tTAB");
  CHECK(csvText("\rCR") == "\"'\rCR\"");           // neutralised, then quoted for the CR
  CHECK(csvText("=1,2") == "\"'=1,2\"");           // neutralised, then quoted for the comma
  CHECK(csvText("total_fee=1") == "total_fee=1");  // '=' inside is harmless
  CHECK(csvText("") == "");
}

TEST_CASE("csv cells: IDs carry WeChat's backtick and stay text", "[report][csv]") {
  CHECK(csvId("-2*3") == "`-2*3");  // a legal out_trade_no, never a formula
  CHECK(csvId("=HYPERLINK(1)") == "`=HYPERLINK(1)");
  CHECK(csvId("4200000001202611270000000001") == "`4200000001202611270000000001");
  CHECK(csvId("a,b") == "\"`a,b\"");
  CHECK(csvId("") == "");
}

TEST_CASE("csv file: BOM, CRLF records, sorted rows, totals with exact amounts", "[report][csv]") {
  const std::string csv = renderReconciliationCsv(sample());
  REQUIRE(csv.compare(0, 3, "\xEF\xBB\xBF") == 0);
  const auto l = lines(csv);
  REQUIRE(l.size() == 1 + 4 + 1 + 2);
  CHECK(l[0].rfind("discrepancy_id,severity,kind,status,out_trade_no,transaction_id,", 0) == 0);
  CHECK(l[0].find("first_seen (UTC+8)") != std::string::npos);
  // HIGH before MEDIUM before LOW; within HIGH by kind (AMOUNT_MISMATCH < LOCAL_ONLY).
  CHECK(l[1].rfind("5,HIGH,AMOUNT_MISMATCH,RESOLVED,`Z9,,", 0) == 0);
  CHECK(l[2] ==
        "3,HIGH,LOCAL_ONLY,OPEN,`-2*3,`4200000001202611270000000001,,0.01,SUCCESS,"
        "'=cmd|' /C calc'!A0,'@SUM(A1:A2),\"商品名称 \"\"测试\"\", 含逗号\r\n第二行\","
        "2026-11-27 00:30:00,2026-11-27 10:00:00,,,");
  CHECK(l[1].find(",'+1 finance,2026-11-27 11:04:05,'\tcredited manually") != std::string::npos);
  CHECK(l[3].rfind("4,MEDIUM,QUERY_EXHAUSTED,OPEN,`B2,", 0) == 0);
  CHECK(l[3].find(",\"'\rline\",") != std::string::npos);
  CHECK(l[4].rfind("7,LOW,NOTIFY_MISSING,", 0) == 0);
  CHECK(l[5].empty());
  CHECK(l[6].rfind("mch_id,bill_date,bill_status,bill_count,bill_order_amount,", 0) == 0);
  // Amounts: 2 decimals, a negative stays a plain number; the fee keeps 5 decimals.
  CHECK(l[7] ==
        "`1900000109,2026-11-27,OK,3,123456789.00,123456789.00,-0.01,0.05000,123456788.99,3,"
        "123456789.01,-0.01,2,0.01,0,0,0");
}

TEST_CASE("csv file: no totals yet, zero discrepancies", "[report][csv]") {
  DayReport r;
  r.mch_id = "1900000109";
  r.day = CivilDate{2026, 11, 27};
  const auto l = lines(renderReconciliationCsv(r));
  REQUIRE(l.size() == 4);
  CHECK(l[1].empty());
  CHECK(l[3] == "`1900000109,2026-11-27,NOT_RECONCILED,,,,,,,,,,,,,,");
}

TEST_CASE("csv file: byte-identical for the same data in any input order", "[report][csv]") {
  DayReport a = sample();
  DayReport b = sample();
  std::reverse(b.discrepancies.begin(), b.discrepancies.end());
  CHECK(renderReconciliationCsv(a) == renderReconciliationCsv(b));
  CHECK(renderReconciliationCsv(a) == renderReconciliationCsv(sample()));
}
