// nonce_str for requests (WECHATPAY_V2.md §2: String(32)), behind an interface so tests pin it.
#pragma once

#include <string>

namespace wx {

class NonceSource {
 public:
  virtual ~NonceSource() = default;
  // A fresh nonce: 1..32 characters of [0-9A-Za-z]. Thread-safe.
  virtual std::string next() = 0;
};

// 32 characters from std::random_device (the OS entropy source on Linux), five per draw.
class RandomNonceSource final : public NonceSource {
 public:
  std::string next() override;
};

}  // namespace wx
