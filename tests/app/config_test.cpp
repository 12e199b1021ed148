// Configuration validation (DESIGN.md §8): every error names the section and key.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <sstream>

#include "app/config.h"
#include "app/config_env.h"
#include "support/test_db.h"

using namespace wx;
using namespace wx::test;

namespace {

const char* const kKeyA = "Kq7mWz3RbT9xLp2VnC8dHs4FgJ6yAe1U";  // 32 alnum, no run of 6 digits
const char* const kKeyB = "Pz4nXq8LwR2mTb6VcK9sHd3JfG7yUa5E";

struct Env {
  Env() {
    setenv("WXT_DB_PW", "dbSecretPw", 1);
    setenv("WXT_KEY_A", kKeyA, 1);
    setenv("WXT_KEY_B", kKeyB, 1);
  }
};

const std::string kBase =
    "[db]\nhost = 127.0.0.1\nuser = wx\ndatabase = wxrecon\npassword_env = WXT_DB_PW\n"
    "[merchant.shopA]\nmch_id = 10000100\nappid = wx2421b1c4370ec43b, wxd930ea5d5a258f4f\n"
    "api_key_env = WXT_KEY_A\n"
    "[merchant.shopB]\nmch_id = 10000200\nappid = wxaaaaaaaaaaaaaaaa\napi_key_env = WXT_KEY_B\n"
    "sign_type = HMAC-SHA256\n";

Result<Config> load(const TempDir& dir, const std::string& text) {
  return loadConfig(dir.write("c.ini", text));
}

}  // namespace

TEST_CASE("a minimal config loads with DESIGN.md's defaults", "[config]") {
  Env env;
  TempDir dir;
  auto c = load(dir, kBase);
  INFO(c.status().toString());
  REQUIRE(c.isOk());
  CHECK(c->db.port == 3306);
  CHECK(c->db.pool_size == 4);
  CHECK(c->db.password.reveal() == "dbSecretPw");
  CHECK(c->wechat.base_url == "https://api.mch.weixin.qq.com");
  CHECK(c->wechat.backup_url == "https://api2.mch.weixin.qq.com");
  CHECK(c->wechat.connect_timeout_ms == 6000);
  CHECK(c->wechat.timeout_ms == 8000);
  CHECK(c->wechat.max_in_flight == 16);
  CHECK(c->wechat.qps == 100);
  REQUIRE(c->merchants.size() == 2);
  const MerchantConfig* a = c->findMerchant("10000100");
  REQUIRE(a != nullptr);
  CHECK(a->appids == std::vector<std::string>{"wx2421b1c4370ec43b", "wxd930ea5d5a258f4f"});
  CHECK(a->sign_type == SignType::kMd5);
  CHECK(a->notify_sign_types == std::vector<SignType>{SignType::kMd5});
  CHECK(a->qps == 100);
  CHECK(a->api_key.reveal() == kKeyA);
  const MerchantConfig* b = c->findMerchant("10000200");
  REQUIRE(b != nullptr);
  CHECK(b->notify_sign_types == std::vector<SignType>{SignType::kHmacSha256});
  CHECK_FALSE(c->policy.notification_is_evidence);
  CHECK(c->policy.close_grace_s == 60);
  CHECK(c->policy.query_backoff.size() == 8);
  CHECK(c->policy.query_backoff.back() == std::chrono::hours(1));
  CHECK(c->policy.poll_schedule.size() == 5);
  CHECK(c->policy.expect_notifications);
  CHECK(c->notify.confirm);
  CHECK(c->schedule.sweep_interval_s == 60);
  CHECK(c->schedule.bill_hour == 10);
  CHECK(c->schedule.bill_minute == 30);
  CHECK(c->schedule.lease_s == 60);
  CHECK(c->notify.path == "/wxpay/notify");
  CHECK(c->notify.max_body_bytes == 65536);
  CHECK(c->notify.max_bad_per_minute == 60);
  CHECK(c->notify.admin_listen == "127.0.0.1:9181");
  CHECK(c->daemon_admin_listen.empty());  // no daemon listener unless configured
  auto d = load(dir, kBase + "[daemon]\nadmin_listen = 127.0.0.1:9182\n");
  REQUIRE(d.isOk());
  CHECK(d->daemon_admin_listen == "127.0.0.1:9182");
  CHECK(c->bill_archive_dir == "var/bills");
  CHECK(c->log_level == "information");
}

TEST_CASE("config errors name the section and key", "[config]") {
  Env env;
  TempDir dir;
  struct Case {
    std::string text;
    std::string expected;
    const char* why;
  };
  const Case cases[] = {
      {"[db]\nhost = h\ndatabase = d\npassword_env = WXT_DB_PW\n", "[db] missing required key 'user'",
       "required key"},
      {kBase + "[wechat]\nqps = fast\n", "[wechat] key 'qps' must be a whole number",
       "malformed value"},
      {kBase + "[wechat]\ntimeout = 5\n", "[wechat] unknown key 'timeout'", "unknown key"},
      {kBase + "[merchant.shopC]\nmch_id = 10000100\nappid = wxc\napi_key_env = WXT_KEY_A\n",
       "mch_id 10000100 is already configured in [merchant.shopA]", "duplicate mch_id"},
      {kBase + "[wechat]\nbase_url = http://api.example.com\n",
       "[wechat] key 'base_url': plain http:// is allowed only to loopback", "http non-loopback"},
      {kBase + "[wechat]\nbase_url = ftp://127.0.0.1\n", "must be an https:// URL", "scheme"},
      {kBase + "[policy]\nquery_backoff = 15s,soon\n", "[policy] key 'query_backoff'",
       "duration list"},
      {kBase + "[policy]\nnotification_is_evidence = yes\n", "must be true or false", "bool"},
      {kBase + "[schedule]\nbill_time = 25:00\n", "[schedule] key 'bill_time'", "bill time"},
      {kBase + "[schedule]\nlease_s = 10\n", "[schedule] key 'lease_s' (10) must exceed",
       "lease shorter than a request"},
      {kBase + "[merchant.shopD]\nmch_id = 10000300\nappid = wxd\napi_key = abc\n",
       "unknown key 'api_key' (secrets never go in the config file", "secret in the file"},
      {kBase + "[merchant.shopD]\nmch_id = 10000300\nappid = wxd\napi_key_env = WXT_UNSET_VAR\n",
       "names environment variable 'WXT_UNSET_VAR', which is not set", "unset env"},
      {kBase + "[merchant.shopD]\nmch_id = 10000300\nappid = wxd\napi_key_env = WXT_DB_PW\n",
       "is not 32 letters and digits", "key shape"},
      {kBase + "[merchant.shopD]\nmch_id = 10000300\nappid = wxd\napi_key_env = WXT_KEY_A\n"
               "sign_type = SHA1\n",
       "[merchant.shopD] key 'sign_type'", "sign type"},
      {kBase + "[reportz]\ndir = x\n", "unknown section [reportz]", "unknown section"},
      // Found by fuzz_config: a dotted key in a merchant section threw Poco's NotFoundException
      // ("Not found: merchant.shopA.x", exit 1) instead of naming the section (exit 2).
      {kBase + "x.y = 1\n", "unknown section [merchant.shopB.x]", "dotted key in a merchant"},
      {kBase + "[merchant.shopA.extra]\nk = v\n", "unknown section [merchant.shopA.extra]",
       "merchant subsection"},
      // Also found by fuzz_config: an empty name part threw the same way.
      {"= 1\n" + kBase, "a section or key name is empty", "line without a key name"},
      {kBase + "[log]\n.level = debug\n", "a section or key name is empty", "leading dot"},
      {kBase + "[merchant..x]\nmch_id = 1\n", "a section or key name is empty",
       "empty merchant name"},
      {kBase + "a..b = 1\n", "unknown section [merchant.shopB.a]", "doubled dot: a subtree"},
      {kBase + "[notify]\nlisten = 8080\n", "[notify] '8080' is not HOST:PORT", "listen"},
      {kBase + "[daemon]\nadmin_listen = 9182\n", "[daemon] key 'admin_listen'", "daemon admin"},
      {kBase + "[daemon]\nlisten = 127.0.0.1:1\n", "[daemon]", "unknown daemon key"},
      {kBase + "[notify]\ntrusted_proxies = 10.0.0.0/8, nonsense\n", "key 'trusted_proxies'",
       "cidr"},
      {kBase + "[notify]\nconfirm = off\n", "[notify] key 'confirm'", "confirm switch"},
      {kBase + "[log]\nlevel = loud\n", "[log] key 'level'", "log level"},
      {kBase + "[db]\nport = 70000\n", "[db] key 'port' must be between 1 and 65535", "range"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto r = load(dir, c.text);
    REQUIRE_FALSE(r.isOk());
    CHECK_THAT(r.status().message(), Catch::Contains(c.expected));
    CHECK_THAT(r.status().message(), !Catch::Contains(kKeyA));
    CHECK_THAT(r.status().message(), !Catch::Contains("dbSecretPw"));
  }
}

TEST_CASE("secret files and config files must not be exposed", "[config]") {
  Env env;
  TempDir dir;
  const std::string key_file = dir.write("key", std::string(kKeyA) + "\n");
  const std::string text = kBase + "[merchant.shopF]\nmch_id = 10000400\nappid = wxf\napi_key_file = " +
                           key_file + "\n";
  auto ok = load(dir, text);
  INFO(ok.status().toString());
  REQUIRE(ok.isOk());
  CHECK(ok->findMerchant("10000400")->api_key.reveal() == kKeyA);  // trailing newline dropped

  ::chmod(key_file.c_str(), 0644);
  auto world = load(dir, text);
  REQUIRE_FALSE(world.isOk());
  CHECK_THAT(world.status().message(), Catch::Contains("readable by others"));

  ::chmod(key_file.c_str(), 0600);
  const std::string cfg = dir.write("w.ini", text);
  ::chmod(cfg.c_str(), 0666);
  auto writable = loadConfig(cfg);
  REQUIRE_FALSE(writable.isOk());
  CHECK_THAT(writable.status().message(), Catch::Contains("world-writable"));
}

TEST_CASE("previous keys and notify sign types", "[config]") {
  Env env;
  TempDir dir;
  auto c = load(dir, kBase + "[merchant.shopR]\nmch_id = 10000500\nappid = wxr\napi_key_env = "
                             "WXT_KEY_A\nprevious_api_key_env = WXT_KEY_B\nsign_type = MD5\n"
                             "notify_sign_types = MD5, HMAC-SHA256\nqps = 7\n");
  INFO(c.status().toString());
  REQUIRE(c.isOk());
  const MerchantConfig* m = c->findMerchant("10000500");
  REQUIRE(m->previous_api_key.has_value());
  CHECK(m->previous_api_key->reveal() == kKeyB);
  CHECK(m->notify_sign_types == std::vector<SignType>{SignType::kMd5, SignType::kHmacSha256});
  CHECK(m->qps == 7);
}

TEST_CASE("loopback detection", "[config]") {
  CHECK(isLoopbackHost("127.0.0.1"));
  CHECK(isLoopbackHost("127.8.9.10"));
  CHECK(isLoopbackHost("localhost"));
  CHECK(isLoopbackHost("[::1]"));
  CHECK_FALSE(isLoopbackHost("10.0.0.1"));
  CHECK_FALSE(isLoopbackHost("api.mch.weixin.qq.com"));
  CHECK_FALSE(isLoopbackHost("127.0.0.1.evil.com"));
}

TEST_CASE("the example config lists valid keys", "[config]") {
  // config/wxrecon.example.ini must load (with its *_env variables set) — it is the reference.
  setenv("WXRECON_DB_PASSWORD", "pw", 1);
  setenv("WXRECON_SHOP_A_KEY", kKeyA, 1);
  auto c = loadConfig(std::string(WX_SOURCE_DIR) + "/config/wxrecon.example.ini",
                      ConfigLoadOptions{true, false});
  INFO(c.status().toString());
  CHECK(c.isOk());
}

TEST_CASE("parseConfig reads variables and files only through its ConfigEnv", "[config]") {
  // What the config fuzzer relies on: nothing of the process leaks into a parse.
  class Fake final : public ConfigEnv {
   public:
    std::optional<std::string> variable(const std::string& name) const override {
      asked.push_back("env " + name);
      if (name == "FAKE_PW") return std::string("fakePw");
      if (name == "FAKE_KEY") return std::string(kKeyB);
      return std::nullopt;
    }
    std::optional<SecretFile> secretFile(const std::string& path) const override {
      asked.push_back("file " + path);
      if (path == "/fake/key") return SecretFile{std::string(kKeyA) + "\r\n", false, false};
      if (path == "/fake/open") return SecretFile{kKeyA, true, false};
      if (path == "/fake/group") return SecretFile{kKeyA, false, true};
      return std::nullopt;
    }
    bool readable(const std::string& path) const override {
      asked.push_back("readable " + path);
      return path == "/fake/ca.pem";
    }
    mutable std::vector<std::string> asked;
  };
  Env process_env;  // WXT_* set in the process: a parse through the fake must not see them
  const std::string db = "[db]\nhost = h\nuser = u\ndatabase = d\npassword_env = FAKE_PW\n";
  auto parse = [&](const Fake& fake, const std::string& text) {
    std::istringstream in(text);
    return parseConfig(in, "text.ini", fake, ConfigLoadOptions{});
  };

  Fake fake;
  auto c = parse(fake, db + "[wechat]\nca_file = /fake/ca.pem\n[merchant.a]\nmch_id = 1\n"
                            "appid = wx1\napi_key_file = /fake/key\nprevious_api_key_env = FAKE_KEY\n");
  INFO(c.status().toString());
  REQUIRE(c.isOk());
  CHECK(c->path == "text.ini");
  CHECK(c->db.password.reveal() == "fakePw");
  CHECK(c->merchants.at(0).api_key.reveal() == kKeyA);  // CR/LF trimmed as from a real file
  CHECK(c->merchants.at(0).previous_api_key->reveal() == kKeyB);
  CHECK(fake.asked == std::vector<std::string>{"env FAKE_PW", "readable /fake/ca.pem",
                                               "file /fake/key", "env FAKE_KEY"});

  // The process's own variable is unknown to the fake.
  auto unset = parse(fake, db + "[merchant.a]\nmch_id = 1\nappid = wx1\napi_key_env = WXT_KEY_A\n");
  REQUIRE_FALSE(unset.isOk());
  CHECK_THAT(unset.status().message(),
             Catch::StartsWith("text.ini: [merchant.a]") && Catch::Contains("'WXT_KEY_A'"));
  // File permissions as the fake reports them.
  for (const char* f : {"/fake/open", "/fake/group"}) {
    auto exposed = parse(fake, db + "[merchant.a]\nmch_id = 1\nappid = wx1\napi_key_file = " + f + "\n");
    REQUIRE_FALSE(exposed.isOk());
    CHECK(exposed.status().code() == StatusCode::kFailedPrecondition);
  }
  auto no_ca = parse(fake, db + "[wechat]\nca_file = /etc/ssl/certs/ca-certificates.crt\n");
  REQUIRE_FALSE(no_ca.isOk());
  CHECK_THAT(no_ca.status().message(), Catch::Contains("ca_file"));
}
