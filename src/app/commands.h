// One function per command, each in its own cmd_*.cpp.
#pragma once

#include "app/cli.h"

namespace wx {

int runMigrate(CommandContext& ctx);
int runSweep(CommandContext& ctx);
int runBill(CommandContext& ctx);
int runRerun(CommandContext& ctx);
int runReport(CommandContext& ctx);
int runResolve(CommandContext& ctx);
int runDaemon(CommandContext& ctx);
int runNotifyServer(CommandContext& ctx);
int runSign(CommandContext& ctx);
int runParseBill(CommandContext& ctx);

}  // namespace wx
