// XML codec: accepted shapes, the hostile corpus of RELIABILITY.md T9 (each row rejected for its
// own reason, quickly), and the writer's byte-exact round trip.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "wechat/xml_codec.h"

using namespace wx;

namespace {

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string manyFields(std::size_t n) {
  std::string s = "<xml>";
  for (std::size_t i = 0; i < n; ++i) {
    s += "<f" + std::to_string(i) + ">v</f" + std::to_string(i) + ">";
  }
  return s + "</xml>";
}

// A safety bound, not a benchmark: ≥ 30× the time a release build takes on a 4 MiB body.
// Builds with AddressSanitizer (Debug) or ThreadSanitizer run ~10× slower, so the bound grows
// with them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double kParseBoundSeconds = 10.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr double kParseBoundSeconds = 10.0;
#else
constexpr double kParseBoundSeconds = 1.0;
#endif
#else
constexpr double kParseBoundSeconds = 1.0;
#endif

double secondsToParse(const std::string& body, const XmlLimits& limits, XmlParseResult* out) {
  const auto t0 = std::chrono::steady_clock::now();
  *out = parseXmlFields(body, limits);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("Official notification sample parses into one flat map", "[xml]") {
  const std::string body =
      "<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid>\n"
      "<attach><![CDATA[支付测试]]></attach>\n"
      "<bank_type><![CDATA[CFT]]></bank_type>\n"
      "<fee_type><![CDATA[CNY]]></fee_type>\n"
      "<is_subscribe><![CDATA[Y]]></is_subscribe>\n"
      "<mch_id><![CDATA[10000100]]></mch_id>\n"
      "<nonce_str><![CDATA[5d2b6c2a8db53831f7eda20af46e531c]]></nonce_str>\n"
      "<openid><![CDATA[oUpF8uMEb4qRXf22hE3X68TekukE]]></openid>\n"
      "<out_trade_no><![CDATA[1409811653]]></out_trade_no>\n"
      "<result_code><![CDATA[SUCCESS]]></result_code>\n"
      "<return_code><![CDATA[SUCCESS]]></return_code>\n"
      "<sign><![CDATA[B552ED6B279343CB493C5DD0D78AB241]]></sign>\n"
      "<time_end><![CDATA[20140903131540]]></time_end>\n"
      "<total_fee>1</total_fee>\n"
      "<coupon_fee><![CDATA[10]]></coupon_fee>\n"
      "<coupon_count><![CDATA[1]]></coupon_count>\n"
      "<coupon_type><![CDATA[CASH]]></coupon_type>\n"
      "<coupon_id><![CDATA[10000]]></coupon_id>\n"
      "<trade_type><![CDATA[JSAPI]]></trade_type>\n"
      "<transaction_id><![CDATA[1004400740201409030005092168]]></transaction_id>\n"
      "</xml>";
  const XmlParseResult r = parseXmlFields(body);
  REQUIRE(r.ok());
  CHECK(r.error.empty());
  CHECK(r.fields.size() == 20);
  CHECK(r.fields.at("attach") == "支付测试");
  CHECK(r.fields.at("total_fee") == "1");
  CHECK(r.fields.at("out_trade_no") == "1409811653");
}

TEST_CASE("Accepted shapes and their values", "[xml]") {
  struct Row {
    const char* why;
    std::string body;
    FieldMap expect;
  };
  const std::vector<Row> rows = {
      {"empty element forms",
       "<xml><a/><b></b><c><![CDATA[]]></c><d /></xml>",
       {{"a", ""}, {"b", ""}, {"c", ""}, {"d", ""}}},
      {"predefined entities", "<xml><a>&amp;&lt;&gt;&quot;&apos;</a></xml>", {{"a", "&<>\"'"}}},
      {"numeric references",
       "<xml><a>&#65;&#x42;&#x4e2d;&#128512;&#0065;</a></xml>",
       {{"a", "AB中😀A"}}},
      {"CDATA and text mixed",
       "<xml><a>x<![CDATA[<y>&amp;]]>z&amp;</a></xml>",
       {{"a", "x<y>&amp;z&"}}},
      {"split CDATA carries ]]>",
       "<xml><a><![CDATA[a]]]]><![CDATA[>b]]]></a></xml>",
       {{"a", "a]]>b]"}}},
      {"whitespace inside a field is kept", "<xml><a>  1 \t</a></xml>", {{"a", "  1 \t"}}},
      {"CRLF and CR become LF",
       "<xml><a>1\r\n2\r3</a><b><![CDATA[x\r\ny]]></b></xml>",
       {{"a", "1\n2\n3"}, {"b", "x\ny"}}},
      {"&#13; survives as CR", "<xml><a>1&#13;&#10;2</a></xml>", {{"a", "1\r\n2"}}},
      {"declaration variants",
       "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<xml ><a>1</a ></xml>\n\n",
       {{"a", "1"}}},
      {"CJK field name and emoji", "<xml><名称>😀</名称></xml>", {{"名称", "😀"}}},
      {"empty root", "<xml></xml>", {}},
      {"self-closed root", "<xml/>", {}},
      {"'>' and ']' in text", "<xml><a>a>b]c]]d</a></xml>", {{"a", "a>b]c]]d"}}},
      {"field named xml", "<xml><xml>1</xml></xml>", {{"xml", "1"}}},
  };
  for (const auto& row : rows) {
    INFO(row.why);
    const XmlParseResult r = parseXmlFields(row.body);
    INFO(r.error);
    REQUIRE(r.ok());
    CHECK(r.fields == row.expect);
  }
}

TEST_CASE("Hostile corpus: every body rejected for its reason (T9)", "[xml]") {
  struct Row {
    const char* why;
    std::string body;
    XmlReject expect;
    const char* error_has;
  };
  const std::string sample = "<xml><appid>wx1</appid><total_fee>1</total_fee></xml>";
  // A cap large enough for the 10k-deep bodies, so each row fails for its structural reason.
  XmlLimits limits;
  limits.max_body_bytes = 1u << 20;
  const std::vector<Row> rows = {
      // XXE and entity expansion: all need a DOCTYPE, which is refused outright.
      {"XXE file",
       "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
       "<xml><attach>&xxe;</attach></xml>",
       XmlReject::kDoctype, "offset 21"},
      {"XXE http to loopback",
       "<!DOCTYPE xml [<!ENTITY x SYSTEM \"http://127.0.0.1:9/steal\">]><xml><a>&x;</a></xml>",
       XmlReject::kDoctype, "DOCTYPE"},
      {"external DTD", "<!DOCTYPE xml SYSTEM \"http://127.0.0.1:9/evil.dtd\"><xml></xml>",
       XmlReject::kDoctype, "DOCTYPE"},
      {"parameter entities",
       "<!DOCTYPE xml [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/p.dtd\"> %p;]><xml/>",
       XmlReject::kDoctype, "DOCTYPE"},
      {"billion laughs",
       "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;\">"
       "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;\">]><xml><a>&lol3;</a></xml>",
       XmlReject::kDoctype, "DOCTYPE"},
      {"quadratic blowup",
       "<!DOCTYPE xml [<!ENTITY a \"" + std::string(20000, 'a') + "\">]><xml><b>" +
           repeat("&a;", 10000) + "</b></xml>",
       XmlReject::kDoctype, "DOCTYPE"},
      {"lowercase doctype", "<!doctype xml><xml/>", XmlReject::kDoctype, "DOCTYPE"},
      {"ENTITY without DOCTYPE", "<xml><a>1</a></xml><!ENTITY x \"y\">", XmlReject::kDoctype,
       "ENTITY"},
      {"DOCTYPE text inside CDATA", "<xml><a><![CDATA[<!DOCTYPE x>]]></a></xml>",
       XmlReject::kDoctype, "DOCTYPE"},
      {"undeclared entity", "<xml><attach>&xxe;</attach></xml>", XmlReject::kEntity, "attach"},
      {"HTML entity", "<xml><a>&nbsp;</a></xml>", XmlReject::kEntity, "&nbsp;"},
      {"long custom entity without ';'", "<xml><a>&averyveryverylongname</a></xml>",
       XmlReject::kEntity, "entity"},
      // Structure.
      {"deep nesting 10k inside a field",
       "<xml><a>" + repeat("<a>", 10000) + repeat("</a>", 10000) + "</a></xml>", XmlReject::kNested,
       "nested inside field 'a'"},
      {"deep nesting 10k as the document", repeat("<a>", 10000) + repeat("</a>", 10000),
       XmlReject::kBadRoot, "root element is 'a'"},
      {"nested element", "<xml><a><b>1</b></a></xml>", XmlReject::kNested, "'a'"},
      {"duplicate key", "<xml><total_fee>1</total_fee><total_fee>100</total_fee></xml>",
       XmlReject::kDuplicateField, "'total_fee'"},
      {"duplicate sign", "<xml><a>1</a><sign>A</sign><sign>B</sign></xml>",
       XmlReject::kDuplicateField, "'sign' at offset 27"},
      {"attribute on field", "<xml><a b=\"1\">x</a></xml>", XmlReject::kAttribute, "'a'"},
      {"attribute on root", "<xml lang=\"zh\"><a>1</a></xml>", XmlReject::kAttribute, "'xml'"},
      {"namespace declaration", "<xml xmlns:x=\"urn:x\"></xml>", XmlReject::kAttribute, "xml"},
      {"wrong root", "<root><a>1</a></root>", XmlReject::kBadRoot, "'root'"},
      {"XML in upper case", "<XML><a>1</a></XML>", XmlReject::kBadRoot, "'XML'"},
      {"two roots", sample + sample, XmlReject::kBadRoot, "after </xml>"},
      {"trailing text", sample + "x", XmlReject::kBadRoot, "after </xml>"},
      {"trailing comment", sample + "<!-- c -->", XmlReject::kBadRoot, "after </xml>"},
      {"text before root", "x" + sample, XmlReject::kBadRoot, "before the root"},
      {"text between fields", "<xml><a>1</a>junk<b>2</b></xml>", XmlReject::kTextOutsideField,
       "offset 13"},
      {"entity between fields", "<xml>&amp;<a>1</a></xml>", XmlReject::kTextOutsideField,
       "offset 5"},
      {"CDATA between fields", "<xml><![CDATA[x]]><a>1</a></xml>", XmlReject::kTextOutsideField,
       "CDATA"},
      // Encoding.
      {"overlong '<'", "<xml><a>\xC0\xBC</a></xml>", XmlReject::kInvalidUtf8, "overlong"},
      {"overlong 3-byte", "<xml><a>\xE0\x80\xBC</a></xml>", XmlReject::kInvalidUtf8, "overlong"},
      {"surrogate", "<xml><a>\xED\xA0\x80</a></xml>", XmlReject::kInvalidUtf8, "surrogate"},
      {"beyond U+10FFFF", "<xml><a>\xF4\x90\x80\x80</a></xml>", XmlReject::kInvalidUtf8,
       "beyond U+10FFFF"},
      {"F5 lead byte", "<xml><a>\xF5\x80\x80\x80</a></xml>", XmlReject::kInvalidUtf8,
       "beyond U+10FFFF"},
      {"lone continuation", "<xml><a>\x80</a></xml>", XmlReject::kInvalidUtf8, "offset 8"},
      {"truncated sequence", "<xml><a>1</a></xml>\xE4\xB8", XmlReject::kInvalidUtf8, "truncated"},
      {"Latin-1 byte", "<xml><a>caf\xE9</a></xml>", XmlReject::kInvalidUtf8, "offset 11"},
      {"NUL byte", std::string("<xml><a>1\0</a></xml>", 20), XmlReject::kInvalidUtf8, "control"},
      {"control char", "<xml><a>\x01</a></xml>", XmlReject::kInvalidUtf8, "control"},
      {"U+FFFE", "<xml><a>\xEF\xBF\xBE</a></xml>", XmlReject::kInvalidUtf8, "U+FFFE"},
      {"&#0;", "<xml><a>&#0;</a></xml>", XmlReject::kMalformed, "not an XML character"},
      {"&#xD800;", "<xml><a>&#xD800;</a></xml>", XmlReject::kMalformed, "not an XML character"},
      {"&#x110000;", "<xml><a>&#x110000;</a></xml>", XmlReject::kMalformed, "not an XML"},
      {"GBK declared", "<?xml version=\"1.0\" encoding=\"GBK\"?><xml/>", XmlReject::kMalformed,
       "not UTF-8"},
      {"BOM", "\xEF\xBB\xBF" + sample, XmlReject::kMalformed, "byte order mark"},
      // Size: checked before anything else.
      {"oversize body", "<xml><a>" + std::string(limits.max_body_bytes, 'x') + "</a></xml>",
       XmlReject::kTooLarge, "exceeds the cap"},
      // Malformed and truncated.
      {"empty body", "", XmlReject::kMalformed, "empty"},
      {"whitespace only", " \n ", XmlReject::kMalformed, "no root"},
      {"truncated in field", "<xml><a>1", XmlReject::kMalformed, "truncated"},
      {"truncated in tag", "<xml><a", XmlReject::kMalformed, "truncated"},
      {"truncated CDATA", "<xml><a><![CDATA[1</a></xml>", XmlReject::kMalformed, "CDATA"},
      {"truncated before </xml>", "<xml><a>1</a>", XmlReject::kMalformed, "truncated"},
      {"truncated end tag", "<xml><a>1</a", XmlReject::kMalformed, "truncated"},
      {"mismatched end tag", "<xml><a>1</b></xml>", XmlReject::kMalformed, "does not close 'a'"},
      {"bare ampersand", "<xml><a>a & b</a></xml>", XmlReject::kMalformed, "'&'"},
      {"raw '<' in text", "<xml><a>1 < 2</a></xml>", XmlReject::kMalformed, "'<'"},
      {"]]> in text", "<xml><a>a]]>b</a></xml>", XmlReject::kMalformed, "]]>"},
      {"comment in field", "<xml><a><!-- x -->1</a></xml>", XmlReject::kMalformed, "comment"},
      {"processing instruction", "<xml><?php echo 1; ?><a>1</a></xml>", XmlReject::kMalformed,
       "processing instruction"},
      {"declaration not first", " <?xml version=\"1.0\"?><xml/>", XmlReject::kMalformed,
       "processing instruction"},
      {"declaration without version", "<?xml encoding=\"UTF-8\"?><xml/>", XmlReject::kMalformed,
       "declaration"},
      {"capital X in a hex reference", "<xml><a>&#X43;</a></xml>", XmlReject::kMalformed,
       "not an XML character"},
      {"empty character reference", "<xml><a>&#;</a></xml>", XmlReject::kMalformed, "character"},
      {"empty name reference", "<xml><a>&;</a></xml>", XmlReject::kMalformed, "reference"},
  };
  for (const auto& row : rows) {
    INFO(row.why);
    XmlParseResult r;
    const double s = secondsToParse(row.body, limits, &r);
    CHECK(r.reject == row.expect);
    CHECK_FALSE(r.ok());
    CHECK(r.fields.empty());
    INFO(r.error);
    CHECK(r.error.find(row.error_has) != std::string::npos);
    CHECK(s < kParseBoundSeconds);
  }
}

TEST_CASE("Size and field-count caps", "[xml]") {
  XmlLimits limits;
  limits.max_body_bytes = 64;
  const std::string at_cap = "<xml><a>" + std::string(64 - 18, 'x') + "</a></xml>";
  REQUIRE(at_cap.size() == 64);
  CHECK(parseXmlFields(at_cap, limits).ok());
  // One byte over: rejected before anything else, even a DOCTYPE further in.
  const XmlParseResult over = parseXmlFields(at_cap + " ", limits);
  CHECK(over.reject == XmlReject::kTooLarge);
  CHECK(over.error.find("65 bytes") != std::string::npos);
  const std::string hostile_big = "<!DOCTYPE x>" + std::string(100, '\xFF');
  CHECK(parseXmlFields(hostile_big, limits).reject == XmlReject::kTooLarge);
  // The default cap is notify.max_body_bytes' default.
  CHECK(parseXmlFields("<xml><a>" + std::string(65536, 'x') + "</a></xml>").reject ==
        XmlReject::kTooLarge);

  XmlLimits few;
  few.max_fields = 3;
  CHECK(parseXmlFields("<xml><a/><b/><c/></xml>", few).ok());
  const XmlParseResult many = parseXmlFields("<xml><a/><b/><c/><d/></xml>", few);
  CHECK(many.reject == XmlReject::kTooManyFields);
  CHECK(many.error.find("more than 3 fields") != std::string::npos);
}

TEST_CASE("Worst-case bodies parse in linear time", "[xml]") {
  // With a 4 MiB cap, shapes that make naive parsers quadratic stay fast.
  XmlLimits big;
  big.max_body_bytes = 4u << 20;
  big.max_fields = 1u << 20;
  const std::size_t n = 200000;
  struct Row {
    const char* why;
    std::string body;
    bool ok;
  };
  const std::vector<Row> rows = {
      {"many fields", manyFields(n / 2), true},
      {"many entities", "<xml><a>" + repeat("&amp;", n) + "</a></xml>", true},
      {"many CDATA sections", "<xml><a>" + repeat("<![CDATA[x]]>", n) + "</a></xml>", true},
      {"many ]", "<xml><a>" + repeat("]", 3 * n) + "</a></xml>", true},
      {"many '<!' without DOCTYPE", "<xml><a><![CDATA[" + repeat("<!", n) + "]]></a></xml>", true},
      {"many unterminated CDATA openers", "<xml><a>" + repeat("<![CDATA[", n), false},
      {"many '&' with no ';'", "<xml><a>" + repeat("&", n) + "</a></xml>", false},
      {"many duplicate fields", "<xml>" + repeat("<a>1</a>", n) + "</xml>", false},
      {"deep nesting", "<xml><a>" + repeat("<a>", n), false},
  };
  for (const auto& row : rows) {
    INFO(row.why);
    REQUIRE(row.body.size() <= big.max_body_bytes);
    XmlParseResult r;
    const double s = secondsToParse(row.body, big, &r);
    CHECK(r.ok() == row.ok);
    CHECK(s < kParseBoundSeconds);
  }
}

TEST_CASE("Writer round-trips values byte for byte", "[xml]") {
  const std::vector<std::string> values = {"",
                                           "plain",
                                           "]]>",
                                           "]]]>",
                                           "a]]>b]]>c",
                                           "]]",
                                           "]",
                                           ">",
                                           "]>",
                                           "<![CDATA[x]]>",
                                           "\r",
                                           "\r\n",
                                           "a\rb\r\nc\n",
                                           "&amp;<>\"'",
                                           "订单额外描述",
                                           "😀🎉",
                                           " lead and trail ",
                                           "\t\n"};
  FieldMap fields;
  int i = 0;
  for (const auto& v : values) fields["f" + std::to_string(i++)] = v;
  fields["sign"] = "9A0A8659F005D6984697E2CA0A9CF3B7";
  const std::string xml = writeXmlFields(fields);
  CHECK(xml.rfind("<xml><f0></f0><f1><![CDATA[plain]]></f1>", 0) == 0);
  const XmlParseResult back = parseXmlFields(xml);
  REQUIRE(back.ok());
  CHECK(back.fields == fields);
  // And the acknowledgement WeChat expects, byte for byte (WECHATPAY_V2.md §4).
  CHECK(writeXmlFields({{"return_code", "SUCCESS"}, {"return_msg", "OK"}}) ==
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></"
        "return_msg></xml>");
}

TEST_CASE("xmlRejectName gives a distinct name per reason", "[xml]") {
  std::vector<std::string> names;
  for (int r = 0; r <= static_cast<int>(XmlReject::kMalformed); ++r) {
    names.push_back(xmlRejectName(static_cast<XmlReject>(r)));
  }
  CHECK(names.front() == "none");
  CHECK(std::string(xmlRejectName(XmlReject::kDoctype)) == "doctype");
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
}
