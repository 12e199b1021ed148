// wxrecon's configuration (DESIGN.md §8): loaded from an INI file with Poco::Util, validated
// up front. The structs are header-only so the pure core can use them; loadConfig() is in the
// adapters library. Every error names the section and key. Secrets come only from *_env / *_file.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/secret.h"
#include "common/status.h"
#include "domain/policy.h"
#include "wechat/sign_type.h"

namespace wx {

struct DbConfig {
  std::string host;
  int port = 3306;
  std::string user;
  std::string database;
  Secret password;
  int pool_size = 4;
};

struct WechatConfig {
  std::string base_url = "https://api.mch.weixin.qq.com";
  std::string backup_url = "https://api2.mch.weixin.qq.com";
  std::string ca_file;  // empty: the system store
  int connect_timeout_ms = 6000;
  int timeout_ms = 8000;
  int max_in_flight = 16;
  int qps = 100;
};

struct MerchantConfig {
  std::string name;  // NAME of [merchant.NAME]
  std::string mch_id;
  std::vector<std::string> appids;
  Secret api_key;
  std::optional<Secret> previous_api_key;  // accepted on answers/notifications during rotation
  SignType sign_type = SignType::kMd5;
  std::vector<SignType> notify_sign_types;  // defaults to {sign_type}
  int qps = 100;

  bool hasAppid(const std::string& appid) const {
    for (const auto& a : appids) {
      if (a == appid) return true;
    }
    return false;
  }
};

using PolicyConfig = Policy;

struct ScheduleConfig {
  int sweep_interval_s = 60;
  int bill_hour = 10;  // bill_time, Beijing
  int bill_minute = 30;
  int lease_s = 60;
};

struct NotifyConfig {
  std::string listen;  // host:port; required for notify-server
  std::string path = "/wxpay/notify";
  int max_body_bytes = 65536;
  int max_bad_per_minute = 60;
  std::string admin_listen = "127.0.0.1:9181";
  std::vector<std::string> trusted_proxies;  // CIDRs
  bool confirm = true;  // queue an orderquery for each genuine notification of an unfinished order
  // Both set: `listen` serves HTTPS with this certificate (PEM, chain included) and key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

struct Config {
  std::string path;  // the file it was loaded from
  DbConfig db;
  WechatConfig wechat;
  std::vector<MerchantConfig> merchants;
  PolicyConfig policy;
  ScheduleConfig schedule;
  NotifyConfig notify;
  std::string daemon_admin_listen;  // [daemon] admin_listen: GET /metrics, /healthz (empty: none)
  std::string bill_archive_dir = "var/bills";
  std::string reports_dir;  // required for bill/rerun/report
  std::string log_level = "information";
  std::string log_file;

  const MerchantConfig* findMerchant(const std::string& mch_id) const {
    for (const auto& m : merchants) {
      if (m.mch_id == mch_id) return &m;
    }
    return nullptr;
  }
};

struct ConfigLoadOptions {
  // Require [db] (false for tools that never touch the database, e.g. wxpay-sim).
  bool require_db = true;
  // Check file permissions (config not world-writable; *_file secrets not readable by others).
  bool check_permissions = true;
};

// Loads and validates. Errors (kInvalidArgument / kFailedPrecondition) name the file,
// section and key: "config/x.ini: [db] missing required key 'user'".
Result<Config> loadConfig(const std::string& path, const ConfigLoadOptions& options = {});

// Parses "15s,30s,1m,2m,1h" into seconds; each item a positive integer with s, m or h.
Result<std::vector<std::chrono::seconds>> parseDurationList(const std::string& text);

// True for 127.0.0.0/8, ::1 and "localhost".
bool isLoopbackHost(const std::string& host);

// The default config path: /etc/wxrecon/wxrecon.ini when it exists, else config/wxrecon.ini.
std::string defaultConfigPath();

}  // namespace wx
