// libFuzzer target for the config loader (DESIGN.md §8): arbitrary INI text through
// parseConfig(), the validation loadConfig() runs, against a fake ConfigEnv — the fuzzer never
// reads the process's environment or a real file. Properties checked (a violation aborts):
//   - it never throws and always answers a Config or an error that names the input;
//   - an error message never carries a secret that the INI text did not itself contain;
//   - an accepted Config holds what validation promises: 32-character alphanumeric keys,
//     distinct mch_ids, non-empty notify_sign_types, a lease longer than 2 x the timeouts,
//     a non-loopback http:// URL never.
// Seeds (corpus/fuzz_config/) are the configs of config/ and the cases of tests/app/config_test.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <Poco/URI.h>

#include "app/config_env.h"

namespace {

// Variables and files the seeds name (see corpus/fuzz_config/*.ini).
const std::map<std::string, std::string> kVariables = {
    {"WXT_DB_PW", "dbSecretPwQx"},
    {"WXT_KEY_A", "Kq7mWz3RbT9xLp2VnC8dHs4FgJ6yAe1U"},
    {"WXT_KEY_B", "Pz4nXq8LwR2mTb6VcK9sHd3JfG7yUa5E"},
    {"WXT_SHORT", "tooShortKeyValue"},
    {"WXT_EMPTY", ""},
};
const std::map<std::string, wx::ConfigEnv::SecretFile> kFiles = {
    {"/secret/key_c", {"Hv5tNc2QmZ8rWk3BxL7pYd4SgF9jEa6T\n", false, false}},
    {"/secret/open", {"Ry3uMd7VkP2wNx8QbJ5tLc9HfZ4gSe6A", true, false}},
    {"/secret/group", {"Wt6pKf2XnB9mRq4VdH7sLz3CgJ8yEa5U", false, true}},
    {"/secret/blank", {" \r\n", false, false}},
};

class FakeEnv final : public wx::ConfigEnv {
 public:
  std::optional<std::string> variable(const std::string& name) const override {
    auto it = kVariables.find(name);
    if (it == kVariables.end()) return std::nullopt;
    return it->second;
  }
  std::optional<SecretFile> secretFile(const std::string& path) const override {
    auto it = kFiles.find(path);
    if (it == kFiles.end()) return std::nullopt;
    return it->second;
  }
  bool readable(const std::string& path) const override { return path == "/secret/ca.pem"; }
};

// Every secret value above, trimmed as the loader trims a file (blank ones are no secret).
std::set<std::string> secretValues() {
  std::set<std::string> out;
  auto add = [&](std::string v) {
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
    if (!v.empty()) out.insert(v);
  };
  for (const auto& [name, value] : kVariables) add(value);
  for (const auto& [path, file] : kFiles) add(file.content);
  return out;
}

void check(bool ok) {
  if (!ok) std::abort();
}

bool isApiKey(const std::string& k) {
  if (k.size() != 32) return false;
  for (unsigned char c : k) {
    if (!std::isalnum(c)) return false;
  }
  return true;
}

bool httpToNonLoopback(const std::string& url) {
  const Poco::URI uri(url);  // validation parsed it already
  return uri.getScheme() == "http" && !wx::isLoopbackHost(uri.getHost());
}

void checkAccepted(const wx::Config& c) {
  std::set<std::string> mch_ids;
  for (const auto& m : c.merchants) {
    check(mch_ids.insert(m.mch_id).second);
    check(!m.mch_id.empty() && !m.appids.empty());
    check(isApiKey(m.api_key.reveal()));
    check(!m.previous_api_key || isApiKey(m.previous_api_key->reveal()));
    check(!m.notify_sign_types.empty());
    check(m.qps >= 1);
  }
  check(c.schedule.lease_s * 1000L > 2L * (c.wechat.timeout_ms + c.wechat.connect_timeout_ms));
  check(!httpToNonLoopback(c.wechat.base_url) && !httpToNonLoopback(c.wechat.backup_url));
  check(!c.policy.query_backoff.empty() && !c.policy.poll_schedule.empty());
  check(!c.notify.path.empty() && c.notify.path[0] == '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const FakeEnv env;
  static const std::set<std::string> secrets = secretValues();
  // Both option sets: the tools without a database (wxpay-sim) validate with require_db=false.
  for (const bool require_db : {true, false}) {
    std::istringstream in(text);
    wx::ConfigLoadOptions options;
    options.require_db = require_db;
    const wx::Result<wx::Config> c = wx::parseConfig(in, "fuzz.ini", env, options);
    if (c.isOk()) {
      check(c->path == "fuzz.ini");
      checkAccepted(*c);
      continue;
    }
    const std::string message = c.status().message();  // status() returns a copy
    check(message.rfind("fuzz.ini", 0) == 0);
    for (const std::string& secret : secrets) {
      check(text.find(secret) != std::string::npos || message.find(secret) == std::string::npos);
    }
  }
  return 0;
}
