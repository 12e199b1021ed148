#include "common/hash.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace wx {

struct Sha256::Impl {
  Poco::SHA2Engine engine{Poco::SHA2Engine::SHA_256};
};

Sha256::Sha256() : impl_(new Impl) {}
Sha256::~Sha256() { delete impl_; }
void Sha256::update(std::string_view bytes) { impl_->engine.update(bytes.data(), bytes.size()); }
std::string Sha256::hexDigest() { return Poco::DigestEngine::digestToHex(impl_->engine.digest()); }

std::string sha256Hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hexDigest();
}

}  // namespace wx
