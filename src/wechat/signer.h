// WeChat Pay v2 signatures (WECHATPAY_V2.md §1; RELIABILITY.md invariant 15).
//
// String to sign: every field except `sign` whose value is non-empty, sorted by name in byte
// order, joined as k=v with '&' (raw UTF-8, no URL-encoding), then "&key=<API key>".
// MD5: upper(hex(MD5(s))). HMAC-SHA256: upper(hex(HMAC-SHA256(key, s))).
// Verification is constant-time and the algorithm is decided by configuration, never
// downgraded by the message.
#pragma once

#include <string>
#include <vector>

#include "common/secret.h"
#include "common/status.h"
#include "wechat/sign_type.h"
#include "wechat/xml_codec.h"

namespace wx {

// The string to sign WITHOUT the trailing "&key=..." (safe to show).
std::string stringToSign(const FieldMap& fields);

// The sign of `fields` (their `sign` field, if any, is ignored): 32 or 64 uppercase hex.
// The key is fed to the digest engine, never concatenated into a string. Thread-safe.
std::string computeSign(const FieldMap& fields, SignType type, const Secret& key);

// Adds sign (and sign_type when HMAC-SHA256) to a request's fields. With MD5, a sign_type field
// already present is set to "MD5" (so it cannot contradict the sign); otherwise none is added.
void signRequest(FieldMap& fields, SignType type, const Secret& key);

enum class SignCheck {
  kValid,
  kMissingSign,          // no sign field, or empty
  kMalformedSign,        // not 32 or 64 uppercase hex characters (lowercase hex is rejected:
                         // WeChat signs in uppercase hex, WECHATPAY_V2.md §1 step 5)
  kAlgorithmNotAllowed,  // e.g. a 32-hex (MD5) sign when only HMAC-SHA256 is configured
  kSignTypeConflict,     // sign_type field contradicts the sign's length
  kMismatch,             // recomputed sign differs (with the key and the previous key)
};
const char* signCheckName(SignCheck c);

struct VerifyResult {
  SignCheck check = SignCheck::kMismatch;
  SignType algorithm = SignType::kMd5;  // the algorithm tried (from the sign's form)
  bool used_previous_key = false;       // verified with the previous key (rotation)
  std::string explanation;              // why it failed, for `wxrecon sign --verify` and logs
  bool ok() const { return check == SignCheck::kValid; }
};

// Verifies fields["sign"]. The algorithm comes from the sign's form (32 hex = MD5, 64 = HMAC)
// and must be in `allowed`; a present, non-empty sign_type field must name that algorithm (an
// empty sign_type is not signed, so it is treated as absent). Tries `key`, then `previous_key`
// if given and non-empty. Constant-time comparison. Checks run in the order of SignCheck, and the
// first failing one is reported. `explanation` names the algorithm tried, the keys tried and the
// signed field names; it never contains a key or the string to sign.
VerifyResult verifySign(const FieldMap& fields, const std::vector<SignType>& allowed,
                        const Secret& key, const Secret* previous_key = nullptr);

// Constant-time equality of two strings of the same length (false if lengths differ).
bool constantTimeEquals(const std::string& a, const std::string& b);

}  // namespace wx
