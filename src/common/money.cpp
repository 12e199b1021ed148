#include "common/money.h"

#include <limits>

namespace wx {

Result<std::int64_t> parseDecimal(std::string_view text, int scale) {
  const std::string shown = "\"" + std::string(text.substr(0, 40)) + "\"";
  if (text.empty()) return Status::invalidArgument("empty amount");
  std::size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
  }
  std::int64_t whole = 0;
  std::size_t whole_digits = 0;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  for (; i < text.size() && text[i] != '.'; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      if (c == ',') return Status::invalidArgument("amount " + shown + " has a thousands separator");
      return Status::invalidArgument("amount " + shown + " has a character that is not a digit");
    }
    if (whole > (kMax - (c - '0')) / 10) {
      return Status::invalidArgument("amount " + shown + " is too large");
    }
    whole = whole * 10 + (c - '0');
    ++whole_digits;
  }
  std::int64_t frac = 0;
  int frac_digits = 0;
  if (i < text.size()) {  // at '.'
    ++i;
    if (i == text.size()) return Status::invalidArgument("amount " + shown + " ends with '.'");
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') {
        return Status::invalidArgument("amount " + shown + " has a character that is not a digit");
      }
      if (++frac_digits > scale) {
        return Status::invalidArgument("amount " + shown + " has more than " +
                                       std::to_string(scale) + " decimals");
      }
      frac = frac * 10 + (c - '0');
    }
  }
  if (whole_digits == 0) return Status::invalidArgument("amount " + shown + " has no integer part");
  for (int k = frac_digits; k < scale; ++k) frac *= 10;
  std::int64_t factor = 1;
  for (int k = 0; k < scale; ++k) factor *= 10;
  if (whole > (kMax - frac) / factor) return Status::invalidArgument("amount " + shown + " is too large");
  const std::int64_t units = whole * factor + frac;
  return negative ? -units : units;
}

std::string formatDecimal(std::int64_t units, int scale) {
  const bool negative = units < 0;
  // Work in unsigned so INT64_MIN cannot overflow.
  std::uint64_t u = negative ? 0 - static_cast<std::uint64_t>(units) : static_cast<std::uint64_t>(units);
  std::uint64_t factor = 1;
  for (int k = 0; k < scale; ++k) factor *= 10;
  std::string frac = std::to_string(u % factor);
  if (scale > 0) frac.insert(0, static_cast<std::size_t>(scale) - frac.size(), '0');
  std::string out = negative ? "-" : "";
  out += std::to_string(u / factor);
  if (scale > 0) out += "." + frac;
  return out;
}

Result<Fen> parseFenField(std::string_view text) {
  if (text.empty()) return Status::invalidArgument("empty fen amount");
  if (text.size() > 18) return Status::invalidArgument("fen amount is too long");
  Fen v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return Status::invalidArgument("fen amount \"" + std::string(text.substr(0, 20)) +
                                     "\" is not an unsigned integer");
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace wx
