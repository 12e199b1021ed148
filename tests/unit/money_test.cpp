#include <catch2/catch.hpp>

#include "common/money.h"

using namespace wx;

TEST_CASE("parseYuan converts exact yuan strings to fen", "[money]") {
  struct Case {
    const char* text;
    Fen fen;
    const char* why;
  };
  const Case cases[] = {
      {"0.01", 1, "smallest amount"},
      {"6.00", 600, "two decimals"},
      {"12", 1200, "no decimals"},
      {"12.5", 1250, "one decimal"},
      {"-0.01", -1, "refund rows are negative in some reports"},
      {"0.00", 0, "zero"},
      {"92233720368547758.07", 9223372036854775807LL, "INT64_MAX fen"},
      {"19.99", 1999, "classic double trap: 19.99*100 = 1998.9999"},
      {"0.29", 29, "0.29*100 = 28.999999999999996 in double"},
  };
  for (const auto& c : cases) {
    INFO(c.text << " — " << c.why);
    auto r = parseYuan(c.text);
    REQUIRE(r.isOk());
    CHECK(*r == c.fen);
  }
}

TEST_CASE("parseYuan rejects what is not an exact yuan amount, naming why", "[money]") {
  struct Case {
    const char* text;
    const char* message_part;
  };
  const Case cases[] = {
      {"1,000.00", "thousands separator"}, {"", "empty"},
      {"1.234", "more than 2 decimals"},   {"+1.00", "not a digit"},
      {" 1.00", "not a digit"},            {"1.00 ", "not a digit"},
      {"1e3", "not a digit"},              {".5", "no integer part"},
      {"5.", "ends with '.'"},             {"-", "no integer part"},
      {"99999999999999999999", "too large"}, {"1.0.0", "not a digit"},
      {"¥1.00", "not a digit"},
  };
  for (const auto& c : cases) {
    INFO("input \"" << c.text << "\"");
    auto r = parseYuan(c.text);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains(c.message_part));
  }
}

TEST_CASE("formatYuan renders fen with two decimals", "[money]") {
  CHECK(formatYuan(0) == "0.00");
  CHECK(formatYuan(1) == "0.01");
  CHECK(formatYuan(-1) == "-0.01");
  CHECK(formatYuan(123456) == "1234.56");
  CHECK(formatYuan(-100) == "-1.00");
  CHECK(formatYuan(INT64_MIN) == "-92233720368547758.08");
}

TEST_CASE("fees keep five decimals exactly", "[money]") {
  auto f = parseFee("0.04000");
  REQUIRE(f.isOk());
  CHECK(f->units == 4000);
  CHECK(formatFee(*f) == "0.04000");
  auto neg = parseFee("-0.02000");
  REQUIRE(neg.isOk());
  CHECK(formatFee(*neg) == "-0.02000");
  auto sum = FeeAmount{f->units + neg->units};
  CHECK(formatFee(sum) == "0.02000");
  CHECK(formatFee(*parseFee("0.00001")) == "0.00001");
  CHECK_FALSE(parseFee("0.000001").isOk());
}

TEST_CASE("parseFenField accepts only unsigned integers", "[money]") {
  CHECK(*parseFenField("101") == 101);
  CHECK(*parseFenField("0") == 0);
  CHECK_FALSE(parseFenField("").isOk());
  CHECK_FALSE(parseFenField("-1").isOk());
  CHECK_FALSE(parseFenField("1.00").isOk());
  CHECK_FALSE(parseFenField(" 1").isOk());
  CHECK_FALSE(parseFenField("9999999999999999999").isOk());
}
