// The real RerunSteps (service/rerun.h) for `wxrecon rerun`: (a) DayRechecker over MySQL and
// WeChat, (b) the bill run's day reconciliation (a function object: BillDayReconciler),
// (c) writeDayReports over the MySQL report reader.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "service/day_rechecker.h"
#include "service/report_writer.h"
#include "service/rerun.h"

namespace wx {

// Step (b): bill-reconcile one merchant-day (the archived OK/EMPTY bill unless `redownload`).
using BillDayReconciler = std::function<BillStepResult(const std::string& mch_id,
                                                       const CivilDate& day, bool redownload)>;

class AppRerunSteps final : public RerunSteps {
 public:
  AppRerunSteps(const DayRechecker& rechecker, BillDayReconciler bill, ReportReader& reports,
                std::string reports_dir, const std::atomic<bool>& stop)
      : rechecker_(rechecker), bill_(std::move(bill)), reports_(reports),
        reports_dir_(std::move(reports_dir)), stop_(stop) {}

  Result<RecheckCounts> recheckOrders(const std::string& mch_id, const CivilDate& day,
                                      bool include_final) override {
    return rechecker_.recheck(mch_id, day, include_final, stop_);
  }
  BillStepResult reconcileBill(const std::string& mch_id, const CivilDate& day,
                               bool redownload) override {
    return bill_(mch_id, day, redownload);
  }
  Result<std::vector<std::string>> writeReports(const std::string& mch_id,
                                                const CivilDate& day) override;

 private:
  const DayRechecker& rechecker_;
  BillDayReconciler bill_;
  ReportReader& reports_;
  std::string reports_dir_;
  const std::atomic<bool>& stop_;
};

}  // namespace wx
