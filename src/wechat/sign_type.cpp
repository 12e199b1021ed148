#include "wechat/sign_type.h"

namespace wx {

const char* signTypeName(SignType t) { return t == SignType::kMd5 ? "MD5" : "HMAC-SHA256"; }

Result<SignType> parseSignType(const std::string& text) {
  if (text == "MD5") return SignType::kMd5;
  if (text == "HMAC-SHA256") return SignType::kHmacSha256;
  return Status::invalidArgument("sign type \"" + text.substr(0, 32) +
                                 "\" is neither MD5 nor HMAC-SHA256");
}

}  // namespace wx
