#include "service/stores.h"

#include "common/log.h"

namespace wx {

std::vector<const Finding*> wouldOpenFindings(DiscrepancyStore* store,
                                              const std::vector<Finding>& findings,
                                              std::string_view log_event,
                                              std::int64_t* unjudged) {
  std::vector<const Finding*> opened;
  for (const Finding& f : findings) {
    if (store != nullptr) {
      auto w = store->wouldOpen(f);
      if (!w) {
        logWarning(log_event, {{"error", w.status().message()}});
        if (unjudged != nullptr) {
          ++*unjudged;
          continue;
        }
      } else if (!*w) {
        continue;
      }
    }
    opened.push_back(&f);
  }
  return opened;
}

}  // namespace wx
