// Signer: WECHATPAY_V2.md §1 test vectors, valid edge cases, and the signature-bypass corpus of
// RELIABILITY.md T10 (each row rejected for its own reason).
#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <vector>

#include "wechat/signer.h"
#include "wechat/xml_codec.h"

using namespace wx;

namespace {

const Secret kKey{"192006250b4c09247ec02edce69f6a2d"};  // TV1 key
const Secret kOtherKey{"aaaabbbbccccddddeeeeffff00001111"};

FieldMap tv1Fields() {
  return {{"appid", "wxd930ea5d5a258f4f"},
          {"mch_id", "10000100"},
          {"device_info", "1000"},
          {"body", "test"},
          {"nonce_str", "ibuaiVcKdpRxkhJA"}};
}

// A payment notification as WeChat sends it (§4), signed with kKey.
FieldMap notification(SignType type) {
  FieldMap f = {{"appid", "wx2421b1c4370ec43b"},
                {"attach", "支付测试"},
                {"bank_type", "CFT"},
                {"fee_type", "CNY"},
                {"is_subscribe", "Y"},
                {"mch_id", "10000100"},
                {"nonce_str", "5d2b6c2a8db53831f7eda20af46e531c"},
                {"openid", "oUpF8uMEb4qRXf22hE3X68TekukE"},
                {"out_trade_no", "1409811653"},
                {"result_code", "SUCCESS"},
                {"return_code", "SUCCESS"},
                {"time_end", "20140903131540"},
                {"total_fee", "1"},
                {"trade_type", "JSAPI"},
                {"transaction_id", "1004400740201409030005092168"}};
  signRequest(f, type, kKey);
  return f;
}

const std::vector<SignType> kBoth = {SignType::kMd5, SignType::kHmacSha256};
const std::vector<SignType> kMd5Only = {SignType::kMd5};
const std::vector<SignType> kHmacOnly = {SignType::kHmacSha256};

// No key and no 12-character fragment of it in a text (RELIABILITY.md T15).
bool leaksKey(const std::string& text, const Secret& key) {
  const std::string& k = key.reveal();
  for (std::size_t i = 0; i + 12 <= k.size(); ++i) {
    if (text.find(k.substr(i, 12)) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("TV1/TV2/TV3 reproduce exactly", "[signer]") {
  FieldMap f = tv1Fields();
  CHECK(stringToSign(f) ==
        "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str="
        "ibuaiVcKdpRxkhJA");
  CHECK(computeSign(f, SignType::kMd5, kKey) == "9A0A8659F005D6984697E2CA0A9CF3B7");  // TV1
  CHECK(computeSign(f, SignType::kHmacSha256, kKey) ==
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6");  // TV2
  f["attach"] = "";                                                           // TV3
  CHECK(computeSign(f, SignType::kMd5, kKey) == "9A0A8659F005D6984697E2CA0A9CF3B7");
  f["sign"] = "ANYTHING";  // the sign field itself is never signed
  CHECK(computeSign(f, SignType::kMd5, kKey) == "9A0A8659F005D6984697E2CA0A9CF3B7");
  // Repeated calls on the same thread reuse the engine and give the same answer.
  CHECK(computeSign(f, SignType::kMd5, kKey) == "9A0A8659F005D6984697E2CA0A9CF3B7");
  CHECK(computeSign(f, SignType::kMd5, kOtherKey) != "9A0A8659F005D6984697E2CA0A9CF3B7");
}

TEST_CASE("Byte-order sort, raw values, CJK, emoji and &<>\"= are signed as-is", "[signer]") {
  // Expected values computed independently (Python hashlib/hmac) from the §1 rules.
  FieldMap f = {{"appid", "wx2421b1c4370ec43b"},
                {"mch_id", "10000100"},
                {"attach", "订单额外描述 😀 a&b<c>d\"e=f'g"},
                {"body", ""},
                {"out_trade_no", "1409811653"},
                {"total_fee", "1"},
                {"zz_new_field", "x"},
                {"Upper", "U"}};
  CHECK(stringToSign(f).rfind("Upper=U&appid=", 0) == 0);  // 'U' (0x55) sorts before 'a'
  CHECK(computeSign(f, SignType::kMd5, kKey) == "0B0E7239E90E61DB57D1E596088D08D1");
  f["sign_type"] = "HMAC-SHA256";
  CHECK(computeSign(f, SignType::kHmacSha256, kKey) ==
        "1A37CEDC779C0C7A97BDE6F2E8CC307F5A70EAB968E4197AE611D801D0EBCA19");
}

TEST_CASE("signRequest adds sign and sign_type, and verifies", "[signer]") {
  FieldMap md5 = tv1Fields();
  signRequest(md5, SignType::kMd5, kKey);
  CHECK(md5.count("sign_type") == 0);
  CHECK(md5.at("sign") == "9A0A8659F005D6984697E2CA0A9CF3B7");
  CHECK(verifySign(md5, kMd5Only, kKey).ok());

  FieldMap hmac = tv1Fields();
  signRequest(hmac, SignType::kHmacSha256, kKey);
  CHECK(hmac.at("sign_type") == "HMAC-SHA256");
  CHECK(hmac.at("sign").size() == 64);
  const VerifyResult v = verifySign(hmac, kHmacOnly, kKey);
  CHECK(v.ok());
  CHECK(v.algorithm == SignType::kHmacSha256);
  CHECK_FALSE(v.used_previous_key);

  // Re-signing with MD5 a map that says HMAC-SHA256 fixes sign_type instead of contradicting it.
  signRequest(hmac, SignType::kMd5, kKey);
  CHECK(hmac.at("sign_type") == "MD5");
  CHECK(verifySign(hmac, kMd5Only, kKey).ok());
}

TEST_CASE("Valid edge cases are accepted (T10 second half)", "[signer][xml]") {
  // Hand-written bodies exercising CDATA, entities, mixed content, empty fields, CJK, emoji,
  // &<"= in attach, absent/present sign_type, and an unknown extra field. The sign is
  // inserted after computing it over the parsed fields.
  struct Case {
    const char* why;
    std::string body;  // "@SIGN@" is replaced by the sign
    SignType type;
  };
  const std::vector<Case> cases = {
      {"MD5, all CDATA, no sign_type",
       "<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id>10000100</mch_id>"
       "<total_fee>1</total_fee><sign><![CDATA[@SIGN@]]></sign></xml>",
       SignType::kMd5},
      {"HMAC without sign_type (real notifications omit it)",
       "<xml><appid>wx2421b1c4370ec43b</appid><total_fee>1</total_fee><sign>@SIGN@</sign></xml>",
       SignType::kHmacSha256},
      {"HMAC with sign_type present",
       "<xml><sign_type>HMAC-SHA256</sign_type><appid>wx1</appid><sign>@SIGN@</sign></xml>",
       SignType::kHmacSha256},
      {"MD5 with sign_type MD5", "<xml><sign_type>MD5</sign_type><a>1</a><sign>@SIGN@</sign></xml>",
       SignType::kMd5},
      {"empty fields in all three forms are not signed",
       "<xml><a>1</a><attach></attach><body/><device_info><![CDATA[]]></device_info>"
       "<sign>@SIGN@</sign></xml>",
       SignType::kMd5},
      {"CJK and emoji in CDATA",
       "<xml><attach><![CDATA[订单额外描述😀🎉]]></attach><a>1</a><sign>@SIGN@</sign></xml>",
       SignType::kHmacSha256},
      {"&<>\"= through entities, CDATA and numeric refs mixed",
       "<xml><attach>a&amp;b&lt;c&gt;d&quot;e=f&apos;<![CDATA[<&>]]>&#x1F600;&#20013;</attach>"
       "<sign>@SIGN@</sign></xml>",
       SignType::kMd5},
      {"unknown extra field is signed too",
       "<xml><appid>wx1</appid><zz_future_field>new</zz_future_field><sign>@SIGN@</sign></xml>",
       SignType::kMd5},
      {"XML declaration, whitespace and newlines between fields",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml>\n  <appid>wx1</appid>\r\n"
       "  <sign>@SIGN@</sign>\n</xml>\n",
       SignType::kHmacSha256},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    const std::string unsigned_body = c.body;
    XmlParseResult first = parseXmlFields(unsigned_body);
    REQUIRE(first.ok());
    const std::string sign = computeSign(first.fields, c.type, kKey);
    std::string body = c.body;
    body.replace(body.find("@SIGN@"), 6, sign);
    XmlParseResult parsed = parseXmlFields(body);
    REQUIRE(parsed.ok());
    const VerifyResult v = verifySign(parsed.fields, {c.type}, kKey);
    CHECK(v.ok());
    CHECK(v.algorithm == c.type);
  }
}

TEST_CASE("Signature bypass attempts are rejected, each for its reason (T10)", "[signer]") {
  struct Row {
    const char* why;
    FieldMap fields;
    std::vector<SignType> allowed;
    const Secret* key;
    SignCheck expect;
    const char* explanation_has;
  };
  const FieldMap md5 = notification(SignType::kMd5);
  const FieldMap hmac = notification(SignType::kHmacSha256);
  auto with = [](FieldMap f, const std::string& k, const std::string& v) {
    f[k] = v;
    return f;
  };
  auto without = [](FieldMap f, const std::string& k) {
    f.erase(k);
    return f;
  };
  std::string lower = md5.at("sign");
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  FieldMap other_key = md5;
  signRequest(other_key, SignType::kMd5, kOtherKey);
  FieldMap md5_as_hmac_type = with(md5, "sign_type", "HMAC-SHA256");
  FieldMap replay = notification(SignType::kMd5);
  replay["sign"] = computeSign(tv1Fields(), SignType::kMd5, kKey);  // a valid sign of another body

  const std::vector<Row> rows = {
      {"no sign", without(md5, "sign"), kBoth, &kKey, SignCheck::kMissingSign, "no sign"},
      {"empty sign", with(md5, "sign", ""), kBoth, &kKey, SignCheck::kMissingSign, "empty"},
      {"tampered total_fee", with(md5, "total_fee", "100"), kBoth, &kKey, SignCheck::kMismatch,
       "MD5 sign does not match"},
      {"tampered HMAC body", with(hmac, "out_trade_no", "X1"), kBoth, &kKey, SignCheck::kMismatch,
       "HMAC-SHA256 sign does not match"},
      {"extra field", with(md5, "coupon_fee", "1"), kBoth, &kKey, SignCheck::kMismatch,
       "coupon_fee"},
      {"signed sign_type removed", without(hmac, "sign_type"), kBoth, &kKey, SignCheck::kMismatch,
       "does not match"},
      {"other merchant's key", other_key, kBoth, &kKey, SignCheck::kMismatch, "current key"},
      {"replayed sign of another body", replay, kBoth, &kKey, SignCheck::kMismatch, "match"},
      {"MD5 sign where only HMAC is configured (downgrade)", md5, kHmacOnly, &kKey,
       SignCheck::kAlgorithmNotAllowed, "only HMAC-SHA256 is accepted"},
      {"HMAC sign where only MD5 is configured", hmac, kMd5Only, &kKey,
       SignCheck::kAlgorithmNotAllowed, "only MD5 is accepted"},
      {"sign_type says HMAC, sign is MD5", md5_as_hmac_type, kBoth, &kKey,
       SignCheck::kSignTypeConflict, "says HMAC-SHA256"},
      {"sign_type says MD5, sign is HMAC", with(hmac, "sign_type", "MD5"), kBoth, &kKey,
       SignCheck::kSignTypeConflict, "says MD5"},
      {"sign_type not a wire name", with(hmac, "sign_type", "hmac-sha256"), kBoth, &kKey,
       SignCheck::kSignTypeConflict, "neither MD5 nor HMAC-SHA256"},
      {"lowercase hex sign", with(md5, "sign", lower), kBoth, &kKey, SignCheck::kMalformedSign,
       "lowercase"},
      {"sign of 40 characters", with(md5, "sign", std::string(40, 'A')), kBoth, &kKey,
       SignCheck::kMalformedSign, "wrong length: 40"},
      {"truncated sign (31)", with(md5, "sign", md5.at("sign").substr(0, 31)), kBoth, &kKey,
       SignCheck::kMalformedSign, "wrong length: 31"},
      {"non-hex sign", with(md5, "sign", std::string(31, 'A') + "G"), kBoth, &kKey,
       SignCheck::kMalformedSign, "non-hex character at position 31"},
      {"nothing allowed", md5, {}, &kKey, SignCheck::kAlgorithmNotAllowed, "nothing"},
      {"empty key configured", md5, kBoth, nullptr, SignCheck::kMismatch, "no API key"},
  };
  const Secret empty_key;
  for (const auto& row : rows) {
    INFO(row.why);
    const VerifyResult v = verifySign(row.fields, row.allowed, row.key ? *row.key : empty_key);
    CHECK(v.check == row.expect);
    CHECK_FALSE(v.ok());
    CHECK(v.explanation.find(row.explanation_has) != std::string::npos);
    CHECK_FALSE(leaksKey(v.explanation, kKey));
    CHECK(v.explanation.find(stringToSign(row.fields)) == std::string::npos);
  }
  // The untampered originals do verify: the rows above fail for their own reason only.
  CHECK(verifySign(md5, kBoth, kKey).ok());
  CHECK(verifySign(hmac, kBoth, kKey).ok());
  CHECK(verifySign(other_key, kBoth, kOtherKey).ok());
}

TEST_CASE("Key rotation: the previous key is tried after the current one", "[signer]") {
  FieldMap old_signed = tv1Fields();
  signRequest(old_signed, SignType::kHmacSha256, kOtherKey);  // signed with the old key
  const VerifyResult without = verifySign(old_signed, kHmacOnly, kKey);
  CHECK(without.check == SignCheck::kMismatch);
  const VerifyResult with = verifySign(old_signed, kHmacOnly, kKey, &kOtherKey);
  CHECK(with.ok());
  CHECK(with.used_previous_key);
  CHECK(with.explanation.find("previous key") != std::string::npos);
  // The current key still wins first.
  FieldMap new_signed = tv1Fields();
  signRequest(new_signed, SignType::kHmacSha256, kKey);
  const VerifyResult current = verifySign(new_signed, kHmacOnly, kKey, &kOtherKey);
  CHECK(current.ok());
  CHECK_FALSE(current.used_previous_key);
  // Both keys tried and both wrong: says so, leaks neither.
  const Secret third{"0123456789abcdef0123456789abcdef"};
  const VerifyResult neither = verifySign(new_signed, kHmacOnly, third, &kOtherKey);
  CHECK(neither.check == SignCheck::kMismatch);
  CHECK(neither.explanation.find("current key or the previous key") != std::string::npos);
  CHECK_FALSE(leaksKey(neither.explanation, third));
  CHECK_FALSE(leaksKey(neither.explanation, kOtherKey));
}

TEST_CASE("constantTimeEquals", "[signer]") {
  CHECK(constantTimeEquals("ABC", "ABC"));
  CHECK_FALSE(constantTimeEquals("ABC", "ABD"));
  CHECK_FALSE(constantTimeEquals("ABC", "ABCD"));
  CHECK(constantTimeEquals("", ""));
  CHECK_FALSE(constantTimeEquals(std::string("A\0B", 3), std::string("A\0C", 3)));
}

TEST_CASE("signCheckName names every outcome", "[signer]") {
  CHECK(std::string(signCheckName(SignCheck::kValid)) == "valid");
  CHECK(std::string(signCheckName(SignCheck::kMissingSign)) == "missing_sign");
  CHECK(std::string(signCheckName(SignCheck::kMalformedSign)) == "malformed_sign");
  CHECK(std::string(signCheckName(SignCheck::kAlgorithmNotAllowed)) == "algorithm_not_allowed");
  CHECK(std::string(signCheckName(SignCheck::kSignTypeConflict)) == "sign_type_conflict");
  CHECK(std::string(signCheckName(SignCheck::kMismatch)) == "mismatch");
}
