// FieldMap (wechat/xml_codec.h): the flat sorted vector behaves as the std::map it replaced —
// byte order of names (the signing order), first value kept, lookups of missing names — checked
// against a std::map fed the same operations; and the parser builds it from any field order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "wechat/xml_codec.h"

using namespace wx;

namespace {

using Reference = std::map<std::string, std::string>;

std::vector<std::pair<std::string, std::string>> contents(const FieldMap& m) {
  return {m.begin(), m.end()};
}
std::vector<std::pair<std::string, std::string>> contents(const Reference& m) {
  return {m.begin(), m.end()};
}

}  // namespace

TEST_CASE("FieldMap iterates in byte order of the names, whatever the insertion order",
          "[xml][field_map]") {
  // Prefixes, '_' (0x5F) between upper and lower case, digits, UTF-8 lead bytes (>= 0x80:
  // after ASCII, as unsigned bytes compare).
  const std::vector<std::string> names = {
      "sign", "sign_type", "a",  "ab",           "a_b", "B", "b",           "total_fee",
      "t0",   "t10",       "t9", "\xE5\x95\x86", "_",   "Z", "coupon_fee_0"};
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string> order = names;
    std::shuffle(order.begin(), order.end(), rng);
    FieldMap m;
    Reference ref;
    for (const auto& n : order) {
      m.emplace(n, "v" + n);
      ref.emplace(n, "v" + n);
    }
    INFO("round " << round);
    REQUIRE(contents(m) == contents(ref));
  }
}

TEST_CASE("FieldMap agrees with std::map over random operations", "[xml][field_map]") {
  std::mt19937 rng(11);
  const std::vector<std::string> names = {"appid",     "mch_id",    "nonce_str",    "sign",
                                          "sign_type", "total_fee", "out_trade_no", "a",
                                          "A",         "z"};
  FieldMap m;
  Reference ref;
  for (int step = 0; step < 5000; ++step) {
    const std::string& name = names[rng() % names.size()];
    const std::string value = std::to_string(step);
    switch (rng() % 5) {
      case 0:
        CHECK(m.emplace(name, value).second == ref.emplace(name, value).second);
        break;
      case 1:
        CHECK(m.insert({name, value}).second == ref.insert({name, value}).second);
        break;
      case 2:
        m[name] = value;
        ref[name] = value;
        break;
      case 3:
        CHECK(m.erase(name) == ref.erase(name));
        break;
      case 4:
        CHECK(m.count(name) == ref.count(name));
        CHECK((m.find(name) == m.end()) == (ref.find(name) == ref.end()));
        break;
    }
    REQUIRE(m.size() == ref.size());
    REQUIRE(contents(m) == contents(ref));
  }
}

TEST_CASE("FieldMap keeps the first value of a name given twice, as std::map", "[xml][field_map]") {
  FieldMap m{{"total_fee", "1"}, {"appid", "wx1"}, {"total_fee", "100"}};
  CHECK(m.size() == 2);
  CHECK(m.at("total_fee") == "1");
  const auto [it, inserted] = m.emplace("appid", "wx2");
  CHECK_FALSE(inserted);
  CHECK(it->second == "wx1");
  CHECK(m.at("appid") == "wx1");
  m["appid"] = "wx3";  // operator[] assigns
  CHECK(m.at("appid") == "wx3");
}

TEST_CASE("FieldMap lookups of a missing name", "[xml][field_map]") {
  FieldMap m{{"appid", "wx1"}, {"sign", "ABC"}};
  const FieldMap& c = m;
  CHECK(c.find("sign_type") == c.end());
  CHECK(c.find("") == c.end());
  CHECK(c.find("zzz") == c.end());  // after the last name
  CHECK(c.find("a") == c.end());    // before the first, a prefix of it
  CHECK(c.count("sign_type") == 0);
  CHECK(m.erase("sign_type") == 0);
  CHECK_THROWS_AS(c.at("sign_type"), std::out_of_range);
  CHECK_THROWS_WITH(m.at("sign_type"), Catch::Contains("'sign_type'"));
  CHECK(m.size() == 2);  // none of these inserted
  // operator[] inserts the missing name, empty, in its place.
  CHECK(m["mch_id"].empty());
  CHECK(contents(m) == contents(Reference{{"appid", "wx1"}, {"mch_id", ""}, {"sign", "ABC"}}));
  CHECK(FieldMap{}.find("a") == FieldMap{}.end());
  CHECK(FieldMap{}.empty());
}

TEST_CASE("FieldMap equality: same names and values, whatever the insertion order",
          "[xml][field_map]") {
  const FieldMap a{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  CHECK(a == FieldMap{{"c", "3"}, {"a", "1"}, {"b", "2"}});
  CHECK_FALSE(a != FieldMap{{"c", "3"}, {"a", "1"}, {"b", "2"}});
  CHECK(a != FieldMap{{"a", "1"}, {"b", "2"}, {"c", "4"}});  // a value differs
  CHECK(a != FieldMap{{"a", "1"}, {"b", "2"}, {"d", "3"}});  // a name differs
  CHECK(a != FieldMap{{"a", "1"}, {"b", "2"}});              // one fewer
  CHECK(a != FieldMap{});
  CHECK(FieldMap{} == FieldMap{});
}

TEST_CASE("The parser sorts fields in any order and rejects a duplicate wherever it is",
          "[xml][field_map]") {
  const auto r = parseXmlFields("<xml><sign>S</sign><b>2</b><a_b>3</a_b><a>1</a></xml>");
  REQUIRE(r.ok());
  CHECK(contents(r.fields) ==
        contents(Reference{{"a", "1"}, {"a_b", "3"}, {"b", "2"}, {"sign", "S"}}));
  CHECK(writeXmlFields(r.fields) ==
        "<xml><a><![CDATA[1]]></a><a_b><![CDATA[3]]></a_b><b><![CDATA[2]]></b>"
        "<sign><![CDATA[S]]></sign></xml>");

  struct Case {
    const char* why;
    std::string body;
    std::string error;
  };
  const Case cases[] = {
      {"duplicate of a field that sorts before the one parsed last",
       "<xml><b>1</b><c>2</c><b>3</b></xml>", "duplicate field 'b' at offset 21"},
      {"duplicate of the first field, out of order", "<xml><z>1</z><a>2</a><z>3</z></xml>",
       "duplicate field 'z' at offset 21"},
      {"adjacent duplicate, empty values", "<xml><a/><a></a></xml>",
       "duplicate field 'a' at offset 9"},
      // The first error in document order wins: the duplicate, not the later nesting.
      {"duplicate before a nested element", "<xml><a>1</a><a>2</a><b><c/></b></xml>",
       "duplicate field 'a' at offset 13"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    const auto d = parseXmlFields(c.body);
    CHECK(d.reject == XmlReject::kDuplicateField);
    CHECK(d.error == c.error);
    CHECK(d.fields.empty());
  }
}

TEST_CASE("FieldMap::assignUnique sorts once or names the first repeat", "[xml][field_map]") {
  using Fields = std::vector<FieldMap::value_type>;
  FieldMap m{{"old", "x"}};
  Fields sorted = {{"a", "1"}, {"b", "2"}};
  CHECK(m.assignUnique(sorted) == FieldMap::npos);
  CHECK(sorted.empty());
  CHECK(contents(m) == contents(Reference{{"a", "1"}, {"b", "2"}}));

  Fields unsorted = {{"c", "3"}, {"a", "1"}, {"b", "2"}};
  CHECK(m.assignUnique(unsorted) == FieldMap::npos);
  CHECK(contents(m) == contents(Reference{{"a", "1"}, {"b", "2"}, {"c", "3"}}));

  // "a" repeats at 3 and "b" at 4: the first repeat in the given order is 3, whatever the
  // names' order.
  Fields repeated = {{"b", "1"}, {"a", "2"}, {"c", "3"}, {"a", "4"}, {"b", "5"}};
  CHECK(m.assignUnique(repeated) == 3);
  CHECK(m.empty());
  CHECK(repeated.size() == 5);  // nothing taken
  Fields later_name_first = {{"a", "1"}, {"b", "2"}, {"b", "3"}, {"a", "4"}};
  CHECK(m.assignUnique(later_name_first) == 2);
  Fields adjacent = {{"a", "1"}, {"a", "2"}};
  CHECK(m.assignUnique(adjacent) == 1);
}

TEST_CASE("A duplicate before the field cap is still the reason", "[xml][field_map]") {
  // 300 fields, the third repeating the first: duplicate_field (found before the 257th field).
  std::string body = "<xml><f0>v</f0><f1>v</f1><f0>w</f0>";
  for (int i = 3; i < 300; ++i)
    body += "<g" + std::to_string(i) + ">v</g" + std::to_string(i) + ">";
  body += "</xml>";
  const auto r = parseXmlFields(body);
  CHECK(r.reject == XmlReject::kDuplicateField);
  CHECK(r.error == "duplicate field 'f0' at offset 25");
  CHECK(r.fields.empty());
}
