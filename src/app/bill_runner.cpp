#include "app/bill_runner.h"

#include <Poco/Environment.h>
#include <Poco/Process.h>
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "app/cli.h"
#include "common/clock.h"
#include "common/log.h"
#include "net/poco_http_transport.h"
#include "service/bill_run.h"
#include "service/report_writer.h"
#include "service/run_metrics.h"
#include "storage/database.h"
#include "storage/mysql_bill_store.h"
#include "storage/mysql_notification_reader.h"
#include "storage/mysql_report_reader.h"
#include "storage/mysql_stores.h"
#include "wechat/nonce_source.h"
#include "wechat/pay_client.h"

namespace wx {

// WeChat serves the bills of the last 3 months (WECHATPAY_V2.md §5); wxpay-sim refuses > 92 days.
constexpr std::int64_t kBillWindowDays = 92;

bool inBillWindow(const CivilDate& day, const CivilDate& today) {
  return daysFromCivil(today) - daysFromCivil(day) <= kBillWindowDays;
}

namespace {

DayTotals totalsOf(const BillDayRecord& d) {
  DayTotals t;
  t.bill_status = d.bill_status;
  t.local_count = d.local_count;
  t.local_amount = d.local_amount_fen;
  t.bill_count = d.bill_count;
  t.bill_order_amount = d.bill_order_amount_fen;
  t.bill_settlement = d.bill_settlement_fen;
  t.bill_refund = d.bill_refund_fen;
  t.bill_fee = d.bill_fee;
  t.bill_net = d.bill_net_fen;
  t.matched_count = d.matched_count;
  t.matched_amount = d.matched_amount_fen;
  t.unmatched_local_count = d.unmatched_local_count;
  t.unmatched_bill_count = d.unmatched_bill_count;
  t.not_managed_count = d.not_managed_count;
  return t;
}

// A dry run's reports: the day as the database has it, with the totals the run computed and
// the discrepancies it would open (marked as such in their detail).
Result<ReportPaths> writeDryRunReports(ReportReader& reader, const std::string& reports_dir,
                                      const BillDayRecord& day,
                                      const std::vector<Finding>& would_open) {
  auto report = reader.loadDay(day.mch_id, day.bill_date);
  if (!report) return report.status();
  report->totals = totalsOf(day);
  const TimePoint now = SystemClock::instance().now();
  for (const Finding& f : would_open) {
    ReportDiscrepancy r;
    r.kind = discrepancyKindName(f.kind);
    r.severity = severityName(severityOf(f.kind));
    r.status = "OPEN";
    r.out_trade_no = f.out_trade_no;
    r.transaction_id = f.transaction_id;
    r.bill_date = f.bill_date;
    r.local_value = f.local_value;
    r.remote_value = f.remote_value;
    r.detail = "(dry run: would open) " + f.detail;
    r.first_seen_at = now;
    r.last_seen_at = now;
    report->discrepancies.push_back(std::move(r));
  }
  sortForReport(report->discrepancies);
  auto index = reader.loadIndex(day.mch_id);
  if (!index) return index.status();
  return writeDayReportFiles(*report, std::move(*index), SystemClock::instance(), reports_dir,
                             true);
}

}  // namespace

std::optional<std::string> checkBillDate(const std::string& text, const CivilDate& today,
                                         CivilDate& day) {
  auto parsed = parseIsoDate(text);
  if (!parsed) return "--date " + text + ": not a date (YYYY-MM-DD, a Beijing day)";
  day = *parsed;
  if (!(day < today)) {
    return "--date " + text + ": the Beijing day is not over yet (today in Beijing is " +
           formatIsoDate(today) + "); its bill exists from 10:00 the next day";
  }
  if (!inBillWindow(day, today)) {
    return "--date " + text + ": older than WeChat's 3-month bill window (" +
           std::to_string(kBillWindowDays) + " days); use rerun, which reads the archive";
  }
  return std::nullopt;
}

int runBillDay(const Config& config, Database& db, const BillCliOptions& options,
               std::ostream& out, BillRunSummary* summary) {
  try {
    PocoHttpTransportOptions topt;
    topt.ca_file = config.wechat.ca_file;
    auto transport = PocoHttpTransport::create(topt);
    if (!transport) {
      out << "bill: " << transport.status().message() << "\n";
      return kExitUsage;
    }
    RandomNonceSource nonces;
    PayClient client(config.wechat, **transport, nonces, SystemClock::instance());
    MySqlOrderStore orders(db);
    MySqlNotificationReader notifications(db);
    MySqlDiscrepancyStore discrepancies(db);
    MySqlBillStore bills(db);
    MySqlRunStore runs(db);
    BillRunOptions bo;
    for (const auto& m : config.merchants) {
      if (options.mch.empty() || m.mch_id == options.mch) bo.merchants.push_back(m);
    }
    bo.day = options.day;
    bo.policy = config.policy;
    bo.archive_dir = config.bill_archive_dir;
    bo.lease_s = config.schedule.lease_s;
    bo.dry_run = options.dry_run;
    bo.redownload = options.redownload;
    bo.owner_prefix =
        Poco::Environment::nodeName() + ":" + std::to_string(Poco::Process::id()) + ":bill";
    bo.params = "date=" + formatIsoDate(options.day) +
                " mch=" + (options.mch.empty() ? "*" : options.mch) +
                (options.dry_run ? " dry-run" : "") + (options.redownload ? "" : " archive");
    bo.max_body_bytes = static_cast<std::size_t>(config.notify.max_body_bytes);
    MySqlReportReader reports(db);
    std::vector<std::string> written;
    if (options.write_reports && !config.reports_dir.empty()) {
      bo.after_day = [&](const BillDayRecord& day, const std::vector<Finding>& would_open) {
        auto paths = options.dry_run ? writeDryRunReports(reports, config.reports_dir, day, would_open)
                                     : writeDayReports(reports, SystemClock::instance(),
                                                       config.reports_dir, day.mch_id,
                                                       day.bill_date, false);
        if (!paths) {
          logError("bill.report_failed", {{"mch_id", day.mch_id}, {"error", paths.status().message()}});
          written.push_back("(report FAILED for " + day.mch_id + ": " + paths.status().message() + ")");
          return;
        }
        written.push_back(paths->csv);
        written.push_back(paths->html);
        written.push_back(paths->index);
      };
    }
    TryLock lock = [&db](const std::string& name) -> Result<LockHandle> {
      auto l = NamedDbLock::tryAcquire(db, name);
      if (!l) return l.status();
      if (!(*l)->acquired()) return LockHandle();
      return LockHandle(std::move(*l));
    };
    BillRun run(BillRunDeps{client, orders, notifications, discrepancies, bills, runs,
                            SystemClock::instance(), lock},
                std::move(bo));
    BillRunSummary s = run.run();
    recordBill(s);
    if (summary != nullptr) *summary = s;
    out << s.render();
    if (!written.empty()) {
      out << "reports:\n";
      for (const auto& p : written) out << "  " << p << "\n";
    }
    out.flush();
    int code = s.exitCode();
    const bool report_failed = std::any_of(written.begin(), written.end(), [](const std::string& p) {
      return p.rfind("(report FAILED", 0) == 0;
    });
    if (report_failed && (code == kExitOk || code == kExitHighDiscrepancies)) code = kExitFailed;
    std::int64_t new_discrepancies = 0, new_high = 0;
    for (const auto& m : s.merchants) {
      for (const auto& kv : m.new_by_kind) new_discrepancies += kv.second;
      new_high += m.new_high;
    }
    logInfo("bill.done", {{"date", formatIsoDate(options.day)},
                          {"status", s.runStatus()},
                          {"exit", std::to_string(code)},
                          {"merchants", std::to_string(s.merchants.size())},
                          {"new_discrepancies", std::to_string(new_discrepancies)},
                          {"new_high", std::to_string(new_high)},
                          {"elapsed_s", fmt::format("{:.3f}", s.elapsed_s)}});
    return code;
  } catch (const std::exception& e) {
    logError("bill.failed", {{"error", e.what()}});
    out << "bill: failed: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace wx
