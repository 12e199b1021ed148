// `wxrecon sweep`: one pass over the due unfinished orders (service/sweep.h, DESIGN.md §1).
#include <unistd.h>

#include <ostream>

#include "app/commands.h"
#include "app/sweep_runner.h"
#include "storage/database.h"

namespace wx {

int runSweep(CommandContext& ctx) {
  const Config* config = ctx.config();
  if (config == nullptr) return kExitUsage;
  SweepCliOptions options;
  options.mch = ctx.get("mch");
  options.dry_run = ctx.has("dry-run");
  if (ctx.has("limit")) {
    try {
      std::size_t used = 0;
      options.limit = std::stoll(ctx.get("limit"), &used);
      if (used != ctx.get("limit").size() || options.limit <= 0) throw std::invalid_argument("");
    } catch (const std::exception&) {
      ctx.err() << "wxrecon sweep: --limit must be a positive number\n";
      return kExitUsage;
    }
  }
  options.progress = ::isatty(STDERR_FILENO) == 1;
  if (auto error = checkSweepOptions(*config, options)) {
    ctx.err() << "wxrecon sweep: " << *error << "\n";
    return kExitUsage;
  }
  const std::atomic<bool>& stop = installStopSignals(false);
  Database* db = ctx.database();
  if (db == nullptr) return kExitFailed;  // the error is printed: database unreachable
  return runOneSweep(*config, *db, options, stop, ctx.out());
}

}  // namespace wx
