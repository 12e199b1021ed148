// notify-server pieces that need no sockets: the acknowledgements' exact bytes and the
// trusted-proxy CIDR match that decides whether X-Forwarded-For is believed.
#include <catch2/catch.hpp>

#include "net/notify_server.h"

using wx::addressInCidrs;

TEST_CASE("notify-server: the SUCCESS ack is WeChat's exact bytes: FAIL carries our reason",
          "[notify-server][unit]") {
  CHECK(wx::notifySuccessAck() ==
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]>"
        "</return_msg></xml>");
  CHECK(wx::notifyFailAck("storage unavailable") ==
        "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[storage "
        "unavailable]]></return_msg></xml>");
}

TEST_CASE("notify-server: trusted_proxies CIDR matching", "[notify-server][unit]") {
  struct Case {
    const char* address;
    std::vector<std::string> cidrs;
    bool trusted;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1", {"127.0.0.1/32"}, true, "exact /32"},
      {"127.0.0.2", {"127.0.0.1/32"}, false, "outside /32"},
      {"10.1.2.3", {"10.0.0.0/8"}, true, "inside /8"},
      {"11.1.2.3", {"10.0.0.0/8"}, false, "outside /8"},
      {"192.168.5.7", {"10.0.0.0/8", "192.168.5.0/24"}, true, "second CIDR"},
      {"192.168.6.7", {"192.168.5.0/24"}, false, "neighbouring /24"},
      {"10.0.0.9", {"10.0.0.9"}, true, "bare address"},
      {"10.0.0.8", {"10.0.0.9"}, false, "other bare address"},
      {"::1", {"::1/128"}, true, "IPv6 loopback"},
      {"fd00::5", {"fd00::/8"}, true, "IPv6 /8"},
      {"fe80::5", {"fd00::/8"}, false, "outside IPv6 /8"},
      {"10.0.0.1", {"::/0"}, false, "family differs"},
      {"not-an-ip", {"0.0.0.0/0"}, false, "unparseable peer"},
      {"10.0.0.1", {}, false, "no proxies configured"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    CHECK(addressInCidrs(c.address, c.cidrs) == c.trusted);
  }
}
