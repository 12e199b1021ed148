// A secret string (API key, database password). It has no operator<<, no implicit
// conversion, and its debug form is "***": the only way to the bytes is reveal(), which
// should appear only where the secret is used (signing, connecting). RELIABILITY.md 16.
#pragma once

#include <string>
#include <utility>

namespace wx {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  ~Secret() { wipe(); }

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  static const char* masked() { return "***"; }

 private:
  void wipe() {
    volatile char* p = value_.data();
    for (std::size_t i = 0; i < value_.size(); ++i) p[i] = 0;
  }
  std::string value_;
};

}  // namespace wx
