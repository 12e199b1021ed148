// The daemon's daily bill job: per merchant, `bill` for yesterday (Beijing) at
// schedule.bill_time, retried per service/bill_schedule.h. The daemon calls runDue() between
// sweeps, on its one thread: a bill run and a sweep of the same daemon never overlap (the
// sweep that follows starts when the bill run ends; order writes are fenced by leases anyway,
// so sweeps of other processes may run meanwhile).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "service/bill_schedule.h"

namespace wx {

// Runs the bill of one merchant for one Beijing day; returns `wxrecon bill`'s exit code
// (DESIGN.md §1). Must not throw.
using BillRunner = std::function<int(const std::string& mch_id, const CivilDate& bill_date)>;

// "YYYY-MM-DDTHH:MM:SS+08:00": an instant as Beijing wall time, for the daemon's log lines.
std::string beijingIso(TimePoint t);

class DaemonBillJob {
 public:
  DaemonBillJob(std::vector<std::string> mch_ids, BillSchedulePolicy policy, BillRunner runner);

  // Runs, one after the other, every merchant's attempt due at `now`; stops early when `stop`
  // is set. Returns the number of attempts made.
  int runDue(TimePoint now, const std::atomic<bool>& stop);

  // The next planned attempt of a merchant (for logs and tests).
  BillAttemptPlan plan(const std::string& mch_id, TimePoint now) const;

 private:
  std::vector<std::string> mch_ids_;
  BillSchedulePolicy policy_;
  BillRunner runner_;
  std::map<std::string, std::optional<LastBillAttempt>> last_;
};

}  // namespace wx
