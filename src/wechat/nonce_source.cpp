#include "wechat/nonce_source.h"

#include <random>

namespace wx {

std::string RandomNonceSource::next() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::random_device device;
  std::uniform_int_distribution<int> pick(0, 61);
  std::string nonce(32, '0');
  for (char& c : nonce) c = kAlphabet[pick(device)];
  return nonce;
}

}  // namespace wx
