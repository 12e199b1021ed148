// --metrics-file PATH of sweep, bill and rerun (README "Metrics"). Once the run ends, whatever
// its exit code, the process's metrics (common/metrics.h, service/run_metrics.h) replace PATH
// atomically (temporary file, fsync, rename: what node_exporter's textfile collector needs),
// with command="<command>" on every series so the three commands' files can share one
// directory. A failed run writes its file too (wxrecon_run_success 0, its exit code) and
// carries wxrecon_last_success_timestamp_seconds forward from the file it replaces, so that
// gauge always says when the command last succeeded (absent until it has).
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace wx {

class CommandContext;

// Runs `body` (the command), records its end as a run of kind ctx.command() and, with
// --metrics-file, writes the file. Refuses (exit 2, before running) a path whose directory does
// not exist. Returns body's exit code, or 1 instead of 0/3 when the file could not be written.
int runWithMetricsFile(CommandContext& ctx, const std::function<int()>& body);

// The value of wxrecon_last_success_timestamp_seconds{run="<run>"} in an earlier metrics file
// (nullopt: no file, or no such line).
std::optional<double> lastSuccessIn(const std::string& metrics_file, const std::string& run);

}  // namespace wx
