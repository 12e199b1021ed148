// `wxrecon bill [--date D] [--mch M] [--dry-run]` (DESIGN.md §1, §6; service/bill_run.h).
#include <ostream>

#include "app/bill_runner.h"
#include "app/commands.h"
#include "common/clock.h"
#include "storage/database.h"

namespace wx {

int runBill(CommandContext& ctx) {
  const Config* config = ctx.config();
  if (config == nullptr) return kExitUsage;
  if (config->merchants.empty()) {
    ctx.err() << "wxrecon bill: no [merchant.*] section in the config\n";
    return kExitUsage;
  }
  if (config->reports_dir.empty()) {
    ctx.err() << "wxrecon bill: " << config->path
              << ": [reports] dir is required (where the day's reports are written)\n";
    return kExitUsage;
  }
  BillCliOptions options;
  options.mch = ctx.get("mch");
  options.dry_run = ctx.has("dry-run");
  if (!options.mch.empty() && config->findMerchant(options.mch) == nullptr) {
    ctx.err() << "wxrecon bill: --mch " << options.mch
              << ": no [merchant.*] section has this mch_id\n";
    return kExitUsage;
  }
  const CivilDate today = beijingDate(SystemClock::instance().now());
  const std::string date = ctx.get("date", formatIsoDate(addDays(today, -1)));
  if (auto error = checkBillDate(date, today, options.day)) {
    ctx.err() << "wxrecon bill: " << *error << "\n";
    return kExitUsage;
  }
  Database* db = ctx.database();
  if (db == nullptr) return kExitFailed;  // the error is printed: database unreachable
  return runBillDay(*config, *db, options, ctx.out());
}

}  // namespace wx
