// ChaosTally: what one reliability test case did, for tests/chaos/run.sh's table. Shared by the
// chaos tests (tests/chaos) and the integration tests of RELIABILITY.md T4-T8.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

namespace wx::test {

// What one chaos test case did, appended as one line to $WXRECON_CHAOS_REPORT (when set) once
// the test case ends, passed or not: its name, the faults injected (runs), the violations the
// checker found, and the longest time from the end of a fault to convergence (seconds).
// tests/chaos/run.sh prints these beside ctest's verdict.
struct ChaosTally {
  ChaosTally() : name(Catch::getResultCapture().getCurrentTestName()) {}
  ChaosTally(const ChaosTally&) = delete;
  ChaosTally& operator=(const ChaosTally&) = delete;
  ~ChaosTally() {
    const char* path = std::getenv("WXRECON_CHAOS_REPORT");
    if (path == nullptr || *path == '\0') return;
    std::ofstream(path, std::ios::app) << name << "\t" << runs << "\t" << violations << "\t"
                                       << converge_max_s << "\n";
  }
  // Time a convergence: call start() when the fault is over, done() once converged.
  void start() { t0 = std::chrono::steady_clock::now(); }
  void done() {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > converge_max_s) converge_max_s = s;
  }
  std::string name;
  int runs = 0;
  std::size_t violations = 0;
  double converge_max_s = 0;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
};

}  // namespace wx::test
