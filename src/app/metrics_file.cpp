#include "app/metrics_file.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <ostream>

#include "app/cli.h"
#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "service/run_metrics.h"

namespace wx {

namespace {

std::string directoryOf(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::optional<double> lastSuccessIn(const std::string& metrics_file, const std::string& run) {
  std::ifstream in(metrics_file);
  const std::string prefix = "wxrecon_last_success_timestamp_seconds{";
  const std::string label = "run=\"" + run + "\"";
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto close = line.find('}');
    if (close == std::string::npos || line.substr(0, close).find(label) == std::string::npos) {
      continue;
    }
    const std::string value = line.substr(close + 1);
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (end != value.c_str() && v > 0) return v;
  }
  return std::nullopt;
}

int runWithMetricsFile(CommandContext& ctx, const std::function<int()>& body) {
  const std::string run = ctx.command();
  const std::string path = ctx.get("metrics-file");
  if (ctx.has("metrics-file")) {
    struct stat st {};
    const std::string dir = directoryOf(path);
    if (path.empty() || path.back() == '/' || ::stat(dir.c_str(), &st) != 0 ||
        !S_ISDIR(st.st_mode)) {
      ctx.err() << "wxrecon " << run << ": --metrics-file " << path
                << ": no such directory: " << dir << "\n";
      return kExitUsage;
    }
  }
  registerRunMetrics();
  const auto started = std::chrono::steady_clock::now();
  int code = kExitFailed;
  try {
    code = body();
  } catch (const std::exception& e) {
    ctx.err() << "wxrecon " << run << ": " << e.what() << "\n";
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  recordRunEnd(run, code, took.count(), SystemClock::instance().now());
  if (!ctx.has("metrics-file")) return code;
  if (!runSucceeded(code)) {
    if (auto earlier = lastSuccessIn(path, run)) setLastSuccess(run, *earlier);
  }
  const Status st =
      writeFileAtomically(path, MetricsRegistry::process().render({{"command", run}}));
  if (!st.isOk()) {
    logError("metrics.write_failed", {{"path", path}, {"error", st.message()}});
    ctx.err() << "wxrecon " << run << ": the metrics file was not written: " << st.message()
              << "\n";
    if (runSucceeded(code)) code = kExitFailed;
  }
  return code;
}

}  // namespace wx
