// Digests used outside signing: SHA-256 of raw bodies, bill files and migrations.
#pragma once

#include <string>
#include <string_view>

namespace wx {

// Lowercase hex SHA-256 of the bytes.
std::string sha256Hex(std::string_view bytes);

// Incremental SHA-256 for streams (bill archives).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hexDigest();  // lowercase; call once

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace wx
