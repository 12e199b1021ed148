// Money is integer fen (1/100 yuan) everywhere; fees are integer units of 1/100000 yuan.
// Yuan strings (bills, reports) are converted digit by digit, never through double
// (RELIABILITY.md invariant 2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace wx {

using Fen = std::int64_t;

// A fixed-point decimal: `units` of 10^-scale. parseDecimal("0.04000", 5) == 4000.
// Accepts an optional leading '-', ASCII digits, and at most `scale` digits after one '.'.
// Rejects everything else by name: '+', spaces, thousands separators ("1,000.00"),
// exponents, empty strings, a lone '.', more decimals than `scale`, and overflow.
Result<std::int64_t> parseDecimal(std::string_view text, int scale);

// Renders units of 10^-scale with exactly `scale` decimals: formatDecimal(-1, 2) == "-0.01".
std::string formatDecimal(std::int64_t units, int scale);

// Yuan with at most 2 decimals (bill amounts) -> fen.
inline Result<Fen> parseYuan(std::string_view text) { return parseDecimal(text, 2); }
inline std::string formatYuan(Fen fen) { return formatDecimal(fen, 2); }

// A bill fee (手续费) kept exactly as the bill states it, with 5 decimals.
struct FeeAmount {
  std::int64_t units = 0;  // 1/100000 yuan
  friend bool operator==(FeeAmount a, FeeAmount b) { return a.units == b.units; }
  friend bool operator!=(FeeAmount a, FeeAmount b) { return a.units != b.units; }
};
inline Result<FeeAmount> parseFee(std::string_view text) {
  auto r = parseDecimal(text, 5);
  if (!r) return r.status();
  return FeeAmount{*r};
}
inline std::string formatFee(FeeAmount fee) { return formatDecimal(fee.units, 5); }

// Integer fen as a decimal string of an API field (total_fee="101"). Digits only, no sign.
Result<Fen> parseFenField(std::string_view text);

}  // namespace wx
