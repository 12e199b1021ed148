// The wiring shared by `wxrecon sweep` and `wxrecon daemon`: real stores, transport and
// PayClient around service/sweep.h, the stop signals, the progress line and the summary.
#pragma once

#include <atomic>
#include <iosfwd>
#include <optional>
#include <string>

#include "app/config.h"

namespace wx {

class Database;

struct SweepCliOptions {
  std::string mch;  // --mch (empty: every configured merchant)
  bool dry_run = false;
  std::int64_t limit = 0;
  bool progress = false;  // a progress line on stderr (a terminal)
};

// Checks --mch against the config: an error message when it names no configured merchant.
std::optional<std::string> checkSweepOptions(const Config& config, const SweepCliOptions& options);

// One sweep with real implementations. Prints the summary on `out`; returns the exit code
// (DESIGN.md §1). Never throws.
int runOneSweep(const Config& config, Database& db, const SweepCliOptions& options,
                const std::atomic<bool>& stop, std::ostream& out);

// SIGTERM/SIGINT: the first sets the returned flag (stop claiming, finish in-flight work,
// release the rest); a second one exits at once (_exit(1): leases then expire). With
// `handle_hup`, SIGHUP sets hupReceived() instead of killing the process.
const std::atomic<bool>& installStopSignals(bool handle_hup);
// True once after each SIGHUP (clears it).
bool takeHup();

}  // namespace wx
