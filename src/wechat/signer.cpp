#include "wechat/signer.h"

#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/MD5Engine.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <memory>

#include "common/test_hooks.h"

namespace wx {

namespace {

// Poco 1.11's HMACEngine needs Engine::BLOCK_SIZE / DIGEST_SIZE, which SHA2Engine lacks
// (STACK_NOTES.md): this wrapper supplies them for SHA-256.
struct Sha256ForHmac : Poco::SHA2Engine {
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256ForHmac() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

bool isSigned(const std::string& name, const std::string& value) {
  return !value.empty() && name != "sign";
}

// Writes the string to sign WITHOUT the key into `out` (reused: no allocation once warm).
void buildSigned(const FieldMap& fields, std::string& out) {
  out.clear();
  for (const auto& [name, value] : fields) {
    if (!isSigned(name, value)) continue;
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
}

// Feeds "<string to sign>&key=<key>" to the engine in three pieces: the string with the key
// is never built in memory (RELIABILITY.md 16). With no signed field it is "key=<key>"
// (WxJava). One update for the fields keeps Poco's per-update virtual calls off the hot path.
void feed(Poco::DigestEngine& engine, const FieldMap& fields, const Secret& key) {
  thread_local std::string buffer;
  buildSigned(fields, buffer);
  if (!buffer.empty()) {
    buffer += '&';
    engine.update(buffer.data(), buffer.size());
  }
  engine.update("key=", 4);
  engine.update(key.reveal().data(), key.reveal().size());
}

// HMAC engines per thread for the last few keys (merchants, current + previous key), rebuilt
// only on a miss: Poco's HMACEngine allocates its pads and a SHA-256 context on construction,
// and digest() leaves it reset for the next message. The key copies live as long as the
// thread, like the configured keys themselves.
class HmacCache {
 public:
  Poco::HMACEngine<Sha256ForHmac>& engineFor(const Secret& key) {
    for (auto& e : entries_) {
      if (e.engine && constantTimeEquals(e.key.reveal(), key.reveal())) return *e.engine;
    }
    Entry& victim = entries_[next_];
    next_ = (next_ + 1) % kSize;
    victim.engine = std::make_unique<Poco::HMACEngine<Sha256ForHmac>>(key.reveal());
    victim.key = key;
    return *victim.engine;
  }

 private:
  static constexpr std::size_t kSize = 4;
  struct Entry {
    Secret key;
    std::unique_ptr<Poco::HMACEngine<Sha256ForHmac>> engine;
  };
  Entry entries_[kSize];
  std::size_t next_ = 0;
};

std::string upperHex(const Poco::DigestEngine::Digest& d) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out(d.size() * 2, '\0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 0x0F];
  }
  return out;
}

bool isUpperHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }
bool isLowerHex(char c) { return c >= 'a' && c <= 'f'; }

// Field names of the signed string, for explanations (names only, never values), bounded.
std::string signedNames(const FieldMap& fields) {
  std::string out;
  std::size_t n = 0;
  for (const auto& [name, value] : fields) {
    if (!isSigned(name, value)) continue;
    ++n;
    if (out.size() < 300) {
      if (!out.empty()) out += ',';
      out += name.substr(0, 64);
    }
  }
  if (out.size() >= 300) out += ",...";
  return std::to_string(n) + " signed field" + (n == 1 ? "" : "s") + (n ? ": " + out : "");
}

std::string quoteValue(const std::string& v) {
  std::string out;
  for (char c : v.substr(0, 32)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return "'" + out + (v.size() > 32 ? "...'" : "'");
}

}  // namespace

std::string stringToSign(const FieldMap& fields) {
  std::string out;
  buildSigned(fields, out);
  return out;
}

std::string computeSign(const FieldMap& fields, SignType type, const Secret& key) {
  if (type == SignType::kMd5 || hooks::broken(hooks::Break::kMd5WhenHmac)) {
    // One engine per thread: digest() resets it, so it is ready for the next call.
    thread_local Poco::MD5Engine md5;
    feed(md5, fields, key);
    return upperHex(md5.digest());
  }
  // The HMAC key is also appended to the message (WECHATPAY_V2.md §1 step 5b).
  thread_local HmacCache cache;
  auto& hmac = cache.engineFor(key);
  feed(hmac, fields, key);
  return upperHex(hmac.digest());
}

void signRequest(FieldMap& fields, SignType type, const Secret& key) {
  fields.erase("sign");
  if (type == SignType::kHmacSha256) {
    fields["sign_type"] = signTypeName(type);
  } else if (fields.count("sign_type") != 0) {
    fields.at("sign_type") = signTypeName(type);
  }
  std::string sign = computeSign(fields, type, key);
  fields["sign"] = std::move(sign);
}

const char* signCheckName(SignCheck c) {
  switch (c) {
    case SignCheck::kValid:
      return "valid";
    case SignCheck::kMissingSign:
      return "missing_sign";
    case SignCheck::kMalformedSign:
      return "malformed_sign";
    case SignCheck::kAlgorithmNotAllowed:
      return "algorithm_not_allowed";
    case SignCheck::kSignTypeConflict:
      return "sign_type_conflict";
    case SignCheck::kMismatch:
      return "mismatch";
  }
  return "unknown";
}

bool constantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;  // lengths are public (32 or 64)
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

VerifyResult verifySign(const FieldMap& fields, const std::vector<SignType>& allowed,
                        const Secret& key, const Secret* previous_key) {
  VerifyResult r;
  auto fail = [&r](SignCheck c, std::string why) {
    r.check = c;
    r.explanation = std::move(why);
    return r;
  };

  const auto sit = fields.find("sign");
  if (sit == fields.end()) return fail(SignCheck::kMissingSign, "no sign field");
  const std::string& sign = sit->second;
  if (sign.empty()) return fail(SignCheck::kMissingSign, "the sign field is empty");

  if (sign.size() != 32 && sign.size() != 64) {
    return fail(SignCheck::kMalformedSign,
                "the sign has the wrong length: " + std::to_string(sign.size()) +
                    " characters; expected 32 (MD5) or 64 (HMAC-SHA256) uppercase hex");
  }
  r.algorithm = sign.size() == 32 ? SignType::kMd5 : SignType::kHmacSha256;
  const std::string form = std::string("the ") + signTypeName(r.algorithm) + " form (" +
                           std::to_string(sign.size()) + " hex characters)";
  for (std::size_t i = 0; i < sign.size(); ++i) {
    if (isUpperHex(sign[i])) continue;
    if (isLowerHex(sign[i]) && std::all_of(sign.begin(), sign.end(),
                                           [](char c) { return isUpperHex(c) || isLowerHex(c); })) {
      return fail(SignCheck::kMalformedSign,
                  "the sign is lowercase hex; WeChat signs are uppercase hex");
    }
    return fail(SignCheck::kMalformedSign,
                "the sign has a non-hex character at position " + std::to_string(i));
  }

  const bool downgrade = hooks::broken(hooks::Break::kMd5WhenHmac);  // test build only
  if (std::find(allowed.begin(), allowed.end(), r.algorithm) == allowed.end() && !downgrade) {
    std::string list;
    for (SignType t : allowed) list += (list.empty() ? "" : ", ") + std::string(signTypeName(t));
    return fail(SignCheck::kAlgorithmNotAllowed, "the sign has " + form + " but only " +
                                                     (list.empty() ? "nothing" : list) +
                                                     " is accepted here");
  }

  if (const auto st = fields.find("sign_type"); st != fields.end() && !st->second.empty()) {
    const auto named = parseSignType(st->second);
    if (!named) {
      return fail(SignCheck::kSignTypeConflict, "the sign_type field " + quoteValue(st->second) +
                                                    " is neither MD5 nor HMAC-SHA256");
    }
    if (*named != r.algorithm) {
      return fail(SignCheck::kSignTypeConflict, std::string("the sign_type field says ") +
                                                    signTypeName(*named) + " but the sign has " +
                                                    form);
    }
  }

  if (key.empty()) return fail(SignCheck::kMismatch, "no API key to verify with");
  if (constantTimeEquals(computeSign(fields, r.algorithm, key), sign)) {
    r.check = SignCheck::kValid;
    r.explanation = std::string("valid ") + signTypeName(r.algorithm) + " sign (current key)";
    return r;
  }
  const bool try_previous = previous_key != nullptr && !previous_key->empty();
  if (try_previous && constantTimeEquals(computeSign(fields, r.algorithm, *previous_key), sign)) {
    r.check = SignCheck::kValid;
    r.used_previous_key = true;
    r.explanation = std::string("valid ") + signTypeName(r.algorithm) + " sign (previous key)";
    return r;
  }
  return fail(SignCheck::kMismatch,
              std::string(signTypeName(r.algorithm)) +
                  " sign does not match the one computed with " +
                  (try_previous ? "the current key or the previous key" : "the current key") +
                  " over " + signedNames(fields));
}

}  // namespace wx
