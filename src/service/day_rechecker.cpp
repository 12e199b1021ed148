#include "service/day_rechecker.h"

#include <algorithm>

#include "common/log.h"

namespace wx {

DayRechecker::DayRechecker(DayOrderSource& days, OrderStore& orders, const OrderChecker& checker,
                           const std::vector<MerchantConfig>& merchants,
                           DayRecheckOptions options)
    : days_(days), orders_(orders), checker_(checker), merchants_(merchants),
      options_(std::move(options)) {}

void DayRechecker::release(const Order& o) const {
  if (!options_.dry_run) (void)orders_.release(o, options_.owner);
}

void DayRechecker::countWouldWrite(const Decision& d, RecheckCounts& c) const {
  c.transitions += static_cast<std::int64_t>(d.transitions.size());
  for (const Finding* f : wouldOpenFindings(options_.discrepancies, d.findings,
                                            "rerun.would_open_unknown")) {
    ++c.discrepancies_new;
    if (severityOf(f->kind) == Severity::kHigh) ++c.discrepancies_high_new;
  }
}

Result<RecheckCounts> DayRechecker::recheck(const std::string& mch_id, const CivilDate& day,
                                            bool include_final,
                                            const std::atomic<bool>& stop) const {
  const MerchantConfig* merchant = nullptr;
  for (const auto& m : merchants_) {
    if (m.mch_id == mch_id) merchant = &m;
  }
  if (merchant == nullptr) {
    return Status::failedPrecondition("mch_id " + mch_id + " has no [merchant.*] section");
  }
  auto ids = days_.dayOrderIds({mch_id, day, include_final});
  if (!ids) return ids.status();
  RecheckCounts c;
  c.orders = static_cast<std::int64_t>(ids->size());
  std::string config_failure;
  const std::size_t batch = static_cast<std::size_t>(std::max(1, options_.batch));
  for (std::size_t at = 0; at < ids->size() && !stop.load() && config_failure.empty();
       at += batch) {
    std::vector<std::int64_t> slice(ids->begin() + static_cast<std::ptrdiff_t>(at),
                                    ids->begin() + static_cast<std::ptrdiff_t>(
                                                       std::min(ids->size(), at + batch)));
    auto claimed = options_.dry_run
                       ? orders_.peekByIds(slice, include_final)
                       : orders_.claimByIds(slice, options_.owner, options_.lease_s, include_final);
    if (!claimed) return claimed.status();
    // The ones not claimed are under a live lease (or changed state meanwhile): their worker
    // decides them.
    c.skipped_leased += static_cast<std::int64_t>(slice.size() - claimed->size());
    for (const Order& o : *claimed) {
      if (stop.load() || !config_failure.empty()) {
        release(o);
        continue;
      }
      CheckOptions co;
      co.source = TransitionSource::kQuery;
      co.allow_close = false;  // closing is the sweep's (the 5-minute rule, the close sequence)
      // A fixed jitter: two reruns of the same day schedule the same next checks.
      CheckResult r = checker_.check(o, *merchant, co, 0.5);
      c.wechat_calls += r.wechat_calls;
      if (r.end == CheckEnd::kMerchantStopped) {
        config_failure = r.stop_reason;
        release(o);
        continue;
      }
      if (r.end != CheckEnd::kDecided) {
        if (r.end != CheckEnd::kCloseWanted) ++c.failures;
        release(o);
        continue;
      }
      if (options_.dry_run) {
        countWouldWrite(r.decision, c);
        continue;
      }
      auto applied = orders_.apply(o, r.decision, options_.run_id, options_.owner);
      if (!applied) {
        ++c.failures;
        logWarning("rerun.apply_failed",
                   {{"out_trade_no", o.out_trade_no}, {"error", applied.status().message()}});
        continue;
      }
      c.transitions += applied->transitions;
      c.discrepancies_new += applied->discrepancies_new;
      c.discrepancies_high_new += applied->discrepancies_high_new;
    }
  }
  if (!config_failure.empty()) {
    return Status::failedPrecondition("WeChat refused merchant " + mch_id +
                                      "'s requests: " + config_failure);
  }
  return c;
}

}  // namespace wx
