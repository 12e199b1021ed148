// The two v2 signature algorithms (WECHATPAY_V2.md §1).
#pragma once

#include <string>

#include "common/status.h"

namespace wx {

enum class SignType { kMd5, kHmacSha256 };

// "MD5" / "HMAC-SHA256", the wire names of the sign_type field.
const char* signTypeName(SignType t);
// Accepts exactly the wire names.
Result<SignType> parseSignType(const std::string& text);

}  // namespace wx
