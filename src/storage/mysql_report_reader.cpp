#include "storage/mysql_report_reader.h"

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <map>

#include "storage/database.h"

namespace wx {

using namespace Poco::Data::Keywords;
using Poco::Nullable;

namespace {

constexpr const char* kTotalsColumns =
    "bill_status, local_count, local_amount_fen, bill_count, bill_order_amount_fen, "
    "bill_settlement_fen, bill_refund_fen, bill_fee, bill_net_fen, matched_count, "
    "matched_amount_fen, unmatched_local_count, unmatched_bill_count, not_managed_count";

// The columns of one bill_day row, as vectors (Poco's into() appends).
struct TotalsColumns {
  std::vector<std::string> status, fee;
  std::vector<std::int64_t> local_count, local_amount, bill_count, bill_order, settlement, refund,
      net, matched, matched_amount, unmatched_local, unmatched_bill, not_managed;

  void bind(Poco::Data::Statement& st) {
    st, into(status), into(local_count), into(local_amount), into(bill_count), into(bill_order),
        into(settlement), into(refund), into(fee), into(net), into(matched), into(matched_amount),
        into(unmatched_local), into(unmatched_bill), into(not_managed);
  }
  DayTotals at(std::size_t i) const {
    DayTotals t;
    t.bill_status = status[i];
    t.local_count = local_count[i];
    t.local_amount = local_amount[i];
    t.bill_count = bill_count[i];
    t.bill_order_amount = bill_order[i];
    t.bill_settlement = settlement[i];
    t.bill_refund = refund[i];
    t.bill_fee = fee[i];
    t.bill_net = net[i];
    t.matched_count = matched[i];
    t.matched_amount = matched_amount[i];
    t.unmatched_local_count = unmatched_local[i];
    t.unmatched_bill_count = unmatched_bill[i];
    t.not_managed_count = not_managed[i];
    return t;
  }
};

CivilDate dateColumn(const std::string& text, const char* what) {
  auto d = parseIsoDate(text);
  if (!d) throw DbError(Status::dataLoss(std::string(what) + ": " + d.status().message()));
  return *d;
}

TimePoint timeColumn(const std::string& text, const char* what) {
  auto t = parseUtcSql(text);
  if (!t) throw DbError(Status::dataLoss(std::string(what) + ": " + t.status().message()));
  return *t;
}

std::string orEmpty(const Nullable<std::string>& v) { return v.isNull() ? "" : v.value(); }

// The order a discrepancy names. discrepancy.out_trade_no is utf8mb4 (it may come from a hostile
// notification), merchant_order.out_trade_no is ascii: compared as they are, MariaDB converts
// the ascii side and cannot use uk_order_mch_out (EXPLAIN showed a full scan per row). The
// converted copy makes the lookup an eq_ref; the plain comparison keeps a non-ASCII name (which
// CONVERT turns into '?') from matching an order literally called '?'.
constexpr const char* kOrderJoin =
    "LEFT JOIN merchant_order o ON o.mch_id = d.mch_id "
    "AND o.out_trade_no = CONVERT(d.out_trade_no USING ascii) COLLATE ascii_bin "
    "AND o.out_trade_no = d.out_trade_no ";

// Every discrepancy touching Beijing day D (DESIGN.md §6): its bill_date is D; else (no bill
// date) its order's paid_at, else created_at, lies in D's UTC range; else (no order) its
// first_seen_at does. Two disjoint branches: the dated ones through idx_discrepancy_day
// (mch_id, bill_date), the undated ones of the merchant through the same index (bill_date IS
// NULL), each with an eq_ref to its order (EXPLAIN on MariaDB 10.11: ref + eq_ref in both).
constexpr const char* kDaySelect =
    "SELECT d.id, d.kind, d.severity, d.status, d.out_trade_no, d.transaction_id, "
    "CAST(d.bill_date AS CHAR), o.total_fee, o.state, d.local_value, d.remote_value, d.detail, "
    "CAST(d.first_seen_at AS CHAR), CAST(d.last_seen_at AS CHAR), d.resolved_by, "
    "CAST(d.resolved_at AS CHAR), d.resolution_note FROM discrepancy d ";

const std::string kDayQuery =
    std::string(kDaySelect) + kOrderJoin +
    "WHERE d.mch_id = ? AND d.bill_date = ? "
    "UNION ALL " +
    kDaySelect + kOrderJoin +
    "WHERE d.mch_id = ? AND d.bill_date IS NULL AND ("
    "(o.paid_at >= ? AND o.paid_at < ?) "
    "OR (o.id IS NOT NULL AND o.paid_at IS NULL AND o.created_at >= ? AND o.created_at < ?) "
    "OR (o.id IS NULL AND d.first_seen_at >= ? AND d.first_seen_at < ?))";

}  // namespace

Result<DayReport> MySqlReportReader::loadDay(const std::string& mch_id, CivilDate day) {
  DayReport report;
  Status st = db_.run(
      "report-load-day",
      [&](Poco::Data::Session& s) {
        report = DayReport{};
        report.mch_id = mch_id;
        report.day = day;
        std::string mch = mch_id, date = formatIsoDate(day);
        // The Beijing day as a UTC range: [D 00:00 +08:00, D+1 00:00 +08:00).
        std::string from = formatUtcSql(beijingDayStart(day));
        std::string to = formatUtcSql(beijingDayStart(addDays(day, 1)));

        TotalsColumns tc;
        Poco::Data::Statement totals(s);
        totals << std::string("SELECT ") + kTotalsColumns +
                      " FROM bill_day WHERE mch_id = ? AND bill_date = ?",
            use(mch), use(date);
        tc.bind(totals);
        totals.execute();
        if (!tc.status.empty()) report.totals = tc.at(0);

        std::vector<std::int64_t> ids;
        std::vector<std::string> kinds, severities, statuses, locals, remotes, firsts, lasts;
        std::vector<Nullable<std::string>> nos, txns, bill_dates, states, details, bys, ats, notes;
        std::vector<Nullable<std::int64_t>> fees;
        s << kDayQuery, use(mch), use(date), use(mch), use(from), use(to), use(from), use(to),
            use(from), use(to), into(ids), into(kinds), into(severities), into(statuses), into(nos),
            into(txns), into(bill_dates), into(fees), into(states), into(locals), into(remotes),
            into(details), into(firsts), into(lasts), into(bys), into(ats), into(notes), now;
        for (std::size_t i = 0; i < ids.size(); ++i) {
          ReportDiscrepancy d;
          d.id = ids[i];
          d.kind = kinds[i];
          d.severity = severities[i];
          d.status = statuses[i];
          d.out_trade_no = orEmpty(nos[i]);
          d.transaction_id = orEmpty(txns[i]);
          if (!bill_dates[i].isNull()) {
            d.bill_date = dateColumn(bill_dates[i].value(), "discrepancy.bill_date");
          }
          if (!fees[i].isNull()) d.order_amount = fees[i].value();
          d.order_state = orEmpty(states[i]);
          d.local_value = locals[i];
          d.remote_value = remotes[i];
          d.detail = orEmpty(details[i]);
          d.first_seen_at = timeColumn(firsts[i], "discrepancy.first_seen_at");
          d.last_seen_at = timeColumn(lasts[i], "discrepancy.last_seen_at");
          d.resolved_by = orEmpty(bys[i]);
          if (!ats[i].isNull())
            d.resolved_at = timeColumn(ats[i].value(), "discrepancy.resolved_at");
          d.resolution_note = orEmpty(notes[i]);
          report.discrepancies.push_back(std::move(d));
        }
        sortForReport(report.discrepancies);
      },
      {true, 3});  // one snapshot: the totals and the rows agree
  if (!st.isOk()) return st;
  return report;
}

Result<std::vector<IndexEntry>> MySqlReportReader::loadIndex(const std::string& mch_id) {
  std::vector<IndexEntry> entries;
  Status st = db_.run(
      "report-load-index",
      [&](Poco::Data::Session& s) {
        std::map<CivilDate, IndexEntry> by_day;
        std::string mch = mch_id;

        std::vector<std::string> dates;
        TotalsColumns tc;
        Poco::Data::Statement totals(s);
        totals << std::string("SELECT CAST(bill_date AS CHAR), ") + kTotalsColumns +
                      " FROM bill_day WHERE mch_id = ?",
            use(mch), into(dates);
        tc.bind(totals);
        totals.execute();
        for (std::size_t i = 0; i < dates.size(); ++i) {
          IndexEntry& e = by_day[dateColumn(dates[i], "bill_day.bill_date")];
          e.day = dateColumn(dates[i], "bill_day.bill_date");
          e.totals = tc.at(i);
        }

        // The day each discrepancy touches, by the same rule as loadDay: Beijing day =
        // DATE(utc + 8 hours), explicit arithmetic independent of the session's time zone.
        std::vector<std::string> days;
        std::vector<std::int64_t> counts, open_high;
        s << "SELECT CAST(t.day AS CHAR), COUNT(*), "
             "CAST(SUM(CASE WHEN t.status = 'OPEN' AND t.severity = 'HIGH' THEN 1 ELSE 0 END) "
             "AS SIGNED) FROM (SELECT COALESCE(d.bill_date, DATE(DATE_ADD(COALESCE(o.paid_at, "
             "o.created_at, d.first_seen_at), INTERVAL 8 HOUR))) AS day, d.status, d.severity "
             "FROM discrepancy d " +
                 std::string(kOrderJoin) + "WHERE d.mch_id = ?) t GROUP BY t.day",
            use(mch), into(days), into(counts), into(open_high), now;
        for (std::size_t i = 0; i < days.size(); ++i) {
          const CivilDate day = dateColumn(days[i], "discrepancy day");
          IndexEntry& e = by_day[day];
          e.day = day;
          e.discrepancies = counts[i];
          e.open_high = open_high[i];
        }
        entries.clear();
        for (auto& [day, e] : by_day) entries.push_back(std::move(e));
      },
      {true, 3});
  if (!st.isOk()) return st;
  return entries;
}

}  // namespace wx
