// RandomNonceSource: 32 characters of [0-9A-Za-z], every character equally likely at every
// position (five base-62 digits are taken from each 32-bit draw: a slip in that arithmetic shows
// as a position that is never or always some character).
#include <catch2/catch.hpp>

#include <array>
#include <set>
#include <string>

#include "wechat/nonce_source.h"

TEST_CASE("RandomNonceSource: 32 alphanumeric characters, uniform at every position",
          "[nonce]") {
  wx::RandomNonceSource nonces;
  constexpr int kNonces = 20000;
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::array<std::array<int, 62>, 32> count{};
  std::set<std::string> seen;
  for (int n = 0; n < kNonces; ++n) {
    const std::string s = nonces.next();
    REQUIRE(s.size() == 32);
    REQUIRE(s.find_first_not_of(alphabet) == std::string::npos);
    for (std::size_t i = 0; i < s.size(); ++i) ++count[i][alphabet.find(s[i])];
    seen.insert(s);
  }
  CHECK(seen.size() == kNonces);
  // Expected 322.6 per (position, character), standard deviation ~18: +-40% is over 7 sigma.
  const double expected = kNonces / 62.0;
  for (std::size_t i = 0; i < 32; ++i) {
    for (std::size_t k = 0; k < 62; ++k) {
      INFO("position " << i << " character " << alphabet[k]);
      CHECK(count[i][k] > expected * 0.6);
      CHECK(count[i][k] < expected * 1.4);
    }
  }
}
