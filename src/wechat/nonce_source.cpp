#include "wechat/nonce_source.h"

#include <cstdint>
#include <random>

namespace wx {

std::string RandomNonceSource::next() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // Five base-62 digits per 32-bit draw, unbiased: draws at or above 4 x 62^5 are rejected
  // (15% of them). One draw costs about 0.3 us here (RDRAND on AMD EPYC): one per character
  // cost 8-10 us a request, 5% of the sweep's CPU per order.
  constexpr std::uint32_t kDigits5 = 62u * 62u * 62u * 62u * 62u;
  constexpr std::uint32_t kLimit = 4 * kDigits5;
  thread_local std::random_device device;
  std::string nonce(32, '0');
  std::size_t i = 0;
  while (i < nonce.size()) {
    std::uint32_t x = static_cast<std::uint32_t>(device());
    if (x >= kLimit) continue;
    x %= kDigits5;
    for (int k = 0; k < 5 && i < nonce.size(); ++k, x /= 62) nonce[i++] = kAlphabet[x % 62];
  }
  return nonce;
}

}  // namespace wx
