// What a finance report shows for one merchant and Beijing day (DESIGN.md §6), as plain data.
// Filled by a ReportReader (service/report_writer.h) from bill_day and discrepancy rows, or
// built in memory (a dry run); rendered by report/csv_report.h and report/html_report.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/money.h"
#include "common/time.h"

namespace wx {

// The bill_day row: both sides' totals for the day, in fen (fees exact, 5 decimals).
struct DayTotals {
  std::string bill_status;  // OK, EMPTY, NOT_READY, FAILED, REJECTED
  std::int64_t local_count = 0;
  Fen local_amount = 0;
  std::int64_t bill_count = 0;
  Fen bill_order_amount = 0;
  Fen bill_settlement = 0;
  Fen bill_refund = 0;
  std::string bill_fee = "0.00000";  // as the bill states it
  Fen bill_net = 0;
  std::int64_t matched_count = 0;
  Fen matched_amount = 0;
  std::int64_t unmatched_local_count = 0;
  std::int64_t unmatched_bill_count = 0;
  std::int64_t not_managed_count = 0;
};

// One discrepancy row; times are UTC instants (rendered in Beijing time).
struct ReportDiscrepancy {
  std::int64_t id = 0;
  std::string kind;      // AMOUNT_MISMATCH, ...
  std::string severity;  // HIGH, MEDIUM, LOW
  std::string status;    // OPEN, RESOLVED
  std::string out_trade_no;
  std::string transaction_id;
  std::optional<CivilDate> bill_date;
  std::optional<Fen> order_amount;  // the local order's total_fee, when the order exists
  std::string order_state;          // the local order's state, when it exists
  std::string local_value;
  std::string remote_value;
  std::string detail;
  TimePoint first_seen_at;
  TimePoint last_seen_at;
  std::string resolved_by;
  std::optional<TimePoint> resolved_at;
  std::string resolution_note;
};

struct DayReport {
  std::string mch_id;
  CivilDate day;
  std::optional<DayTotals> totals;  // none: the day's bill was not reconciled (yet)
  std::vector<ReportDiscrepancy> discrepancies;
};

// A line of a merchant's index.html.
struct IndexEntry {
  CivilDate day;
  std::optional<DayTotals> totals;
  std::int64_t discrepancies = 0;
  std::int64_t open_high = 0;
  bool has_page = false;  // the day's reconciliation.html exists (the index links to it)
};

// Severity rank (HIGH first), then kind, out_trade_no, id: the stable order of every report.
void sortForReport(std::vector<ReportDiscrepancy>& rows);
int severityRank(const std::string& severity);

// "bill minus local" order amount; the figure the index and the page highlight.
inline Fen dayDifference(const DayTotals& t) { return t.bill_order_amount - t.local_amount; }

}  // namespace wx
