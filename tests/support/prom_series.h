// The series of a Prometheus text that must be valid (tests/support/prom_text_validator.h):
// every problem is reported through Catch and fails the test case.
//
//   auto m = validSeries(text);
//   CHECK(m["wxrecon_runs_total{exit_code=0,run=sweep,}"] == 1);  // labels sorted, each + ','
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "support/prom_text_validator.h"

namespace wx::test {

// Series (name{k=v,...} with labels sorted) -> value.
inline std::map<std::string, double> validSeries(const std::string& text) {
  PromTextValidator v;
  const auto errors = v.check(text);
  for (const auto& e : errors) UNSCOPED_INFO(e);
  INFO(text);
  CHECK(errors.empty());
  std::map<std::string, double> out;
  for (const auto& s : v.samples()) {
    std::string key = s.name + "{";
    for (const auto& [k, val] : s.labels) key += k + "=" + val + ",";
    out[key + "}"] = s.value;
  }
  return out;
}

}  // namespace wx::test
