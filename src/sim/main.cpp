// wxpay-sim: the WeChat Pay v2 simulator (DESIGN.md §7). Wiring only: flags, config, server.
#include <Poco/Net/SSLManager.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <string>

#include "app/config.h"
#include "sim/sim_api.h"
#include "sim/sim_clock.h"
#include "sim/sim_control.h"
#include "sim/sim_faults.h"
#include "sim/sim_notifier.h"
#include "sim/sim_server.h"
#include "sim/sim_state.h"

namespace {

const char kUsage[] =
    "usage: wxpay-sim --config FILE [options]\n"
    "A WeChat Pay v2 simulator: /pay/unifiedorder, orderquery, closeorder, refundquery,\n"
    "downloadbill as WeChat answers them, payment notifications with the real resend schedule,\n"
    "its own clock, deterministic faults, and a JSON control API under /sim/ (see README).\n"
    "\n"
    "  --config FILE            wxrecon INI: merchants from [merchant.NAME] (mch_id, appid,\n"
    "                           api_key_env|api_key_file, sign_type); [db] is not required\n"
    "  --listen HOST:PORT       address to serve (default 127.0.0.1:0; port 0 = ephemeral).\n"
    "                           The bound address is printed on stdout as the first line:\n"
    "                           \"wxpay-sim listening on http://HOST:PORT\"\n"
    "  --seed N                 seed of every deterministic choice (faults, nonce_str; default 1)\n"
    "  --tls-cert FILE          serve HTTPS with this PEM certificate (needs --tls-key)\n"
    "  --tls-key FILE           the certificate's PEM private key\n"
    "  --threads N              server threads = concurrent connections (default 64)\n"
    "  --clock ISO              start with the clock frozen at this ISO-8601 UTC time\n"
    "                           (default: real time; POST /sim/clock changes it)\n"
    "  --faults JSON            initial fault settings, same keys as POST /sim/faults, e.g.\n"
    "                           '{\"latency_mean_ms\":5,\"systemerror\":0.1,\"qps_cap\":100}'\n"
    "  --notify-ca FILE         CA file trusted for https notify_urls (default: system store)\n"
    "  --notify-timeout-ms N    timeout of one notification attempt (default 5000)\n"
    "  --notify-workers N       notifications sent in parallel (default 4)\n"
    "  --help                   this text\n";

int usageError(const std::string& msg) {
  std::cerr << "wxpay-sim: " << msg << "\n" << kUsage;
  return 2;
}

bool parseInt(const std::string& s, long long lo, long long hi, long long& out) {
  try {
    std::size_t pos = 0;
    out = std::stoll(s, &pos);
    return pos == s.size() && out >= lo && out <= hi;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    static const char* const kKnown[] = {
        "--config",        "--listen", "--seed",   "--tls-cert",  "--tls-key",
        "--threads",       "--clock",  "--faults", "--notify-ca", "--notify-timeout-ms",
        "--notify-workers"};
    bool known = false;
    for (const char* k : kKnown) known = known || a == k;
    if (!known) return usageError("unknown flag " + a);
    if (i + 1 >= argc) return usageError(a + " needs a value");
    flags[a] = argv[++i];
  }
  if (!flags.count("--config")) return usageError("--config is required");

  wx::ConfigLoadOptions load;
  load.require_db = false;
  auto config = wx::loadConfig(flags["--config"], load);
  if (!config) {
    std::cerr << "wxpay-sim: " << config.status().message() << "\n";
    return 2;
  }
  if (config->merchants.empty()) return usageError("the config names no [merchant.NAME]");

  wx::sim::ServerOptions server_options;
  const std::string listen = flags.count("--listen") ? flags["--listen"] : "127.0.0.1:0";
  const auto colon = listen.rfind(':');
  long long port = 0;
  if (colon == std::string::npos || !parseInt(listen.substr(colon + 1), 0, 65535, port)) {
    return usageError("--listen must be HOST:PORT");
  }
  server_options.host = listen.substr(0, colon);
  server_options.port = static_cast<int>(port);
  long long n = 0;
  std::uint64_t seed = 1;
  if (flags.count("--seed")) {
    if (!parseInt(flags["--seed"], 0, (1LL << 62), n)) return usageError("bad --seed");
    seed = static_cast<std::uint64_t>(n);
  }
  if (flags.count("--threads")) {
    if (!parseInt(flags["--threads"], 2, 4096, n)) return usageError("bad --threads");
    server_options.threads = static_cast<int>(n);
  }
  if (flags.count("--tls-cert") != flags.count("--tls-key")) {
    return usageError("--tls-cert and --tls-key go together");
  }
  server_options.tls_cert = flags["--tls-cert"];
  server_options.tls_key = flags["--tls-key"];
  int notify_timeout = 5000, notify_workers = 4;
  if (flags.count("--notify-timeout-ms")) {
    if (!parseInt(flags["--notify-timeout-ms"], 1, 600000, n))
      return usageError("bad --notify-timeout-ms");
    notify_timeout = static_cast<int>(n);
  }
  if (flags.count("--notify-workers")) {
    if (!parseInt(flags["--notify-workers"], 1, 256, n)) return usageError("bad --notify-workers");
    notify_workers = static_cast<int>(n);
  }

  wx::sim::SimClock clock;
  if (flags.count("--clock")) {
    auto t = wx::parseIso8601Utc(flags["--clock"]);
    if (!t) return usageError("--clock: " + t.status().message());
    clock.set(*t);
  }
  wx::sim::FaultInjector faults(seed);
  if (flags.count("--faults")) {
    auto f = wx::sim::parseFaultConfig(flags["--faults"], wx::sim::FaultConfig{});
    if (!f) return usageError(f.status().message());
    faults.configure(*f);
  }

  // Signals are taken synchronously by sigwait below; every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Poco::Net::initializeSSL();
  int rc = 0;
  try {
    wx::sim::SimState state(config->merchants);
    wx::sim::PayStats stats;
    wx::sim::Notifier notifier(state, clock, notify_workers, flags["--notify-ca"], notify_timeout);
    wx::sim::PayApi pay(state, clock, faults, stats);
    wx::sim::ControlApi control(state, clock, faults, stats, notifier);
    wx::sim::SimServer server(pay, control, server_options);
    server.start();
    std::cout << "wxpay-sim listening on " << server.url() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  } catch (const Poco::Exception& e) {
    std::cerr << "wxpay-sim: " << e.displayText() << "\n";
    rc = 1;
  } catch (const std::exception& e) {
    std::cerr << "wxpay-sim: " << e.what() << "\n";
    rc = 1;
  }
  Poco::Net::uninitializeSSL();
  return rc;
}
