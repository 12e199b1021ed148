#include "report/html_report.h"

#include <algorithm>
#include <map>

namespace wx {

namespace {

// Shared by both pages. Print: landscape A4, colours kept (the highlights carry meaning).
constexpr const char* kStyle = R"(<style>
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:24px;color:#1a1a1a;font-size:14px;line-height:1.4}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 8px}
.sub{color:#555;margin:0 0 16px}
table{border-collapse:collapse;margin:0 0 12px}
th,td{border:1px solid #c8c8c8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.id{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
td.wrap{word-break:break-word;white-space:pre-wrap}
table.disc{width:100%;table-layout:fixed}
.bad{background:#fde2e1;color:#a50e0e;font-weight:bold}
.ok{background:#e6f4ea;color:#0d652d}
.note{border-left:4px solid #e0a800;background:#fff8e1;padding:8px 12px;margin:0 0 12px}
.sev-HIGH{color:#a50e0e}.sev-MEDIUM{color:#9a5b00}.sev-LOW{color:#3c4043}
.open{font-weight:bold;color:#a50e0e}.resolved{color:#0d652d}
footer{margin-top:24px;color:#666;font-size:12px;border-top:1px solid #ddd;padding-top:6px}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0;font-size:11px}th,td{padding:2px 5px}tr{break-inside:avoid}
h2{break-after:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
</style>)";

const char* const kSeverities[] = {"HIGH", "MEDIUM", "LOW"};

std::string beijing(TimePoint t) { return formatBeijingDateTime(t); }

std::string head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         htmlEscape(title) + "</title>\n" + kStyle + "\n</head>\n<body>\n";
}

std::string tail(TimePoint generated_at) {
  return "<footer>Generated " + beijing(generated_at) +
         " (UTC+8) by wxrecon from its database.</footer>\n</body>\n</html>\n";
}

// A money cell, highlighted when it is a difference that is not zero.
std::string diffCell(Fen diff) {
  return std::string("<td class=\"num ") + (diff == 0 ? "ok" : "bad") + "\">" +
         htmlEscape(formatYuan(diff)) + "</td>";
}

std::string numCell(const std::string& text) {
  return "<td class=\"num\">" + htmlEscape(text) + "</td>";
}

// What a bill status means for the figures shown (an OK bill needs no note).
const char* billStatusNote(const std::string& status) {
  if (status == "EMPTY")
    return "WeChat answered \"No Bill Exist\": no transactions in its bill for this day.";
  if (status == "REJECTED")
    return "WeChat's bill failed its own summary check (BILL_TOTALS_MISMATCH): nothing was "
           "concluded from it. The bill figures below are not reliable.";
  if (status == "NOT_READY")
    return "WeChat had not produced this day's bill yet: the bill side is empty. Run the bill "
           "again later.";
  if (status == "FAILED")
    return "The bill could not be downloaded: the bill side is empty and nothing was concluded.";
  return nullptr;
}

std::string totalsSection(const DayReport& r) {
  std::string h = "<h2>Totals</h2>\n";
  if (!r.totals) {
    h += "<p class=\"note\">This day's bill has not been reconciled yet (no bill run for " +
         htmlEscape(formatIsoDate(r.day)) +
         "): no totals. Discrepancies found by the sweep and the notify server are listed "
         "below.</p>\n";
    return h;
  }
  const DayTotals& t = *r.totals;
  h += "<p>Bill status: <strong>" + htmlEscape(t.bill_status) + "</strong></p>\n";
  if (const char* note = billStatusNote(t.bill_status)) {
    h += "<p class=\"note\">" + htmlEscape(note) + "</p>\n";
  }
  h += "<table>\n<tr><th></th><th class=\"num\">WeChat bill</th><th class=\"num\">Local orders</th>"
       "<th class=\"num\">Difference (bill − local)</th></tr>\n";
  h += "<tr><th>Paid orders</th>" + numCell(std::to_string(t.bill_count)) +
       numCell(std::to_string(t.local_count));
  const std::int64_t count_diff = t.bill_count - t.local_count;
  h += std::string("<td class=\"num ") + (count_diff == 0 ? "ok" : "bad") + "\">" +
       std::to_string(count_diff) + "</td></tr>\n";
  h += "<tr><th>Order amount (yuan)</th>" + numCell(formatYuan(t.bill_order_amount)) +
       numCell(formatYuan(t.local_amount)) + diffCell(dayDifference(t)) + "</tr>\n</table>\n";

  h += "<table>\n<tr><th>From the bill only</th><th class=\"num\">yuan</th></tr>\n";
  h += "<tr><td>Settlement (应结订单总金额)</td>" + numCell(formatYuan(t.bill_settlement)) +
       "</tr>\n";
  h += "<tr><td>Refunds (退款总金额)</td>" + numCell(formatYuan(t.bill_refund)) + "</tr>\n";
  h += "<tr><td>Fees (手续费总金额)</td>" + numCell(t.bill_fee) + "</tr>\n";
  h += "<tr><td>Net</td>" + numCell(formatYuan(t.bill_net)) + "</tr>\n</table>\n";

  h += "<table>\n<tr><th>Matching</th><th class=\"num\">orders</th></tr>\n";
  h += "<tr><td>Matched (amount " + htmlEscape(formatYuan(t.matched_amount)) + " yuan)</td>" +
       numCell(std::to_string(t.matched_count)) + "</tr>\n";
  auto countRow = [&](const char* label, std::int64_t n) {
    h += std::string("<tr><td>") + label + "</td><td class=\"num" + (n == 0 ? "" : " bad") + "\">" +
         std::to_string(n) + "</td></tr>\n";
  };
  countRow("Paid locally, not in the bill", t.unmatched_local_count);
  countRow("In the bill, not paid locally", t.unmatched_bill_count);
  h += "<tr><td>Bill rows not managed by wxrecon (other appids)</td>" +
       numCell(std::to_string(t.not_managed_count)) + "</tr>\n</table>\n";
  return h;
}

std::string statusCell(const ReportDiscrepancy& d) {
  if (d.status != "RESOLVED") return "<td class=\"open\">" + htmlEscape(d.status) + "</td>";
  std::string h = "<td class=\"wrap\"><span class=\"resolved\">RESOLVED</span>";
  if (!d.resolved_by.empty()) h += " by " + htmlEscape(d.resolved_by);
  if (d.resolved_at) h += "<br>" + htmlEscape(beijing(*d.resolved_at));
  if (!d.resolution_note.empty()) h += "<br>" + htmlEscape(d.resolution_note);
  return h + "</td>";
}

std::string discrepancyTable(const std::vector<const ReportDiscrepancy*>& rows) {
  std::string h =
      "<table class=\"disc\">\n<colgroup><col style=\"width:5%\"><col style=\"width:12%\">"
      "<col style=\"width:19%\"><col style=\"width:7%\"><col style=\"width:12%\">"
      "<col style=\"width:12%\"><col style=\"width:14%\"><col style=\"width:10%\">"
      "<col style=\"width:9%\"></colgroup>\n"
      "<tr><th>ID</th><th>Kind</th><th>Order</th><th class=\"num\">Order amount</th>"
      "<th>Local value</th><th>WeChat value</th><th>Detail</th><th>Status</th>"
      "<th>First / last seen (UTC+8)</th></tr>\n";
  for (const ReportDiscrepancy* d : rows) {
    h += "<tr><td class=\"num\">" + std::to_string(d->id) + "</td><td>" + htmlEscape(d->kind) +
         "</td><td class=\"id\">" + htmlEscape(d->out_trade_no);
    if (!d->transaction_id.empty()) h += "<br>" + htmlEscape(d->transaction_id);
    if (!d->order_state.empty()) h += "<br>state " + htmlEscape(d->order_state);
    if (d->bill_date) h += "<br>bill " + htmlEscape(formatIsoDate(*d->bill_date));
    h += "</td>" + numCell(d->order_amount ? formatYuan(*d->order_amount) : "") +
         "<td class=\"wrap\">" + htmlEscape(d->local_value) + "</td><td class=\"wrap\">" +
         htmlEscape(d->remote_value) + "</td><td class=\"wrap\">" + htmlEscape(d->detail) +
         "</td>" + statusCell(*d) + "<td class=\"num\">" + htmlEscape(beijing(d->first_seen_at)) +
         "<br>" + htmlEscape(beijing(d->last_seen_at)) + "</td></tr>\n";
  }
  return h + "</table>\n";
}

std::string discrepancySection(const DayReport& r) {
  std::vector<ReportDiscrepancy> sorted = r.discrepancies;
  sortForReport(sorted);
  std::string h = "<h2>Discrepancies</h2>\n";
  if (sorted.empty()) return h + "<p class=\"ok\">No discrepancies touch this day.</p>\n";
  std::map<std::string, std::vector<const ReportDiscrepancy*>> by_severity;
  std::int64_t open = 0;
  for (const auto& d : sorted) {
    by_severity[d.severity].push_back(&d);
    if (d.status != "RESOLVED") ++open;
  }
  h +=
      "<p>" + std::to_string(sorted.size()) + " in total, " + std::to_string(open) + " open.</p>\n";
  for (const char* sev : kSeverities) {
    auto it = by_severity.find(sev);
    if (it == by_severity.end()) continue;
    h += std::string("<h2 class=\"sev-") + sev + "\">" + sev + " (" +
         std::to_string(it->second.size()) + ")</h2>\n" + discrepancyTable(it->second);
    by_severity.erase(it);
  }
  // A severity outside the three (never written by wxrecon) is still shown, not dropped.
  for (const auto& [sev, rows] : by_severity) {
    h += "<h2>" + htmlEscape(sev) + " (" + std::to_string(rows.size()) + ")</h2>\n" +
         discrepancyTable(rows);
  }
  return h;
}

}  // namespace

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string renderReconciliationHtml(const DayReport& r, TimePoint generated_at) {
  const std::string day = formatIsoDate(r.day);
  std::string h = head("Reconciliation " + r.mch_id + " " + day);
  h += "<h1>Reconciliation — merchant " + htmlEscape(r.mch_id) + " — " + htmlEscape(day) +
       "</h1>\n<p class=\"sub\">Beijing day (UTC+8). Amounts in yuan. <a href=\"../index.html\">"
       "All days</a></p>\n";
  h += totalsSection(r);
  h += discrepancySection(r);
  return h + tail(generated_at);
}

std::string renderIndexHtml(const std::string& mch_id, std::vector<IndexEntry> entries,
                            TimePoint generated_at) {
  std::sort(entries.begin(), entries.end(),
            [](const IndexEntry& a, const IndexEntry& b) { return b.day < a.day; });
  std::string h = head("Reconciliation " + mch_id);
  h += "<h1>Reconciliation — merchant " + htmlEscape(mch_id) +
       "</h1>\n<p class=\"sub\">Every Beijing day with a bill run or a discrepancy, newest "
       "first. Amounts in yuan.</p>\n";
  if (entries.empty()) return h + "<p>No reconciled days yet.</p>\n" + tail(generated_at);
  h += "<table>\n<tr><th>Day</th><th>Bill</th><th class=\"num\">Matched</th>"
       "<th class=\"num\">Bill total</th><th class=\"num\">Local total</th>"
       "<th class=\"num\">Difference</th><th class=\"num\">Open HIGH</th>"
       "<th class=\"num\">Discrepancies</th></tr>\n";
  for (const IndexEntry& e : entries) {
    const std::string day = formatIsoDate(e.day);
    h += "<tr><td>";
    h += e.has_page
             ? "<a href=\"" + htmlEscape(day) + "/reconciliation.html\">" + htmlEscape(day) + "</a>"
             : htmlEscape(day) + " (no report written)";
    h += "</td>";
    if (e.totals) {
      const DayTotals& t = *e.totals;
      h += "<td>" + htmlEscape(t.bill_status) + "</td>" + numCell(std::to_string(t.matched_count)) +
           numCell(formatYuan(t.bill_order_amount)) + numCell(formatYuan(t.local_amount)) +
           diffCell(dayDifference(t));
    } else {
      h += "<td>not reconciled</td><td></td><td></td><td></td><td></td>";
    }
    h += std::string("<td class=\"num") + (e.open_high == 0 ? "" : " bad") + "\">" +
         std::to_string(e.open_high) + "</td>" + numCell(std::to_string(e.discrepancies)) +
         "</tr>\n";
  }
  return h + "</table>\n" + tail(generated_at);
}

}  // namespace wx
