#include <catch2/catch.hpp>

#include "service/notification_verifier.h"
#include "wechat/signer.h"

using namespace wx;

namespace {

const Secret kKey("Kq7mWz3RbT9xLp2VnC8dHs4FgJ6yAe1U");
const Secret kOld("Pz4nXq8LwR2mTb6VcK9sHd3JfG7yUa5E");

std::vector<MerchantConfig> merchants() {
  MerchantConfig m;
  m.mch_id = "10000100";
  m.appids = {"wx2421b1c4370ec43b"};
  m.api_key = kKey;
  m.previous_api_key = kOld;
  m.sign_type = SignType::kMd5;
  m.notify_sign_types = {SignType::kMd5};
  return {m};
}

FieldMap fields() {
  return {{"appid", "wx2421b1c4370ec43b"}, {"mch_id", "10000100"}, {"nonce_str", "abc"},
          {"result_code", "SUCCESS"},      {"return_code", "SUCCESS"}, {"total_fee", "101"},
          {"transaction_id", "4200000001"}, {"out_trade_no", "ORD-1"},
          {"time_end", "20240501083541"},   {"attach", "<&\"商品\">"}};
}

std::string body(FieldMap f, SignType t = SignType::kMd5, const Secret& key = kKey) {
  f["sign"] = computeSign(f, t, key);
  return writeXmlFields(f);
}

}  // namespace

TEST_CASE("notifications are re-verified from their raw bytes", "[notify][verifier]") {
  const auto ms = merchants();
  auto ok = verifyNotification(body(fields()), ms);
  CHECK(ok.verdict == NotificationVerdict::kAccepted);
  CHECK(ok.sign_ok);
  CHECK(*ok.total_fee == 101);
  CHECK(*ok.time_end == *parseUtcSql("2024-05-01 00:35:41"));
  CHECK(ok.fact().transaction_id == "4200000001");

  struct Case {
    std::string body;
    NotificationVerdict verdict;
    const char* why;
  };
  FieldMap tampered_src = fields();
  std::string tampered = body(tampered_src);
  tampered.replace(tampered.find("<total_fee><![CDATA[101]]>"), 26, "<total_fee><![CDATA[1]]>");
  FieldMap other_mch = fields();
  other_mch["mch_id"] = "10000999";
  FieldMap other_app = fields();
  other_app["appid"] = "wxother";
  FieldMap fail = fields();
  fail["result_code"] = "FAIL";
  FieldMap no_txn = fields();
  no_txn.erase("transaction_id");
  const Case cases[] = {
      {tampered, NotificationVerdict::kBadSignature, "a field changed after signing"},
      {body(fields(), SignType::kHmacSha256), NotificationVerdict::kBadSignature,
       "HMAC when only MD5 is configured: never accepted (no downgrade or swap)"},
      {body(fields(), SignType::kMd5, Secret("Zz9yXx8WwVv7UuTt6SsRr5QqPp4OoNn3")),
       NotificationVerdict::kBadSignature, "another merchant's key"},
      {body(other_mch), NotificationVerdict::kBadSignature, "unknown merchant"},
      {body(other_app), NotificationVerdict::kBadSignature, "appid not bound to the mch_id"},
      {writeXmlFields(fields()), NotificationVerdict::kBadSignature, "no sign at all"},
      {"<xml><a>1</a><a>2</a></xml>", NotificationVerdict::kMalformed, "duplicate field"},
      {"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><a>&e;</a></xml>",
       NotificationVerdict::kMalformed, "XXE"},
      {"not xml", NotificationVerdict::kMalformed, "garbage"},
      {body(fail), NotificationVerdict::kMalformed, "not a successful payment"},
      {body(no_txn), NotificationVerdict::kMalformed, "no transaction_id"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto v = verifyNotification(c.body, ms);
    CHECK(v.verdict == c.verdict);
    CHECK_FALSE(v.reason.empty());
    CHECK(v.reason.find(kKey.reveal()) == std::string::npos);
  }
  // Key rotation: the previous key still verifies.
  auto old = verifyNotification(body(fields(), SignType::kMd5, kOld), ms);
  CHECK(old.verdict == NotificationVerdict::kAccepted);
  CHECK(old.used_previous_key);
}

TEST_CASE("order-level checks of an accepted notification", "[notify][verifier]") {
  auto n = verifyNotification(body(fields()), merchants());
  Order o;
  o.mch_id = "10000100";
  o.appid = "wx2421b1c4370ec43b";
  o.total_fee = 101;
  CHECK(checkAgainstOrder(n, o) == NotificationVerdict::kAccepted);
  o.total_fee = 100;
  CHECK(checkAgainstOrder(n, o) == NotificationVerdict::kAmountMismatch);
  o.total_fee = 101;
  o.appid = "wxd930ea5d5a258f4f";
  CHECK(checkAgainstOrder(n, o) == NotificationVerdict::kBadSignature);
}
