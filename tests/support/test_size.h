// Test sizes from the environment: CI runs the defaults, tests/chaos/run.sh --soak sets the
// on-demand sizes of RELIABILITY.md (e.g. WXRECON_T4_ORDERS=5000). A malformed value throws
// (a soak must not silently run at CI size).
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace wx::test {

// The positive integer in `name`, or `ci_default` when it is unset or empty.
inline int testSize(const char* name, int ci_default) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return ci_default;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 1 || n > 10000000) {
    throw std::runtime_error(std::string(name) + " is not a size: " + v);
  }
  return static_cast<int>(n);
}

// The fraction in [0, 1] in `name`, or `ci_default`.
inline double testRate(const char* name, double ci_default) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return ci_default;
  char* end = nullptr;
  const double r = std::strtod(v, &end);
  if (*end != '\0' || !(r >= 0 && r <= 1)) {
    throw std::runtime_error(std::string(name) + " is not a rate in [0, 1]: " + v);
  }
  return r;
}

}  // namespace wx::test
