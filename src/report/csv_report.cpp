#include "report/csv_report.h"

#include <vector>

namespace wx {

namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr char kEol[] = "\r\n";

// Excel (and LibreOffice) start a formula at these; a cell must never begin with one.
bool startsFormula(std::string_view s) {
  if (s.empty()) return false;
  switch (s.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

std::string timeCell(TimePoint t) { return formatBeijingDateTime(t); }

// One record: the cells (already encoded) joined by commas, ended by CRLF.
void row(std::string& out, const std::vector<std::string>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    out += cells[i];
  }
  out += kEol;
}

}  // namespace

std::string csvQuote(std::string_view raw) {
  if (raw.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(raw);
  std::string q = "\"";
  for (char c : raw) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

std::string csvText(std::string_view text) {
  if (!startsFormula(text)) return csvQuote(text);
  std::string safe = "'";
  safe += text;
  return csvQuote(safe);
}

std::string csvId(std::string_view id) {
  if (id.empty()) return "";
  std::string marked = "`";
  marked += id;
  return csvQuote(marked);
}

std::string renderReconciliationCsv(const DayReport& report) {
  std::vector<ReportDiscrepancy> rows = report.discrepancies;
  sortForReport(rows);

  std::string out = kBom;
  row(out, {"discrepancy_id", "severity", "kind", "status", "out_trade_no", "transaction_id",
            "bill_date", "order_amount", "order_state", "local_value", "wechat_value", "detail",
            "first_seen (UTC+8)", "last_seen (UTC+8)", "resolved_by", "resolved_at (UTC+8)",
            "resolution_note"});
  for (const auto& d : rows) {
    row(out, {std::to_string(d.id), csvText(d.severity), csvText(d.kind), csvText(d.status),
              csvId(d.out_trade_no), csvId(d.transaction_id),
              d.bill_date ? formatIsoDate(*d.bill_date) : "",
              d.order_amount ? formatYuan(*d.order_amount) : "", csvText(d.order_state),
              csvText(d.local_value), csvText(d.remote_value), csvText(d.detail),
              timeCell(d.first_seen_at), timeCell(d.last_seen_at), csvText(d.resolved_by),
              d.resolved_at ? timeCell(*d.resolved_at) : "", csvText(d.resolution_note)});
  }

  out += kEol;
  row(out, {"mch_id", "bill_date", "bill_status", "bill_count", "bill_order_amount",
            "bill_settlement", "bill_refund", "bill_fee", "bill_net", "local_count", "local_amount",
            "difference (bill - local)", "matched_count", "matched_amount", "unmatched_local",
            "unmatched_bill", "not_managed"});
  if (!report.totals) {
    std::vector<std::string> cells{csvId(report.mch_id), formatIsoDate(report.day),
                                   "NOT_RECONCILED"};
    cells.resize(17);
    row(out, cells);
    return out;
  }
  const DayTotals& t = *report.totals;
  // bill_fee is copied from the bill; anything but a plain decimal would be a bug upstream,
  // and csvText keeps even that from becoming a formula.
  auto fee = parseFee(t.bill_fee);
  row(out,
      {csvId(report.mch_id), formatIsoDate(report.day), csvText(t.bill_status),
       std::to_string(t.bill_count), formatYuan(t.bill_order_amount), formatYuan(t.bill_settlement),
       formatYuan(t.bill_refund), fee ? formatFee(*fee) : csvText(t.bill_fee),
       formatYuan(t.bill_net), std::to_string(t.local_count), formatYuan(t.local_amount),
       formatYuan(dayDifference(t)), std::to_string(t.matched_count), formatYuan(t.matched_amount),
       std::to_string(t.unmatched_local_count), std::to_string(t.unmatched_bill_count),
       std::to_string(t.not_managed_count)});
  return out;
}

}  // namespace wx
