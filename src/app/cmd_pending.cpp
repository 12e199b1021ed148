// Commands whose capability has not landed yet: each says so and exits 2 (never a fake success).
// When a command lands, its function moves to its own cmd_*.cpp and leaves this file.
#include "app/commands.h"

namespace wx {

int runRerun(CommandContext& ctx) { return notBuiltYet(ctx, "daily bill reconciliation (issue 7)"); }

}  // namespace wx
