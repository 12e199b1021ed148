#include "service/stores.h"

#include "common/log.h"

namespace wx {

std::vector<DiscrepancyKind> wouldOpenKinds(DiscrepancyStore* store,
                                            const std::vector<Finding>& findings,
                                            std::string_view log_event) {
  std::vector<DiscrepancyKind> opened;
  for (const Finding& f : findings) {
    if (store != nullptr) {
      auto w = store->wouldOpen(f);
      if (!w) {
        logWarning(log_event, {{"error", w.status().message()}});
      } else if (!*w) {
        continue;
      }
    }
    opened.push_back(f.kind);
  }
  return opened;
}

}  // namespace wx
