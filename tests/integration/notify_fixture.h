// A real `wxrecon notify-server` (WXRECON_BIN) against a database and a real wxpay-sim, for the
// notify_*_test.cpp files: writes the INI (listen on 127.0.0.1:0; the bound address is read
// from the first line the server prints), migrates, starts and stops the process (SIGTERM),
// and builds genuine or tampered notification bodies from the simulator's ground truth.
#pragma once

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Process.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "common/time.h"
#include "support/background_process.h"
#include "support/process.h"
#include "support/sim_process.h"
#include "support/test_db.h"
#include "wechat/signer.h"

namespace wx::test {

inline const char* notifyAckSuccess() {
  return "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></"
         "return_msg></xml>";
}

struct NotifyServerOptions {
  int max_bad_per_minute = 60;
  int max_body_bytes = 65536;
  bool notification_is_evidence = false;
  std::string trusted_proxies;
  bool confirm = true;  // [notify] confirm
  std::string tls_cert_file, tls_key_file;  // [notify]: HTTPS when set
};

class NotifyServerProcess {
 public:
  // `db_section`: the [db] INI section; `password_env` values are inherited from this process.
  NotifyServerProcess(const SimProcess& sim, const std::string& db_section,
                      NotifyServerOptions options = {})
      : sim_(sim), options_(options) {
    std::ostringstream ini;
    ini << db_section << "pool_size = 8\n\n[wechat]\nbase_url = " << sim.url()
        << "\nbackup_url = " << sim.url()
        << "\nconnect_timeout_ms = 1000\ntimeout_ms = 3000\nqps = 1000\n\n";
    for (const auto& m : sim.options().merchants) {
      ini << "[merchant." << m.name << "]\nmch_id = " << m.mch_id << "\nappid = " << m.appids
          << "\napi_key_env = WXT_NOTIFY_KEY_" << m.name << "\nsign_type = " << m.sign_type
          << "\n\n";
      env_["WXT_NOTIFY_KEY_" + m.name] = m.key;
    }
    ini << "[policy]\nnotification_is_evidence = "
        << (options.notification_is_evidence ? "true" : "false")
        << "\n\n[schedule]\nlease_s = 30\n\n[notify]\nlisten = 127.0.0.1:0\n"
           "admin_listen = 127.0.0.1:0\nmax_bad_per_minute = "
        << options.max_bad_per_minute << "\nmax_body_bytes = " << options.max_body_bytes
        << "\nconfirm = " << (options.confirm ? "true" : "false") << "\n";
    if (!options.trusted_proxies.empty())
      ini << "trusted_proxies = " << options.trusted_proxies << "\n";
    if (!options.tls_cert_file.empty()) ini << "tls_cert_file = " << options.tls_cert_file << "\n";
    if (!options.tls_key_file.empty()) ini << "tls_key_file = " << options.tls_key_file << "\n";
    ini_ = dir_.write("wxrecon.ini", ini.str());
    process_ = std::make_unique<BackgroundProcess>(
        WXRECON_BIN, std::vector<std::string>{"notify-server", "--config", ini_}, env_,
        dir_.path());
  }

  int migrate() {
    auto r = runProcess(WXRECON_BIN, {"migrate", "--config", ini_}, env_);
    if (r.exit_code != 0) throw std::runtime_error("migrate failed: " + r.out + r.err);
    return r.exit_code;
  }

  // Starts the server (`extra_env` in its environment only) and waits for its "listening on"
  // line (at most 10 s).
  void start(const BackgroundProcess::Env& extra_env = {}) {
    process_->start(extra_env);
    const std::string scheme = options_.tls_cert_file.empty() ? "http://" : "https://";
    const std::string marker = "listening on " + scheme;
    const std::string line = process_->waitForLine(marker);
    const auto admin = line.find("(admin http://");
    if (admin == std::string::npos) throw std::runtime_error("no admin address: " + line);
    const std::string rest = line.substr(line.find(marker) + marker.size());
    base_ = scheme + rest.substr(0, rest.find('/'));
    admin_ = "http://" + line.substr(admin + 14, line.find(')', admin) - admin - 14);
  }

  // SIGTERM and wait; returns the exit status (-1 when killed).
  int stop() { return process_->stop(); }
  pid_t pid() const { return process_->pid(); }
  bool running() { return process_->running(); }

  const std::string& base() const { return base_; }
  const std::string& admin() const { return admin_; }
  std::string notifyUrl() const { return base_ + "/wxpay/notify"; }
  std::string logText() const { return process_->logText(); }
  HttpResult post(const std::string& body, const std::string& path = "/wxpay/notify") const {
    return httpExchange(base_, "POST", path, body, 10000);
  }

  // A notification body for a paid simulator order, as WeChat would send it, signed with
  // `key` (default: the merchant's) and `type` (default: the merchant's sign type).
  std::string body(const std::string& out_trade_no, FieldMap overrides = {},
                   const std::string& key = "", const std::string& type = "") const {
    auto o = sim_.controlJson("GET", "/sim/orders/" + out_trade_no);
    const std::string mch = o->getValue<std::string>("mch_id");
    const SimMerchantSpec* spec = nullptr;
    for (const auto& m : sim_.options().merchants) {
      if (m.mch_id == mch) spec = &m;
    }
    const auto paid_at = parseIso8601Utc(o->getValue<std::string>("paid_at"));
    FieldMap f{{"return_code", "SUCCESS"},
               {"return_msg", "OK"},
               {"appid", o->getValue<std::string>("appid")},
               {"mch_id", mch},
               {"nonce_str", "N" + out_trade_no},
               {"result_code", "SUCCESS"},
               {"openid", "oUser_1"},
               {"is_subscribe", "N"},
               {"trade_type", "JSAPI"},
               {"bank_type", "CFT"},
               {"total_fee", std::to_string(o->getValue<long>("paid_fee"))},
               {"fee_type", "CNY"},
               {"cash_fee", std::to_string(o->getValue<long>("paid_fee"))},
               {"transaction_id", o->getValue<std::string>("transaction_id")},
               {"out_trade_no", out_trade_no},
               {"time_end", formatBeijingCompact(*paid_at)}};
    for (const auto& [k, v] : overrides) {
      if (v.empty()) {
        f.erase(k);
      } else {
        f[k] = v;
      }
    }
    const std::string t = type.empty() ? spec->sign_type : type;
    auto st = parseSignType(t);
    f["sign"] = computeSign(f, *st, Secret(key.empty() ? spec->key : key));
    return writeXmlFields(f);
  }

 private:
  const SimProcess& sim_;
  NotifyServerOptions options_;
  TempDir dir_;
  std::string ini_, base_, admin_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<BackgroundProcess> process_;
};

// A notify-server on a fresh database of its own with its own wxpay-sim (frozen clock),
// migrated, and started unless `start` is false; `s` is a session on the database. A fixture:
//
//   TEST_CASE_METHOD(NotifyServerEnv, "...", "[integration][notify-server]") {
//     createOrder(sim, s, "10000100", "wx2421b1c4370ec43b", "P1", 100, server.notifyUrl());
struct NotifyServerEnv {
  explicit NotifyServerEnv(NotifyServerOptions options = {}, bool start = true)
      : server(sim, db.iniDbSection(), options), s(db.session()) {
    server.migrate();
    if (start) server.start();
  }
  // The first appid of merchant `i`.
  std::string appid(std::size_t i) const {
    const std::string& a = sim.merchant(i).appids;
    return a.substr(0, a.find(','));
  }

  SimProcess sim;
  TestDatabase db;
  NotifyServerProcess server;
  Poco::Data::Session s;
};

// The same, not started: the test starts it (e.g. with crash points in its environment).
struct UnstartedNotifyServerEnv : NotifyServerEnv {
  UnstartedNotifyServerEnv() : NotifyServerEnv({}, false) {}
};

// Creates an order in the simulator (notify_url = url) and the same order locally.
inline void createOrder(const SimProcess& sim, Poco::Data::Session& s, const std::string& mch,
                        const std::string& appid, const std::string& no, long fee,
                        const std::string& notify_url) {
  sim.controlJson("POST", "/sim/orders",
                  R"({"mch_id":")" + mch + R"(","appid":")" + appid + R"(","out_trade_no":")" + no +
                      R"(","total_fee":)" + std::to_string(fee) + R"(,"notify_url":")" +
                      notify_url + "\"}");
  s << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, created_at, "
       "expire_at) VALUES ('" +
           mch + "', '" + appid + "', '" + no + "', " + std::to_string(fee) +
           ", NOW(3) - INTERVAL 1 MINUTE, NOW(3) + INTERVAL 1 HOUR)",
      Poco::Data::Keywords::now;
}

inline void advanceSim(const SimProcess& sim, long seconds) {
  auto r = sim.controlJson("POST", "/sim/clock", "{\"advance_s\":" + std::to_string(seconds) + "}");
  if (!r->getValue<bool>("settled")) throw std::runtime_error("sim did not settle");
}

inline long long queryCount(Poco::Data::Session& s, const std::string& sql) {
  Poco::Int64 n = 0;
  s << sql, Poco::Data::Keywords::into(n), Poco::Data::Keywords::now;
  return n;
}

// Polls `sql` (a COUNT) until it equals `want` or `timeout` passes; returns the last value.
inline long long waitForCount(Poco::Data::Session& s, const std::string& sql, long long want,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  long long n = queryCount(s, sql);
  while (n != want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    n = queryCount(s, sql);
  }
  return n;
}

// A MEDIUMBLOB column of one row.
inline std::string queryBlob(Poco::Data::Session& s, const std::string& sql) {
  Poco::Data::BLOB b;
  s << sql, Poco::Data::Keywords::into(b), Poco::Data::Keywords::now;
  return std::string(reinterpret_cast<const char*>(b.rawContent()), b.size());
}

}  // namespace wx::test
