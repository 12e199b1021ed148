// `wxrecon migrate`: apply the embedded migrations (storage/migrations.h).
#include <ostream>

#include "app/commands.h"
#include "common/log.h"
#include "storage/database.h"
#include "storage/health_checks.h"
#include "storage/migrations.h"

namespace wx {

int runMigrate(CommandContext& ctx) {
  Database* db = ctx.database();
  if (db == nullptr) return ctx.config() == nullptr ? kExitUsage : kExitFailed;
  auto report = migrate(*db, embeddedMigrations());
  if (!report) {
    logError("migrate.failed", {{"error", report.status().message()}});
    ctx.err() << "wxrecon migrate: " << report.status().message() << "\n";
    return report.status().code() == StatusCode::kFailedPrecondition ? kExitUsage : kExitFailed;
  }
  for (const auto& name : report->applied) logInfo("migrate.applied", {{"file", name}});
  // A warning only: the data belongs to the merchant's application.
  (void)warnOnFutureCreatedAt(*db);
  ctx.out() << "migrate: " << report->applied.size() << " applied, " << report->already_applied
            << " already applied (database " << db->config().database << ")\n";
  return kExitOk;
}

}  // namespace wx
