// Starts a real wxpay-sim (WXPAY_SIM_BIN) on an ephemeral port with a temporary INI whose API
// keys are passed in environment variables, and talks to it over HTTP (tests only).
//
//   wx::test::SimProcess sim;                        // two merchants, seed 1, clock frozen
//   auto r = sim.control("POST", "/sim/orders", R"({"mch_id":"10000100",...})");
//   auto a = sim.pay("orderquery", {{"appid", ...}, {"out_trade_no", "X"}});  // signed request
//
// The process is stopped (SIGTERM, then SIGKILL after 5 s) when the object goes away.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/URI.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/secret.h"
#include "wechat/sign_type.h"
#include "wechat/signer.h"
#include "wechat/xml_codec.h"

namespace wx::test {

struct SimMerchantSpec {
  std::string name, mch_id, appids, key, sign_type;
};

// The merchants every sim test uses unless it says otherwise. The first key is WeChat's TV1 key.
inline std::vector<SimMerchantSpec> defaultSimMerchants() {
  return {{"shop", "10000100", "wxd930ea5d5a258f4f,wx2421b1c4370ec43b",
           "192006250b4c09247ec02edce69f6a2d", "MD5"},
          {"other", "10000200", "wxother00000000001", "abcdefabcdefabcdefabcdefabcdef12",
           "HMAC-SHA256"}};
}

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};

// One HTTP exchange on a fresh connection. Throws Poco::Exception on transport failures.
inline HttpResult httpExchange(const std::string& base_url, const std::string& method,
                               const std::string& path, const std::string& body = "",
                               int timeout_ms = 30000) {
  Poco::URI uri(base_url);
  Poco::Net::HTTPClientSession s(uri.getHost(), uri.getPort());
  s.setTimeout(Poco::Timespan(static_cast<long>(timeout_ms) * 1000));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (method == "POST") {
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    req.setContentType("text/xml");
  }
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = s.receiveResponse(resp);
  HttpResult r;
  r.status = static_cast<int>(resp.getStatus());
  r.content_type = resp.getContentType();
  std::ostringstream os;
  os << in.rdbuf();
  r.body = os.str();
  return r;
}

inline Poco::JSON::Object::Ptr parseJson(const std::string& text) {
  Poco::JSON::Parser p;
  return p.parse(text).extract<Poco::JSON::Object::Ptr>();
}

class SimProcess {
 public:
  struct Options {
    std::vector<SimMerchantSpec> merchants = defaultSimMerchants();
    std::uint64_t seed = 1;
    std::string clock = "2024-05-01T00:00:00Z";  // empty: real time
    std::vector<std::string> extra_args;
  };

  SimProcess() : SimProcess(Options{}) {}
  explicit SimProcess(Options options) : options_(std::move(options)) {
    char tmpl[] = "/tmp/wxsim-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    ini_ = dir_ + "/sim.ini";
    Poco::Process::Env env;
    {
      std::ofstream ini(ini_);
      for (const auto& m : options_.merchants) {
        const std::string var = "WXSIM_TEST_KEY_" + m.name;
        env[var] = m.key;
        ini << "[merchant." << m.name << "]\nmch_id = " << m.mch_id << "\nappid = " << m.appids
            << "\napi_key_env = " << var << "\nsign_type = " << m.sign_type << "\n\n";
      }
    }
    ::chmod(ini_.c_str(), 0600);
    std::vector<std::string> args = {"--config",    ini_,     "--listen",
                                     "127.0.0.1:0", "--seed", std::to_string(options_.seed)};
    if (!options_.clock.empty()) {
      args.push_back("--clock");
      args.push_back(options_.clock);
    }
    for (const auto& a : options_.extra_args) args.push_back(a);
    Poco::Pipe out;
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch(WXPAY_SIM_BIN, args, "/", nullptr, &out, nullptr, env));
    Poco::PipeInputStream in(out);
    std::string line;
    std::getline(in, line);
    const std::string marker = "listening on ";
    const auto pos = line.find(marker);
    if (pos == std::string::npos) {
      stop();
      throw std::runtime_error("wxpay-sim did not start: \"" + line + "\"");
    }
    url_ = line.substr(pos + marker.size());
  }
  ~SimProcess() { stop(); }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  const std::string& url() const { return url_; }
  const std::string& dir() const { return dir_; }
  const Options& options() const { return options_; }
  const SimMerchantSpec& merchant(std::size_t i = 0) const { return options_.merchants.at(i); }

  // A control API call; the body is JSON.
  HttpResult control(const std::string& method, const std::string& path,
                     const std::string& json = "") const {
    return httpExchange(url_, method, path, json);
  }
  Poco::JSON::Object::Ptr controlJson(const std::string& method, const std::string& path,
                                      const std::string& json = "") const {
    HttpResult r = control(method, path, json);
    if (r.status / 100 != 2) {
      throw std::runtime_error(method + " " + path + " -> " + std::to_string(r.status) + " " +
                               r.body);
    }
    return parseJson(r.body);
  }

  // A /pay/<endpoint> request signed with merchant `m`'s key (nonce_str added when absent).
  HttpResult pay(const std::string& endpoint, FieldMap fields, std::size_t m = 0,
                 SignType type = SignType::kMd5, int timeout_ms = 30000) const {
    const auto& spec = merchant(m);
    if (!fields.count("mch_id")) fields["mch_id"] = spec.mch_id;
    if (!fields.count("appid")) fields["appid"] = spec.appids.substr(0, spec.appids.find(','));
    if (!fields.count("nonce_str")) fields["nonce_str"] = "5K8264ILTKCH16CQ";
    signRequest(fields, type, Secret(spec.key));
    return httpExchange(url_, "POST", "/pay/" + endpoint, writeXmlFields(fields), timeout_ms);
  }

  void stop() {
    if (!handle_) return;
    const pid_t pid = static_cast<pid_t>(handle_->id());
    ::kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        handle_.reset();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (handle_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      handle_.reset();
    }
    std::remove(ini_.c_str());
    ::rmdir(dir_.c_str());
  }

 private:
  Options options_;
  std::string dir_, ini_, url_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
};

}  // namespace wx::test
