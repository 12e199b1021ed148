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
    log_ = dir_.path() + "/notify.log";
    out_ = dir_.path() + "/notify.out";
  }
  ~NotifyServerProcess() { stop(); }

  int migrate() {
    auto r = runProcess(WXRECON_BIN, {"migrate", "--config", ini_}, env_);
    if (r.exit_code != 0) throw std::runtime_error("migrate failed: " + r.out + r.err);
    return r.exit_code;
  }

  // Starts the server and waits for its "listening on" line (at most 10 s).
  void start() {
    std::vector<std::string> args = {"-c", std::string("exec '") + WXRECON_BIN +
                                               "' notify-server --config '" + ini_ + "' >>'" +
                                               out_ + "' 2>>'" + log_ + "'"};
    std::ofstream(out_, std::ios::trunc).close();
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch("/bin/sh", args, "/", nullptr, nullptr, nullptr, env_));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(out_);
      std::string line;
      if (std::getline(in, line)) {
        const std::string scheme = options_.tls_cert_file.empty() ? "http://" : "https://";
        const std::string marker = "listening on " + scheme;
        const auto p = line.find(marker);
        const auto admin = line.find("(admin http://");
        if (p != std::string::npos && admin != std::string::npos) {
          const std::string rest = line.substr(p + marker.size());
          base_ = scheme + rest.substr(0, rest.find('/'));
          admin_ = "http://" + line.substr(admin + 14, line.find(')', admin) - admin - 14);
          return;
        }
      }
      int status = 0;
      if (::waitpid(pid(), &status, WNOHANG) == pid()) {
        handle_.reset();
        throw std::runtime_error("notify-server exited: " + logText());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("notify-server did not print its address: " + logText());
  }

  // SIGTERM and wait; returns the exit status (-1 when killed).
  int stop() {
    if (!handle_) return exit_code_;
    ::kill(pid(), SIGTERM);
    int status = 0;
    for (int i = 0; i < 1500; ++i) {
      if (::waitpid(pid(), &status, WNOHANG) == pid()) {
        handle_.reset();
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid(), SIGKILL);
    ::waitpid(pid(), &status, 0);
    handle_.reset();
    exit_code_ = -1;
    return exit_code_;
  }
  pid_t pid() const { return static_cast<pid_t>(handle_->id()); }
  bool running() {
    if (!handle_) return false;
    int status = 0;
    return ::waitpid(pid(), &status, WNOHANG) == 0;
  }

  const std::string& base() const { return base_; }
  const std::string& admin() const { return admin_; }
  std::string notifyUrl() const { return base_ + "/wxpay/notify"; }
  std::string logText() const {
    std::ifstream in(log_);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
  }
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
  std::string ini_, log_, out_, base_, admin_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  int exit_code_ = -1;
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
