// reconciliation.html and index.html: escaping (RELIABILITY.md 18, T17), grouping, the states a
// day can be in, and determinism apart from the one footer line.
#include <catch2/catch.hpp>

#include "report/html_report.h"

using namespace wx;

namespace {

TimePoint utc(const char* sql) { return *parseUtcSql(sql); }

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

ReportDiscrepancy row(std::int64_t id, const std::string& severity, const std::string& kind) {
  ReportDiscrepancy d;
  d.id = id;
  d.severity = severity;
  d.kind = kind;
  d.status = "OPEN";
  d.out_trade_no = "NO" + std::to_string(id);
  d.first_seen_at = utc("2026-11-27 01:00:00.000");
  d.last_seen_at = utc("2026-11-27 02:00:00.000");
  return d;
}

DayReport hostile() {
  DayReport r;
  r.mch_id = "1900000109";
  r.day = CivilDate{2026, 11, 27};
  DayTotals t;
  t.bill_status = "OK";
  t.bill_count = 2;
  t.bill_order_amount = 300;
  t.local_count = 1;
  t.local_amount = 100;
  t.bill_fee = "0.01000";
  r.totals = t;
  auto a = row(1, "HIGH", "BILL_ONLY");
  a.detail = "商品名称=<script>alert(1)</script> attach=</td><td onclick=x>&amp; 'q' \"dq\"";
  a.local_value = "<b>local</b>";
  a.remote_value = "total_fee=200 & more";
  auto b = row(2, "LOW", "NOTIFY_MISSING");
  auto c = row(3, "MEDIUM", "QUERY_EXHAUSTED");
  c.status = "RESOLVED";
  c.resolved_by = "王会计<img src=x>";
  c.resolved_at = utc("2026-11-27 08:00:00.000");
  c.resolution_note = "已核对 </footer><footer>fake";
  r.discrepancies = {b, c, a};
  return r;
}

std::string withoutFooter(const std::string& html) {
  const auto a = html.find("<footer>");
  const auto b = html.find("</footer>");
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  return html.substr(0, a) + html.substr(b);
}

}  // namespace

TEST_CASE("htmlEscape covers the five characters", "[report][html]") {
  CHECK(htmlEscape("<a href=\"x\" title='y'>&</a>") ==
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  CHECK(htmlEscape("中文 plain") == "中文 plain");
}

TEST_CASE("day page: attacker-controlled values never become markup", "[report][html]") {
  const std::string html = renderReconciliationHtml(hostile(), utc("2026-11-28 02:00:00.000"));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("onclick=x>") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("&lt;/td&gt;&lt;td onclick=x&gt;&amp;amp; &#39;q&#39; &quot;dq&quot;") !=
        std::string::npos);
  CHECK(html.find("&lt;b&gt;local&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("王会计&lt;img src=x&gt;") != std::string::npos);
  // Exactly one footer, whatever a note says; the note's text is escaped inside the table.
  CHECK(count(html, "<footer>") == 1);
  CHECK(html.find("已核对 &lt;/footer&gt;&lt;footer&gt;fake") != std::string::npos);
  CHECK(html.find("Generated 2026-11-28 10:00:00 (UTC+8)") != std::string::npos);
}

TEST_CASE("day page: self-contained, printable, totals side by side, grouped", "[report][html]") {
  const std::string html = renderReconciliationHtml(hostile(), utc("2026-11-28 02:00:00.000"));
  CHECK(html.find("<meta charset=\"utf-8\">") != std::string::npos);
  CHECK(html.find("@media print") != std::string::npos);
  for (const char* external :
       {"<script", "<link", "src=\"http", "href=\"http", "@import", "url("}) {
    INFO(external);
    CHECK(html.find(external) == std::string::npos);
  }
  CHECK(html.find("<th class=\"num\">WeChat bill</th><th class=\"num\">Local orders</th>") !=
        std::string::npos);
  // bill 3.00 vs local 1.00: the difference 2.00 is highlighted; so is the count difference.
  CHECK(html.find("<td class=\"num bad\">2.00</td>") != std::string::npos);
  CHECK(html.find("<td class=\"num bad\">1</td>") != std::string::npos);
  CHECK(html.find("0.01000") != std::string::npos);
  const auto high = html.find(">HIGH (1)</h2>");
  const auto medium = html.find(">MEDIUM (1)</h2>");
  const auto low = html.find(">LOW (1)</h2>");
  REQUIRE(high != std::string::npos);
  REQUIRE(medium != std::string::npos);
  REQUIRE(low != std::string::npos);
  CHECK(high < medium);
  CHECK(medium < low);
  CHECK(html.find("NO1", high) < medium);
  CHECK(html.find("RESOLVED</span> by") != std::string::npos);
  CHECK(html.find("2026-11-27 16:00:00") != std::string::npos);  // resolved_at, Beijing
}

TEST_CASE("day page: the states a day can be in", "[report][html]") {
  const TimePoint now = utc("2026-11-28 02:00:00.000");
  DayReport r;
  r.mch_id = "1900000109";
  r.day = CivilDate{2026, 11, 27};
  SECTION("not reconciled yet, but with discrepancies") {
    r.discrepancies = {row(9, "HIGH", "AMOUNT_MISMATCH")};
    const std::string html = renderReconciliationHtml(r, now);
    CHECK(html.find("has not been reconciled yet") != std::string::npos);
    CHECK(html.find(">HIGH (1)</h2>") != std::string::npos);
  }
  SECTION("zero discrepancies") {
    r.totals = DayTotals{};
    r.totals->bill_status = "OK";
    const std::string html = renderReconciliationHtml(r, now);
    CHECK(html.find("No discrepancies touch this day.") != std::string::npos);
    CHECK(html.find("<td class=\"num ok\">0.00</td>") != std::string::npos);
  }
  for (const char* status : {"REJECTED", "NOT_READY", "EMPTY", "FAILED"}) {
    SECTION(std::string("bill status ") + status) {
      r.totals = DayTotals{};
      r.totals->bill_status = status;
      const std::string html = renderReconciliationHtml(r, now);
      CHECK(html.find(std::string("Bill status: <strong>") + status) != std::string::npos);
      CHECK(html.find("<p class=\"note\">") != std::string::npos);
    }
  }
}

TEST_CASE("day page: identical apart from the footer for the same data", "[report][html]") {
  DayReport a = hostile(), b = hostile();
  std::reverse(b.discrepancies.begin(), b.discrepancies.end());
  const std::string ha = renderReconciliationHtml(a, utc("2026-11-28 02:00:00.000"));
  const std::string hb = renderReconciliationHtml(b, utc("2026-11-29 05:00:00.000"));
  CHECK(ha != hb);
  CHECK(withoutFooter(ha) == withoutFooter(hb));
}

TEST_CASE("index page: newest first, headline figures, links only to written pages",
          "[report][html]") {
  IndexEntry older;
  older.day = CivilDate{2026, 11, 25};
  older.totals = DayTotals{};
  older.totals->bill_status = "OK";
  older.totals->matched_count = 41;
  older.totals->bill_order_amount = 4100;
  older.totals->local_amount = 4100;
  older.has_page = true;
  IndexEntry newer;
  newer.day = CivilDate{2026, 11, 27};
  newer.totals = DayTotals{};
  newer.totals->bill_status = "OK";
  newer.totals->bill_order_amount = 500;
  newer.totals->local_amount = 600;
  newer.open_high = 2;
  newer.discrepancies = 3;
  newer.has_page = true;
  IndexEntry unwritten;
  unwritten.day = CivilDate{2026, 11, 26};
  unwritten.discrepancies = 1;
  const std::string html =
      renderIndexHtml("1900000109", {older, unwritten, newer}, utc("2026-11-28 02:00:00.000"));
  const auto p27 = html.find("2026-11-27/reconciliation.html");
  const auto p26 = html.find("2026-11-26 (no report written)");
  const auto p25 = html.find("2026-11-25/reconciliation.html");
  REQUIRE(p27 != std::string::npos);
  REQUIRE(p26 != std::string::npos);
  REQUIRE(p25 != std::string::npos);
  CHECK(p27 < p26);
  CHECK(p26 < p25);
  CHECK(html.find("2026-11-26/reconciliation.html") == std::string::npos);
  CHECK(html.find("<td class=\"num bad\">-1.00</td><td class=\"num bad\">2</td>") !=
        std::string::npos);
  CHECK(html.find("<td class=\"num\">41</td><td class=\"num\">41.00</td>") != std::string::npos);
  CHECK(count(html, "<footer>") == 1);
}
