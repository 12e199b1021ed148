// libFuzzer target (RELIABILITY.md T11): an untrusted body goes through the one hardened parse
// and then signature verification, exactly as a notification does. Properties checked on every
// accepted body (a violation aborts, which libFuzzer reports as a crash):
//   - the writer round-trips: parse(write(fields)) == fields, byte for byte;
//   - verification is deterministic and never reports a sign that does not have its form;
//   - re-signing the parsed fields with the fixed key verifies, for both algorithms.
// The seed corpus (corpus/fuzz_notify_verify/) is signed with kKey, so mutations reach the
// comparison, not only the parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wechat/signer.h"
#include "wechat/xml_codec.h"

namespace {

const wx::Secret& key() {
  static const wx::Secret k{"192006250b4c09247ec02edce69f6a2d"};  // WECHATPAY_V2.md TV1 key
  return k;
}
const wx::Secret& previousKey() {
  static const wx::Secret k{"aaaabbbbccccddddeeeeffff00001111"};
  return k;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const wx::XmlParseResult parsed = wx::parseXmlFields(body);
  if (!parsed.ok()) {
    check(parsed.fields.empty() && !parsed.error.empty());
    return 0;
  }
  const wx::FieldMap& fields = parsed.fields;

  const wx::XmlParseResult again = wx::parseXmlFields(wx::writeXmlFields(fields));
  check(again.ok() && again.fields == fields);

  const std::vector<wx::SignType> both = {wx::SignType::kMd5, wx::SignType::kHmacSha256};
  const wx::VerifyResult v1 = wx::verifySign(fields, both, key(), &previousKey());
  const wx::VerifyResult v2 = wx::verifySign(fields, both, key(), &previousKey());
  check(v1.check == v2.check && v1.explanation == v2.explanation);
  if (v1.ok()) {
    const std::string& sign = fields.at("sign");
    check(sign.size() == (v1.algorithm == wx::SignType::kMd5 ? 32u : 64u));
  }
  for (const wx::SignType only : both) {
    const wx::VerifyResult v = wx::verifySign(fields, {only}, key());
    check(!v.ok() || v.algorithm == only);
  }

  for (const wx::SignType type : both) {
    wx::FieldMap resigned = fields;
    wx::signRequest(resigned, type, key());
    check(wx::verifySign(resigned, {type}, key()).ok());
  }
  return 0;
}
