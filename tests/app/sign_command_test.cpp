// `wxrecon sign` run in-process through runCli with string streams (DESIGN.md §1).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"

namespace {

const char* const kVar = "WXRECON_SIGN_TEST_KEY";
const std::string kKey = "192006250b4c09247ec02edce69f6a2d";  // WECHATPAY_V2.md TV1 key
const std::string kTv1Lines =
    "appid=wxd930ea5d5a258f4f\nmch_id=10000100\ndevice_info=1000\nbody=test\n"
    "nonce_str=ibuaiVcKdpRxkhJA\n";
const std::string kTv1Md5 = "9A0A8659F005D6984697E2CA0A9CF3B7";
const std::string kTv1Hmac = "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6";

struct Run {
  int code;
  std::string out;
  std::string err;
  bool leaks(const std::string& key) const {
    for (std::size_t i = 0; i + 12 <= key.size(); ++i) {
      const std::string frag = key.substr(i, 12);
      if (out.find(frag) != std::string::npos || err.find(frag) != std::string::npos) return true;
    }
    return false;
  }
};

Run sign(const std::vector<std::string>& flags, const std::string& input) {
  std::vector<const char*> argv = {"wxrecon", "sign"};
  for (const auto& f : flags) argv.push_back(f.c_str());
  std::istringstream in(input);
  std::ostringstream out, err;
  const int code = wx::runCli(static_cast<int>(argv.size()), argv.data(), in, out, err);
  return {code, out.str(), err.str()};
}

void setKey(const std::string& key) { ::setenv(kVar, key.c_str(), 1); }

}  // namespace

TEST_CASE("sign prints the TV1/TV2 signs of key=value lines", "[sign_command]") {
  setKey(kKey);
  Run md5 = sign({"--key-env", kVar}, kTv1Lines);
  CHECK(md5.code == 0);
  CHECK(md5.out == kTv1Md5 + "\n");
  CHECK_FALSE(md5.leaks(kKey));

  Run hmac = sign({"--key-env", kVar, "--sign-type", "HMAC-SHA256"}, kTv1Lines);
  CHECK(hmac.code == 0);
  CHECK(hmac.out == kTv1Hmac + "\n");

  // TV3: an empty value is not signed; CRLF lines and blank lines are tolerated.
  Run tv3 = sign({"--key-env=" + std::string(kVar)},
                 "appid=wxd930ea5d5a258f4f\r\nattach=\r\n\r\nmch_id=10000100\ndevice_info=1000\n"
                 "body=test\nnonce_str=ibuaiVcKdpRxkhJA");
  CHECK(tv3.code == 0);
  CHECK(tv3.out == kTv1Md5 + "\n");
}

TEST_CASE("sign --show-string masks the key and never prints it", "[sign_command]") {
  setKey(kKey);
  for (const char* type : {"MD5", "HMAC-SHA256"}) {
    INFO(type);
    Run r = sign({"--key-env", kVar, "--sign-type", type, "--show-string"}, kTv1Lines);
    CHECK(r.code == 0);
    const std::string expected_sign = std::string(type) == "MD5" ? kTv1Md5 : kTv1Hmac;
    CHECK(r.out ==
          "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str="
          "ibuaiVcKdpRxkhJA&key=***\n" +
              expected_sign + "\n");
    CHECK_FALSE(r.leaks(kKey));
  }
}

TEST_CASE("sign --xml signs a body's fields, ignoring its sign", "[sign_command]") {
  setKey(kKey);
  const std::string body =
      "<xml><appid><![CDATA[wxd930ea5d5a258f4f]]></appid><mch_id>10000100</mch_id>"
      "<device_info>1000</device_info><body>test</body><nonce_str>ibuaiVcKdpRxkhJA</nonce_str>"
      "<sign>0000</sign></xml>";
  Run r = sign({"--key-env", kVar, "--xml"}, body);
  CHECK(r.code == 0);
  CHECK(r.out == kTv1Md5 + "\n");
}

TEST_CASE("sign --verify exits 0 when valid and 1 with the reason when not", "[sign_command]") {
  setKey(kKey);
  auto body = [](const std::string& sign, const std::string& extra = "") {
    return "<xml><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id>"
           "<device_info>1000</device_info><body>test</body>"
           "<nonce_str>ibuaiVcKdpRxkhJA</nonce_str>" +
           extra + "<sign>" + sign + "</sign></xml>";
  };
  struct Row {
    const char* why;
    std::vector<std::string> flags;
    std::string input;
    int code;
    const char* out_has;
  };
  const std::vector<Row> rows = {
      {"valid MD5", {"--xml"}, body(kTv1Md5), 0, "valid: valid MD5 sign"},
      {"valid HMAC (form decides when no --sign-type)",
       {"--xml"},
       body(kTv1Hmac),
       0,
       "valid: valid HMAC-SHA256 sign"},
      {"valid key=value lines", {}, kTv1Lines + "sign=" + kTv1Md5 + "\n", 0, "valid"},
      {"tampered field",
       {"--xml"},
       body(kTv1Md5, "<total_fee>100</total_fee>"),
       1,
       "invalid (mismatch): MD5 sign does not match"},
      {"MD5 sign but --sign-type HMAC-SHA256",
       {"--xml", "--sign-type", "HMAC-SHA256"},
       body(kTv1Md5),
       1,
       "invalid (algorithm_not_allowed)"},
      {"wrong length", {"--xml"}, body(kTv1Md5.substr(0, 30)), 1, "wrong length: 30"},
      {"lowercase", {"--xml"}, body("9a0a8659f005d6984697e2ca0a9cf3b7"), 1, "lowercase"},
      {"no sign", {"--xml"}, "<xml><a>1</a></xml>", 1, "invalid (missing_sign)"},
      {"sign_type contradicts",
       {"--xml"},
       body(kTv1Md5, "<sign_type>HMAC-SHA256</sign_type>"),
       1,
       "invalid (sign_type_conflict)"},
      {"XML rejected", {"--xml"}, "<!DOCTYPE x><xml/>", 1, "invalid: XML rejected (doctype)"},
  };
  for (const auto& row : rows) {
    INFO(row.why);
    std::vector<std::string> flags = {"--key-env", kVar, "--verify"};
    flags.insert(flags.end(), row.flags.begin(), row.flags.end());
    Run r = sign(flags, row.input);
    INFO(r.out + r.err);
    CHECK(r.code == row.code);
    CHECK(r.out.find(row.out_has) != std::string::npos);
    CHECK_FALSE(r.leaks(kKey));
  }
  // With --show-string the verify output shows the masked string and still not the key.
  Run shown = sign({"--key-env", kVar, "--verify", "--xml", "--show-string"}, body(kTv1Md5));
  CHECK(shown.code == 0);
  CHECK(shown.out.find("&key=***\n") != std::string::npos);
  CHECK_FALSE(shown.leaks(kKey));
}

TEST_CASE("sign usage errors exit 2 with a clear message", "[sign_command]") {
  setKey(kKey);
  Run no_flag = sign({}, kTv1Lines);
  CHECK(no_flag.code == 2);
  CHECK(no_flag.err.find("--key-env VAR is required") != std::string::npos);
  CHECK(no_flag.out.empty());

  ::unsetenv("WXRECON_SIGN_TEST_UNSET");
  Run unset = sign({"--key-env", "WXRECON_SIGN_TEST_UNSET"}, kTv1Lines);
  CHECK(unset.code == 2);
  CHECK(unset.err.find("WXRECON_SIGN_TEST_UNSET is not set") != std::string::npos);

  ::setenv("WXRECON_SIGN_TEST_EMPTY", "", 1);
  Run empty = sign({"--key-env", "WXRECON_SIGN_TEST_EMPTY"}, kTv1Lines);
  CHECK(empty.code == 2);
  CHECK(empty.err.find("is empty") != std::string::npos);

  Run bad_type = sign({"--key-env", kVar, "--sign-type", "SHA1"}, kTv1Lines);
  CHECK(bad_type.code == 2);
  CHECK(bad_type.err.find("MD5 or HMAC-SHA256") != std::string::npos);

  Run bad_line = sign({"--key-env", kVar}, "appid=wx1\nthis line has no equals\n");
  CHECK(bad_line.code == 2);
  CHECK(bad_line.err.find("line 2") != std::string::npos);

  Run dup = sign({"--key-env", kVar}, "a=1\na=2\n");
  CHECK(dup.code == 2);
  CHECK(dup.err.find("'a' given twice") != std::string::npos);

  Run bad_xml = sign({"--key-env", kVar, "--xml"}, "<root/>");
  CHECK(bad_xml.code == 1);
  CHECK(bad_xml.err.find("bad_root") != std::string::npos);

  for (const Run& r : {no_flag, unset, empty, bad_type, bad_line, dup, bad_xml}) {
    CHECK_FALSE(r.leaks(kKey));
  }
}
