// Finance report rendering: writes a sample day (Chinese text, hostile values, every severity,
// a resolved row) through the real writer for tests/bench/render_report.sh to screenshot, and
// measures rendering a large day.
//   bench_render_report sample DIR     -> DIR/<mch>/<day>/reconciliation.{csv,html}, index.html
//   bench_render_report time [ROWS]    -> "<name> <value> <unit>" lines
#include <chrono>
#include <cstdio>
#include <string>

#include "report/csv_report.h"
#include "report/html_report.h"
#include "service/report_writer.h"

using namespace wx;

namespace {

TimePoint utc(const char* sql) { return *parseUtcSql(sql); }

ReportDiscrepancy row(std::int64_t id, const char* severity, const char* kind, std::string no) {
  ReportDiscrepancy d;
  d.id = id;
  d.severity = severity;
  d.kind = kind;
  d.status = "OPEN";
  d.out_trade_no = std::move(no);
  d.first_seen_at = utc("2026-11-27 02:10:00.000");
  d.last_seen_at = utc("2026-11-28 02:31:00.000");
  return d;
}

DayReport sampleDay() {
  DayReport r;
  r.mch_id = "1900000109";
  r.day = CivilDate{2026, 11, 27};
  DayTotals t;
  t.bill_status = "OK";
  t.bill_count = 412;
  t.bill_order_amount = 8836200;
  t.bill_settlement = 8826200;
  t.bill_refund = 10000;
  t.bill_fee = "530.17200";
  t.bill_net = 8806183;
  t.local_count = 411;
  t.local_amount = 8834200;
  t.matched_count = 409;
  t.matched_amount = 8829200;
  t.unmatched_local_count = 1;
  t.unmatched_bill_count = 2;
  t.not_managed_count = 3;
  r.totals = t;

  auto a = row(101, "HIGH", "BILL_ONLY", "20261127-0042");
  a.transaction_id = "4200001234202611271234567890";
  a.remote_value = "total_fee=2000 trade_state=SUCCESS";
  a.detail = "账单有、本地未支付。商品名称=<script>alert('x')</script> 附加数据 attach=\"</td>\"";
  auto b = row(102, "HIGH", "AMOUNT_MISMATCH", "-2*3");
  b.transaction_id = "4200001234202611279876543210";
  b.order_amount = 1000;
  b.order_state = "REVIEW";
  b.local_value = "total_fee=1000 CNY";
  b.remote_value = "total_fee=999 (bill 订单金额 9.99)";
  b.detail = "=cmd|' /C calc'!A0 金额不一致，订单转人工复核";
  auto c = row(103, "HIGH", "LOCAL_ONLY", "VIP-会员-7781");
  c.order_amount = 1000;
  c.order_state = "SUCCESS";
  c.local_value = "paid 2026-11-27 23:58:12";
  c.remote_value = "absent from 2026-11-27 and 2026-11-28";
  c.status = "RESOLVED";
  c.resolved_by = "王会计 (finance)";
  c.resolved_at = utc("2026-11-28 03:15:00.000");
  c.resolution_note = "已与微信客服核对：次日账单补录，金额一致。";
  auto d = row(104, "MEDIUM", "NOTIFY_MISMATCH", "20261127-0107");
  d.order_amount = 4500;
  d.order_state = "SUCCESS";
  d.local_value = "notify time_end=20261127101500";
  d.remote_value = "bill time_end=20261127101459";
  auto e = row(105, "LOW", "NOTIFY_MISSING", "20261126-0999");
  e.order_amount = 880;
  e.order_state = "SUCCESS";
  e.detail = "no notification within 24h4m";
  r.discrepancies = {a, b, c, d, e};
  return r;
}

int sample(const std::string& dir) {
  ManualClock clock(utc("2026-11-28 02:40:00.000"));
  IndexEntry older;
  older.day = CivilDate{2026, 11, 26};
  older.totals = DayTotals{};
  older.totals->bill_status = "EMPTY";
  auto paths = writeDayReportFiles(sampleDay(), {older}, clock, dir, false);
  if (!paths) {
    std::fprintf(stderr, "%s\n", paths.status().toString().c_str());
    return 1;
  }
  std::printf("%s\n%s\n%s\n", paths->html.c_str(), paths->csv.c_str(), paths->index.c_str());
  return 0;
}

int timeRender(int rows) {
  DayReport r = sampleDay();
  const auto base = r.discrepancies;
  r.discrepancies.clear();
  for (int i = 0; i < rows; ++i) {
    ReportDiscrepancy d = base[static_cast<std::size_t>(i) % base.size()];
    d.id = i + 1;
    d.out_trade_no += "-" + std::to_string(i);
    r.discrepancies.push_back(std::move(d));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string csv = renderReconciliationCsv(r);
  const auto t1 = std::chrono::steady_clock::now();
  const std::string html = renderReconciliationHtml(r, utc("2026-11-28 02:40:00.000"));
  const auto t2 = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::printf("report_rows %d rows\n", rows);
  std::printf("report_csv_render %.1f ms\nreport_csv_size %zu KB\n", ms(t0, t1), csv.size() / 1024);
  std::printf("report_html_render %.1f ms\nreport_html_size %zu KB\n", ms(t1, t2),
              html.size() / 1024);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "time";
  if (mode == "sample" && argc > 2) return sample(argv[2]);
  if (mode == "time") return timeRender(argc > 2 ? std::stoi(argv[2]) : 10000);
  std::fprintf(stderr, "usage: %s sample DIR | time [ROWS]\n", argv[0]);
  return 2;
}
