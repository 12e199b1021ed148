#include "service/run_metrics.h"

#include "common/log.h"
#include "common/metrics.h"
#include "service/bill_run.h"
#include "service/rerun.h"
#include "service/sweep.h"
#include "wechat/call_metrics.h"

namespace wx {

namespace {

struct RunMetrics {
  MetricsRegistry& r = MetricsRegistry::process();
  MetricFamily<Counter>& runs = r.counter(
      "wxrecon_runs_total", "Runs finished, by kind of run and exit code.", {"run", "exit_code"});
  MetricFamily<Gauge>& success = r.gauge(
      "wxrecon_run_success", "1 when the last run of this kind did its work (exit 0 or 3), else 0.",
      {"run"});
  MetricFamily<Gauge>& exit_code =
      r.gauge("wxrecon_run_exit_code", "Exit code of the last run of this kind.", {"run"});
  MetricFamily<Gauge>& duration = r.gauge(
      "wxrecon_run_duration_seconds", "Wall time of the last run of this kind.", {"run"});
  MetricFamily<Gauge>& last_run = r.gauge("wxrecon_last_run_timestamp_seconds",
                                          "When the last run of this kind ended (Unix time).",
                                          {"run"});
  MetricFamily<Gauge>& last_success = r.gauge(
      "wxrecon_last_success_timestamp_seconds",
      "When the last successful run of this kind ended (Unix time); a failed run keeps the "
      "earlier value.",
      {"run"});
  MetricFamily<Counter>& examined = r.counter(
      "wxrecon_orders_examined_total", "Orders the sweep decided, by outcome.", {"outcome"});
  MetricFamily<Counter>& transitions = r.counter(
      "wxrecon_order_transitions_total", "Order state transitions written, by kind of run.",
      {"run"});
  MetricFamily<Counter>& failures = r.counter(
      "wxrecon_order_failures_total",
      "Orders whose check or write failed (left for a later run), by kind of run.", {"run"});
  MetricFamily<Counter>& rerun_orders = r.counter(
      "wxrecon_rerun_orders_total", "Orders selected for re-deciding by rerun.");
  MetricFamily<Counter>& discrepancies = r.counter(
      "wxrecon_discrepancies_new_total",
      "Discrepancies opened (inserted, or reopened with changed values), by kind and severity.",
      {"kind", "severity"});
  MetricFamily<Counter>& bill_results = r.counter(
      "wxrecon_bill_reconciliations_total",
      "Merchant-days the bill run attempted, by result (OK, EMPTY, NOT_READY, FAILED, REJECTED, "
      "LOCKED, CONFIG_FAILURE).",
      {"status"});
  MetricFamily<Gauge>& bill_day = r.gauge(
      "wxrecon_bill_day_timestamp_seconds",
      "The Beijing day (its 00:00 +08:00, Unix time) of the figures in wxrecon_bill_orders and "
      "wxrecon_bill_amount_fen.",
      {"mch_id"});
  MetricFamily<Gauge>& bill_orders = r.gauge(
      "wxrecon_bill_orders",
      "Last reconciled day: bill payment lines, local orders paid, matched, unmatched on each "
      "side, bill lines of unmanaged appids.",
      {"mch_id", "figure"});
  MetricFamily<Gauge>& bill_amount = r.gauge(
      "wxrecon_bill_amount_fen",
      "Last reconciled day, in fen: the bill's order, settlement, refund and net totals, the "
      "local orders' total, the matched total.",
      {"mch_id", "figure"});
};

RunMetrics& metrics() {
  static RunMetrics m;
  return m;
}

double unixSeconds(TimePoint t) { return static_cast<double>(t.time_since_epoch().count()) / 1e3; }

}  // namespace

void registerRunMetrics() {
  (void)metrics();
  registerWeChatCallMetrics();
}

bool runSucceeded(int exit_code) { return exit_code == 0 || exit_code == 3; }

void recordSweep(const SweepSummary& s) {
  RunMetrics& m = metrics();
  for (const auto& [outcome, n] : s.by_outcome) {
    m.examined.labels({outcome}).inc(static_cast<std::uint64_t>(n));
  }
  m.transitions.labels({"sweep"}).inc(static_cast<std::uint64_t>(s.transitions));
  m.failures.labels({"sweep"}).inc(static_cast<std::uint64_t>(s.store_failures));
}

void recordBill(const BillRunSummary& s) {
  RunMetrics& m = metrics();
  std::int64_t transitions = 0, failures = 0;
  for (const BillMerchantResult& r : s.merchants) {
    transitions += r.transitions;
    failures += r.failures;
    m.bill_results.labels({r.status}).inc();
    if (r.status != "OK" && r.status != "EMPTY") continue;  // no figures for the day
    const BillDayRecord& d = r.day;
    m.bill_day.labels({d.mch_id}).set(
        static_cast<double>(daysFromCivil(d.bill_date) * 86400 - 8 * 3600));
    const std::pair<const char*, std::int64_t> counts[] = {
        {"bill_lines", d.bill_count},
        {"local_paid", d.local_count},
        {"matched", d.matched_count},
        {"unmatched_bill", d.unmatched_bill_count},
        {"unmatched_local", d.unmatched_local_count},
        {"not_managed", d.not_managed_count}};
    for (const auto& [figure, n] : counts) {
      m.bill_orders.labels({d.mch_id, figure}).set(static_cast<double>(n));
    }
    const std::pair<const char*, Fen> amounts[] = {{"bill_order", d.bill_order_amount_fen},
                                                   {"bill_settlement", d.bill_settlement_fen},
                                                   {"bill_refund", d.bill_refund_fen},
                                                   {"bill_net", d.bill_net_fen},
                                                   {"local", d.local_amount_fen},
                                                   {"matched", d.matched_amount_fen}};
    for (const auto& [figure, fen] : amounts) {
      m.bill_amount.labels({d.mch_id, figure}).set(static_cast<double>(fen));
    }
  }
  m.transitions.labels({"bill"}).inc(static_cast<std::uint64_t>(transitions));
  m.failures.labels({"bill"}).inc(static_cast<std::uint64_t>(failures));
}

void recordRerun(const RerunSummary& s) {
  RunMetrics& m = metrics();
  std::int64_t orders = 0, transitions = 0, failures = 0;
  for (const RerunDayResult& d : s.days) {
    orders += d.recheck.orders;
    transitions += d.recheck.transitions;
    failures += d.recheck.failures;
  }
  m.rerun_orders.get().inc(static_cast<std::uint64_t>(orders));
  m.transitions.labels({"rerun"}).inc(static_cast<std::uint64_t>(transitions));
  m.failures.labels({"rerun"}).inc(static_cast<std::uint64_t>(failures));
}

void recordRunEnd(const std::string& run, int exit_code, double duration_s, TimePoint finished) {
  RunMetrics& m = metrics();
  const bool ok = runSucceeded(exit_code);
  m.runs.labels({run, std::to_string(exit_code)}).inc();
  m.success.labels({run}).set(ok ? 1 : 0);
  m.exit_code.labels({run}).set(exit_code);
  m.duration.labels({run}).set(duration_s);
  m.last_run.labels({run}).set(unixSeconds(finished));
  if (ok) setLastSuccess(run, unixSeconds(finished));
}

void setLastSuccess(const std::string& run, double unix_seconds) {
  metrics().last_success.labels({run}).set(unix_seconds);
}

void noteNewDiscrepancy(const Finding& f) {
  const char* kind = discrepancyKindName(f.kind);
  const char* severity = severityName(severityOf(f.kind));
  metrics().discrepancies.labels({kind, severity}).inc();
  logInfo("discrepancy.new", {{"kind", kind},
                              {"severity", severity},
                              {"mch_id", f.mch_id},
                              {"out_trade_no", f.out_trade_no},
                              {"transaction_id", f.transaction_id},
                              {"bill_date", f.bill_date ? formatIsoDate(*f.bill_date) : ""},
                              {"local", f.local_value},
                              {"remote", f.remote_value}});
}

}  // namespace wx
