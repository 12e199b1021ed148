#include "app/daemon_bill.h"

#include "common/log.h"

namespace wx {

std::string beijingIso(TimePoint t) {
  std::string s = formatBeijingDateTime(t);
  if (auto space = s.find(' '); space != std::string::npos) s[space] = 'T';
  return s + "+08:00";
}

DaemonBillJob::DaemonBillJob(std::vector<std::string> mch_ids, BillSchedulePolicy policy,
                             BillRunner runner)
    : mch_ids_(std::move(mch_ids)), policy_(std::move(policy)), runner_(std::move(runner)) {}

BillAttemptPlan DaemonBillJob::plan(const std::string& mch_id, TimePoint now) const {
  auto it = last_.find(mch_id);
  return nextBillAttempt(now, it == last_.end() ? std::nullopt : it->second, policy_);
}

int DaemonBillJob::runDue(TimePoint now, const std::atomic<bool>& stop) {
  int attempts = 0;
  for (const auto& mch : mch_ids_) {
    if (stop.load()) break;
    const BillAttemptPlan p = plan(mch, now);
    if (p.at > now) continue;
    const std::string day = formatIsoDate(p.bill_date);
    logInfo("daemon.bill_start", {{"mch_id", mch}, {"bill_date", day}});
    const int code = runner_(mch, p.bill_date);
    const BillAttemptResult result = billAttemptResultOf(code);
    auto& last = last_[mch];
    last = recordBillAttempt(last, p, now, result);
    ++attempts;
    const BillAttemptPlan next = nextBillAttempt(now, last, policy_);
    const std::string next_text =
        formatIsoDate(next.bill_date) + "@" + beijingIso(next.at);
    if (result == BillAttemptResult::kFailed) {
      logError("daemon.bill_failed", {{"mch_id", mch},
                                      {"bill_date", day},
                                      {"exit", std::to_string(code)},
                                      {"next", next_text}});
    } else {
      logInfo("daemon.bill_done", {{"mch_id", mch},
                                   {"bill_date", day},
                                   {"result", billAttemptResultName(result)},
                                   {"exit", std::to_string(code)},
                                   {"next", next_text}});
    }
  }
  return attempts;
}

}  // namespace wx
