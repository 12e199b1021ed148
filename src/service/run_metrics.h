// The run-level metrics and log lines of sweep, bill and rerun (README "Metrics"), folded into
// MetricsRegistry::process() from what each run returns. The commands write them to
// --metrics-file at the end of a run; daemon and notify-server serve them on GET /metrics.
//
//   registerRunMetrics();            // at start: every family shown, even before its first use
//   ... SweepSummary s = sweep.run(stop); recordSweep(s);
//   recordRunEnd("sweep", exit_code, seconds, clock.now());
//
// Counters add up over a process's runs (a daemon's many sweeps); gauges describe the last run
// of each kind. Thread-safe.
#pragma once

#include <string>

#include "common/time.h"
#include "domain/discrepancy.h"

namespace wx {

struct SweepSummary;
struct BillRunSummary;
struct RerunSummary;

void registerRunMetrics();

// wxrecon_orders_examined_total{outcome}, wxrecon_order_transitions_total{run="sweep"},
// wxrecon_order_failures_total{run="sweep"}.
void recordSweep(const SweepSummary& s);
// Per merchant: wxrecon_bill_reconciliations_total{status}, the day's figures as gauges
// (wxrecon_bill_orders{mch_id,figure}, wxrecon_bill_amount_fen{mch_id,figure},
// wxrecon_bill_day_timestamp_seconds{mch_id}), transitions and failures{run="bill"}.
void recordBill(const BillRunSummary& s);
// The re-decided orders of each day (its bill days are recordBill's): transitions and
// failures{run="rerun"}, wxrecon_rerun_orders_total.
void recordRerun(const RerunSummary& s);

// A run is a success when it did its work: exit 0, or 3 (done, and new HIGH discrepancies).
bool runSucceeded(int exit_code);
// wxrecon_runs_total{run,exit_code}, and the gauges of the last run of this kind:
// wxrecon_run_success, wxrecon_run_exit_code, wxrecon_run_duration_seconds,
// wxrecon_last_run_timestamp_seconds and (on success only) wxrecon_last_success_timestamp_seconds.
void recordRunEnd(const std::string& run, int exit_code, double duration_s, TimePoint finished);
// Sets wxrecon_last_success_timestamp_seconds{run} (a failed run carrying an earlier success
// forward: app/metrics_file.h).
void setLastSuccess(const std::string& run, double unix_seconds);

// A discrepancy a committed write opened (inserted or reopened): one log line (event
// discrepancy.new: kind, severity, mch_id, out_trade_no, transaction_id, bill_date, local,
// remote) and wxrecon_discrepancies_new_total{kind,severity}. Called by the stores after COMMIT.
void noteNewDiscrepancy(const Finding& f);

}  // namespace wx
