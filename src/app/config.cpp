#include "app/config.h"
#include "app/config_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/URI.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace wx {

std::string defaultConfigPath() {
  const std::string etc = "/etc/wxrecon/wxrecon.ini";
  return Poco::File(etc).exists() ? etc : "config/wxrecon.ini";
}

bool isLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(h, ip)) return false;
  return ip.isLoopback();
}

Result<std::vector<std::chrono::seconds>> parseDurationList(const std::string& text) {
  std::vector<std::chrono::seconds> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.erase(0, 1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
    if (item.size() < 2) return Status::invalidArgument("\"" + item + "\" is not a duration like 30s, 5m or 1h");
    const char unit = item.back();
    const std::string digits = item.substr(0, item.size() - 1);
    if (digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) {
      return Status::invalidArgument("\"" + item + "\" is not a duration like 30s, 5m or 1h");
    }
    const long n = std::stol(digits);
    long mult = 0;
    if (unit == 's') mult = 1;
    if (unit == 'm') mult = 60;
    if (unit == 'h') mult = 3600;
    if (mult == 0 || n <= 0) {
      return Status::invalidArgument("\"" + item + "\" is not a positive duration in s, m or h");
    }
    out.emplace_back(n * mult);
  }
  if (out.empty()) return Status::invalidArgument("empty duration list");
  return out;
}

namespace {

// Empty (not set) or HOST:PORT with a port number.
bool isHostPort(const std::string& addr) {
  if (addr.empty()) return true;
  const auto colon = addr.rfind(':');
  const std::string port = colon == std::string::npos ? "" : addr.substr(colon + 1);
  return colon != std::string::npos && !port.empty() && port.size() <= 5 &&
         port.find_first_not_of("0123456789") == std::string::npos && std::stoi(port) <= 65535;
}

// Reads one INI file into sections, reporting every problem with file, section and key.
class Loader {
 public:
  Loader(std::string path, const ConfigEnv& env, const ConfigLoadOptions& options)
      : path_(std::move(path)), env_(env), options_(options) {}

  Result<Config> load(std::istream& ini_text);

 private:
  using Keys = std::map<std::string, std::string>;  // key -> value, for one section

  Status fail(const std::string& section, const std::string& message) const {
    return Status::invalidArgument(path_ + ": [" + section + "] " + message);
  }
  Status checkKnown(const std::string& section, const Keys& keys,
                    const std::set<std::string>& allowed) const;
  Result<std::string> required(const std::string& section, const Keys& keys, const std::string& key) const;
  Result<int> intValue(const std::string& section, const Keys& keys, const std::string& key, int def,
                       int min, int max) const;
  Result<bool> boolValue(const std::string& section, const Keys& keys, const std::string& key,
                         bool def) const;
  std::string stringValue(const Keys& keys, const std::string& key, const std::string& def) const {
    auto it = keys.find(key);
    return it == keys.end() ? def : it->second;
  }
  // One of KEY_env / KEY_file (exactly one), read and checked.
  Result<std::optional<Secret>> secret(const std::string& section, const Keys& keys,
                                       const std::string& base, bool is_required) const;
  Status checkWechatUrl(const std::string& key, const std::string& url) const;
  Result<MerchantConfig> merchant(const std::string& name, const Keys& keys,
                                  const WechatConfig& wechat) const;

  std::string path_;
  const ConfigEnv& env_;
  ConfigLoadOptions options_;
};

Status Loader::checkKnown(const std::string& section, const Keys& keys,
                          const std::set<std::string>& allowed) const {
  for (const auto& [key, value] : keys) {
    if (!allowed.count(key)) {
      std::string hint;
      if (key == "api_key" || key == "password" || key == "previous_api_key") {
        hint = " (secrets never go in the config file: use " + key + "_env or " + key + "_file)";
      }
      return fail(section, "unknown key '" + key + "'" + hint);
    }
  }
  return Status::ok();
}

Result<std::string> Loader::required(const std::string& section, const Keys& keys,
                                     const std::string& key) const {
  auto it = keys.find(key);
  if (it == keys.end()) return fail(section, "missing required key '" + key + "'");
  if (it->second.empty()) return fail(section, "key '" + key + "' is empty");
  return it->second;
}

Result<int> Loader::intValue(const std::string& section, const Keys& keys, const std::string& key,
                             int def, int min, int max) const {
  auto it = keys.find(key);
  if (it == keys.end()) return def;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
    return fail(section, "key '" + key + "' must be a whole number, not \"" + v + "\"");
  }
  const int n = std::stoi(v);
  if (n < min || n > max) {
    return fail(section, "key '" + key + "' must be between " + std::to_string(min) + " and " +
                             std::to_string(max) + ", not " + v);
  }
  return n;
}

Result<bool> Loader::boolValue(const std::string& section, const Keys& keys, const std::string& key,
                               bool def) const {
  auto it = keys.find(key);
  if (it == keys.end()) return def;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  return fail(section, "key '" + key + "' must be true or false, not \"" + it->second + "\"");
}

Result<std::optional<Secret>> Loader::secret(const std::string& section, const Keys& keys,
                                             const std::string& base, bool is_required) const {
  auto env_it = keys.find(base + "_env");
  auto file_it = keys.find(base + "_file");
  if (env_it != keys.end() && file_it != keys.end()) {
    return fail(section, "set only one of '" + base + "_env' and '" + base + "_file'");
  }
  if (env_it != keys.end()) {
    const std::string& var = env_it->second;
    const std::optional<std::string> value =
        var.empty() ? std::nullopt : env_.variable(var);
    if (!value || value->empty()) {
      return fail(section, "key '" + base + "_env' names environment variable '" + var +
                               "', which is not set or empty");
    }
    return std::optional<Secret>(Secret(*value));
  }
  if (file_it != keys.end()) {
    const std::string& file = file_it->second;
    std::optional<ConfigEnv::SecretFile> read =
        file.empty() ? std::nullopt : env_.secretFile(file);
    if (!read) return fail(section, "key '" + base + "_file': cannot read '" + file + "'");
    if (options_.check_permissions) {
      if (read->readable_by_others) {
        return Status::failedPrecondition(path_ + ": [" + section + "] key '" + base + "_file': '" +
                                          file + "' is readable by others (chmod 600 it)");
      }
      if (read->readable_by_other_group) {
        return Status::failedPrecondition(path_ + ": [" + section + "] key '" + base + "_file': '" +
                                          file +
                                          "' is readable by a group other than the process's "
                                          "(chmod 600 it)");
      }
    }
    std::string& value = read->content;
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
      value.pop_back();
    }
    if (value.empty()) return fail(section, "key '" + base + "_file': '" + file + "' is empty");
    return std::optional<Secret>(Secret(std::move(value)));
  }
  if (is_required) {
    return fail(section, "missing required key '" + base + "_env' or '" + base + "_file'");
  }
  return std::optional<Secret>();
}

Status Loader::checkWechatUrl(const std::string& key, const std::string& url) const {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception&) {
    return fail("wechat", "key '" + key + "' is not a URL: \"" + url + "\"");
  }
  if (uri.getHost().empty()) return fail("wechat", "key '" + key + "' has no host: \"" + url + "\"");
  if (uri.getScheme() == "https") return Status::ok();
  if (uri.getScheme() == "http") {
    if (isLoopbackHost(uri.getHost())) return Status::ok();
    return fail("wechat", "key '" + key + "': plain http:// is allowed only to loopback, not \"" +
                              uri.getHost() + "\"");
  }
  return fail("wechat", "key '" + key + "' must be an https:// URL, not \"" + url + "\"");
}

bool isIdToken(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.erase(0, 1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
    out.push_back(item);
  }
  return out;
}

Result<MerchantConfig> Loader::merchant(const std::string& name, const Keys& keys,
                                        const WechatConfig& wechat) const {
  const std::string section = "merchant." + name;
  MerchantConfig m;
  m.name = name;
  if (auto s = checkKnown(section, keys,
                          {"mch_id", "appid", "api_key_env", "api_key_file", "sign_type",
                           "notify_sign_types", "previous_api_key_env", "previous_api_key_file",
                           "qps"});
      !s.isOk()) {
    return s;
  }
  auto mch_id = required(section, keys, "mch_id");
  if (!mch_id) return mch_id.status();
  if (!isIdToken(*mch_id)) return fail(section, "key 'mch_id' is not a merchant id: \"" + *mch_id + "\"");
  m.mch_id = *mch_id;
  auto appid = required(section, keys, "appid");
  if (!appid) return appid.status();
  for (const auto& a : splitList(*appid)) {
    if (!isIdToken(a)) return fail(section, "key 'appid' has an invalid appid: \"" + a + "\"");
    m.appids.push_back(a);
  }
  auto key = secret(section, keys, "api_key", true);
  if (!key) return key.status();
  m.api_key = **key;
  auto previous = secret(section, keys, "previous_api_key", false);
  if (!previous) return previous.status();
  m.previous_api_key = *previous;
  for (const Secret* k : {&m.api_key, m.previous_api_key ? &*m.previous_api_key : nullptr}) {
    if (k == nullptr) continue;
    bool alnum = k->reveal().size() == 32;
    for (unsigned char c : k->reveal()) alnum = alnum && std::isalnum(c);
    if (!alnum) {
      return fail(section, std::string("the ") + (k == &m.api_key ? "api_key" : "previous_api_key") +
                               " is not 32 letters and digits (WeChat's API keys are; check for "
                               "stray spaces or quotes)");
    }
  }
  auto sign = parseSignType(stringValue(keys, "sign_type", "MD5"));
  if (!sign) return fail(section, "key 'sign_type': " + sign.status().message());
  m.sign_type = *sign;
  if (keys.count("notify_sign_types")) {
    for (const auto& t : splitList(keys.at("notify_sign_types"))) {
      auto st = parseSignType(t);
      if (!st) return fail(section, "key 'notify_sign_types': " + st.status().message());
      m.notify_sign_types.push_back(*st);
    }
  } else {
    m.notify_sign_types.push_back(m.sign_type);
  }
  auto qps = intValue(section, keys, "qps", wechat.qps, 1, 100000);
  if (!qps) return qps.status();
  m.qps = *qps;
  return m;
}

Result<Config> Loader::load(std::istream& ini_text) {
  Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
  try {
    ini = new Poco::Util::IniFileConfiguration(ini_text);
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument(path_ + ": " + e.displayText());
  }

  // Gather sections. Poco keys "merchant.shop.mch_id" come back as a tree, split at each '.'.
  // An empty part ("= 1", "[db]\n.x = 1", "[merchant..a]") names no node of that tree: refuse it
  // before looking a value up (Poco would throw NotFoundException).
  const Status empty_name = Status::invalidArgument(
      path_ + ": a section or key name is empty (a line \"= value\", or a name with a leading, "
              "trailing or doubled '.')");
  std::map<std::string, Keys> sections;
  std::map<std::string, Keys> merchants;
  Poco::Util::AbstractConfiguration::Keys top;
  ini->keys(top);
  for (const auto& name : top) {
    if (name.empty()) return empty_name;
    Poco::Util::AbstractConfiguration::Keys sub;
    ini->keys(name, sub);
    if (sub.empty()) {
      return Status::invalidArgument(path_ + ": key '" + name + "' is outside any [section]");
    }
    if (name == "merchant") {
      for (const auto& mname : sub) {
        if (mname.empty()) return empty_name;
        Poco::Util::AbstractConfiguration::Keys mkeys;
        ini->keys("merchant." + mname, mkeys);
        if (mkeys.empty()) {
          return Status::invalidArgument(path_ + ": [merchant] needs a name: [merchant.NAME]");
        }
        Keys& k = merchants[mname];
        for (const auto& key : mkeys) {
          if (key.empty()) return empty_name;
          // "x.y = 1" under [merchant.a] (or a [merchant.a.x] section) is a subtree, not a value.
          Poco::Util::AbstractConfiguration::Keys deeper;
          ini->keys("merchant." + mname + "." + key, deeper);
          if (!deeper.empty()) {
            return Status::invalidArgument(path_ + ": unknown section [merchant." + mname + "." +
                                           key + "]");
          }
          k[key] = ini->getRawString("merchant." + mname + "." + key);
        }
      }
      continue;
    }
    Keys& k = sections[name];
    for (const auto& key : sub) {
      if (key.empty()) return empty_name;
      Poco::Util::AbstractConfiguration::Keys deeper;
      ini->keys(name + "." + key, deeper);
      if (!deeper.empty()) {
        return Status::invalidArgument(path_ + ": unknown section [" + name + "." + key + "]");
      }
      k[key] = ini->getRawString(name + "." + key);
    }
  }
  static const std::set<std::string> kSections = {"db",   "wechat",  "policy", "schedule", "notify",
                                                  "bill", "reports", "log",    "sim",      "daemon"};
  for (const auto& [name, keys] : sections) {
    if (!kSections.count(name)) return Status::invalidArgument(path_ + ": unknown section [" + name + "]");
  }
  auto section = [&](const std::string& name) -> const Keys& {
    static const Keys kEmpty;
    auto it = sections.find(name);
    return it == sections.end() ? kEmpty : it->second;
  };

  Config c;
  c.path = path_;

  // [db]
  {
    const Keys& k = section("db");
    if (auto s = checkKnown("db", k, {"host", "port", "user", "database", "password_env",
                                      "password_file", "pool_size"});
        !s.isOk()) {
      return s;
    }
    if (options_.require_db || !k.empty()) {
      for (const char* key : {"host", "user", "database"}) {
        auto v = required("db", k, key);
        if (!v) return v.status();
      }
      c.db.host = k.at("host");
      c.db.user = k.at("user");
      c.db.database = k.at("database");
      auto pw = secret("db", k, "password", true);
      if (!pw) return pw.status();
      c.db.password = **pw;
      auto port = intValue("db", k, "port", 3306, 1, 65535);
      if (!port) return port.status();
      c.db.port = *port;
      auto pool = intValue("db", k, "pool_size", 4, 1, 256);
      if (!pool) return pool.status();
      c.db.pool_size = *pool;
    }
  }
  // [wechat]
  {
    const Keys& k = section("wechat");
    if (auto s = checkKnown("wechat", k, {"base_url", "backup_url", "ca_file", "connect_timeout_ms",
                                          "timeout_ms", "max_in_flight", "qps"});
        !s.isOk()) {
      return s;
    }
    c.wechat.base_url = stringValue(k, "base_url", c.wechat.base_url);
    c.wechat.backup_url = stringValue(k, "backup_url", c.wechat.backup_url);
    for (const char* key : {"base_url", "backup_url"}) {
      if (auto s = checkWechatUrl(key, key == std::string("base_url") ? c.wechat.base_url
                                                                      : c.wechat.backup_url);
          !s.isOk()) {
        return s;
      }
    }
    c.wechat.ca_file = stringValue(k, "ca_file", "");
    if (!c.wechat.ca_file.empty() && !env_.readable(c.wechat.ca_file)) {
      return fail("wechat", "key 'ca_file': cannot read '" + c.wechat.ca_file + "'");
    }
    auto ct = intValue("wechat", k, "connect_timeout_ms", 6000, 1, 600000);
    if (!ct) return ct.status();
    c.wechat.connect_timeout_ms = *ct;
    auto t = intValue("wechat", k, "timeout_ms", 8000, 1, 600000);
    if (!t) return t.status();
    c.wechat.timeout_ms = *t;
    auto mif = intValue("wechat", k, "max_in_flight", 16, 1, 4096);
    if (!mif) return mif.status();
    c.wechat.max_in_flight = *mif;
    auto qps = intValue("wechat", k, "qps", 100, 1, 100000);
    if (!qps) return qps.status();
    c.wechat.qps = *qps;
  }
  // [merchant.*]
  std::map<std::string, std::string> seen_mch;
  for (const auto& [name, keys] : merchants) {
    auto m = merchant(name, keys, c.wechat);
    if (!m) return m.status();
    auto [it, inserted] = seen_mch.emplace(m->mch_id, name);
    if (!inserted) {
      return Status::invalidArgument(path_ + ": [merchant." + name + "] mch_id " + m->mch_id +
                                     " is already configured in [merchant." + it->second + "]");
    }
    c.merchants.push_back(std::move(*m));
  }
  // [policy]
  {
    const Keys& k = section("policy");
    if (auto s = checkKnown("policy", k, {"notification_is_evidence", "close_grace_s", "query_backoff",
                                          "poll_schedule", "expect_notifications"});
        !s.isOk()) {
      return s;
    }
    auto nie = boolValue("policy", k, "notification_is_evidence", false);
    if (!nie) return nie.status();
    c.policy.notification_is_evidence = *nie;
    auto grace = intValue("policy", k, "close_grace_s", 60, 0, 86400);
    if (!grace) return grace.status();
    c.policy.close_grace_s = *grace;
    auto backoff = parseDurationList(stringValue(k, "query_backoff", "15s,30s,1m,2m,5m,10m,30m,1h"));
    if (!backoff) return fail("policy", "key 'query_backoff': " + backoff.status().message());
    c.policy.query_backoff = *backoff;
    auto poll = parseDurationList(stringValue(k, "poll_schedule", "1m,2m,5m,10m,30m"));
    if (!poll) return fail("policy", "key 'poll_schedule': " + poll.status().message());
    c.policy.poll_schedule = *poll;
    auto expect = boolValue("policy", k, "expect_notifications", true);
    if (!expect) return expect.status();
    c.policy.expect_notifications = *expect;
  }
  // [schedule]
  {
    const Keys& k = section("schedule");
    if (auto s = checkKnown("schedule", k, {"sweep_interval_s", "bill_time", "lease_s"}); !s.isOk()) {
      return s;
    }
    auto iv = intValue("schedule", k, "sweep_interval_s", 60, 1, 86400);
    if (!iv) return iv.status();
    c.schedule.sweep_interval_s = *iv;
    const std::string bt = stringValue(k, "bill_time", "10:30");
    if (bt.size() != 5 || bt[2] != ':' || !std::isdigit(static_cast<unsigned char>(bt[0])) ||
        !std::isdigit(static_cast<unsigned char>(bt[1])) ||
        !std::isdigit(static_cast<unsigned char>(bt[3])) ||
        !std::isdigit(static_cast<unsigned char>(bt[4])) || std::stoi(bt.substr(0, 2)) > 23 ||
        std::stoi(bt.substr(3, 2)) > 59) {
      return fail("schedule", "key 'bill_time' must be HH:MM (Beijing time), not \"" + bt + "\"");
    }
    c.schedule.bill_hour = std::stoi(bt.substr(0, 2));
    c.schedule.bill_minute = std::stoi(bt.substr(3, 2));
    auto lease = intValue("schedule", k, "lease_s", 60, 1, 86400);
    if (!lease) return lease.status();
    c.schedule.lease_s = *lease;
    // A lease must outlive one request and its failover (DESIGN.md §8).
    const long need_ms = 2L * (c.wechat.timeout_ms + c.wechat.connect_timeout_ms);
    if (c.schedule.lease_s * 1000L <= need_ms) {
      return fail("schedule", "key 'lease_s' (" + std::to_string(c.schedule.lease_s) +
                                  ") must exceed 2 x (wechat.timeout_ms + connect_timeout_ms) = " +
                                  std::to_string(need_ms / 1000) + " s");
    }
  }
  // [notify]
  {
    const Keys& k = section("notify");
    if (auto s = checkKnown("notify", k, {"listen", "path", "max_body_bytes", "max_bad_per_minute",
                                          "admin_listen", "trusted_proxies", "confirm",
                                          "tls_cert_file", "tls_key_file"});
        !s.isOk()) {
      return s;
    }
    c.notify.listen = stringValue(k, "listen", "");
    c.notify.path = stringValue(k, "path", c.notify.path);
    if (c.notify.path.empty() || c.notify.path[0] != '/') {
      return fail("notify", "key 'path' must start with '/'");
    }
    auto mb = intValue("notify", k, "max_body_bytes", 65536, 1024, 16 * 1024 * 1024);
    if (!mb) return mb.status();
    c.notify.max_body_bytes = *mb;
    auto bad = intValue("notify", k, "max_bad_per_minute", 60, 0, 1000000);
    if (!bad) return bad.status();
    c.notify.max_bad_per_minute = *bad;
    c.notify.admin_listen = stringValue(k, "admin_listen", c.notify.admin_listen);
    auto confirm = boolValue("notify", k, "confirm", true);
    if (!confirm) return confirm.status();
    c.notify.confirm = *confirm;
    c.notify.tls_cert_file = stringValue(k, "tls_cert_file", "");
    c.notify.tls_key_file = stringValue(k, "tls_key_file", "");
    if (c.notify.tls_cert_file.empty() != c.notify.tls_key_file.empty()) {
      return fail("notify", "keys 'tls_cert_file' and 'tls_key_file' go together (HTTPS needs both)");
    }
    for (const std::string* addr : {&c.notify.listen, &c.notify.admin_listen}) {
      if (!isHostPort(*addr)) return fail("notify", "'" + *addr + "' is not HOST:PORT");
    }
    if (k.count("trusted_proxies")) {
      for (const auto& cidr : splitList(k.at("trusted_proxies"))) {
        const auto slash = cidr.find('/');
        Poco::Net::IPAddress ip;
        const std::string host = cidr.substr(0, slash);
        const std::string bits = slash == std::string::npos ? "" : cidr.substr(slash + 1);
        if (!Poco::Net::IPAddress::tryParse(host, ip) ||
            (slash != std::string::npos &&
             (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos))) {
          return fail("notify", "key 'trusted_proxies': \"" + cidr + "\" is not an address or CIDR");
        }
        c.notify.trusted_proxies.push_back(cidr);
      }
    }
  }
  // [daemon]
  {
    const Keys& k = section("daemon");
    if (auto s = checkKnown("daemon", k, {"admin_listen"}); !s.isOk()) return s;
    c.daemon_admin_listen = stringValue(k, "admin_listen", "");
    if (!isHostPort(c.daemon_admin_listen)) {
      return fail("daemon", "key 'admin_listen': '" + c.daemon_admin_listen + "' is not HOST:PORT");
    }
  }
  // [bill], [reports], [log]
  {
    const Keys& k = section("bill");
    if (auto s = checkKnown("bill", k, {"archive_dir"}); !s.isOk()) return s;
    c.bill_archive_dir = stringValue(k, "archive_dir", c.bill_archive_dir);
  }
  {
    const Keys& k = section("reports");
    if (auto s = checkKnown("reports", k, {"dir"}); !s.isOk()) return s;
    c.reports_dir = stringValue(k, "dir", "");
  }
  {
    const Keys& k = section("log");
    if (auto s = checkKnown("log", k, {"level", "file"}); !s.isOk()) return s;
    c.log_level = stringValue(k, "level", c.log_level);
    static const std::set<std::string> kLevels = {"none",   "fatal",       "critical", "error", "warning",
                                                  "notice", "information", "debug",    "trace"};
    if (!kLevels.count(c.log_level)) {
      return fail("log", "key 'level' must be one of fatal, critical, error, warning, notice, "
                         "information, debug, trace; not \"" + c.log_level + "\"");
    }
    c.log_file = stringValue(k, "file", "");
  }
  return c;
}

// The real environment: getenv, stat + read, access.
class ProcessConfigEnv final : public ConfigEnv {
 public:
  std::optional<std::string> variable(const std::string& name) const override {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
  std::optional<SecretFile> secretFile(const std::string& path) const override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) return std::nullopt;
    SecretFile f;
    f.content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return std::nullopt;
    f.readable_by_others = (st.st_mode & S_IROTH) != 0;
    f.readable_by_other_group = (st.st_mode & S_IRGRP) && st.st_gid != ::getegid();
    return f;
  }
  bool readable(const std::string& path) const override {
    return ::access(path.c_str(), R_OK) == 0;
  }
};

}  // namespace

const ConfigEnv& ConfigEnv::process() {
  static const ProcessConfigEnv kProcess;
  return kProcess;
}

Result<Config> loadConfig(const std::string& path, const ConfigLoadOptions& options) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::invalidArgument(path + ": cannot read the config file");
  }
  if (options.check_permissions && (st.st_mode & S_IWOTH)) {
    return Status::failedPrecondition(path + ": the config file is world-writable (chmod o-w it)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return Status::invalidArgument(path + ": cannot read the config file");
  return parseConfig(in, path, ConfigEnv::process(), options);
}

Result<Config> parseConfig(std::istream& ini, const std::string& name, const ConfigEnv& env,
                           const ConfigLoadOptions& options) {
  return Loader(name, env, options).load(ini);
}

}  // namespace wx
