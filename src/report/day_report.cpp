#include "report/day_report.h"

#include <algorithm>
#include <tuple>

namespace wx {

int severityRank(const std::string& severity) {
  if (severity == "HIGH") return 0;
  if (severity == "MEDIUM") return 1;
  if (severity == "LOW") return 2;
  return 3;
}

void sortForReport(std::vector<ReportDiscrepancy>& rows) {
  std::sort(rows.begin(), rows.end(), [](const ReportDiscrepancy& a, const ReportDiscrepancy& b) {
    return std::make_tuple(severityRank(a.severity), std::cref(a.kind), std::cref(a.out_trade_no),
                           a.id) < std::make_tuple(severityRank(b.severity), std::cref(b.kind),
                                                   std::cref(b.out_trade_no), b.id);
  });
}

}  // namespace wx
