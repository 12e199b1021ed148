#include "app/cli.h"

#include <Poco/Exception.h>

#include <iostream>
#include <set>

#include "app/commands.h"
#include "app/logging_setup.h"
#include "app/metrics_file.h"
#include "storage/database.h"

namespace wx {

namespace {

const FlagSpec kConfig{"config", true, "config file (default /etc/wxrecon/wxrecon.ini, else config/wxrecon.ini)"};
const FlagSpec kMch{"mch", true, "limit to one merchant (mch_id)"};
const FlagSpec kDryRun{"dry-run", false,
                       "read-only WeChat calls only; write nothing but the recon_run row"};
const FlagSpec kHelp{"help", false, "show this help"};
const FlagSpec kMetricsFile{"metrics-file", true,
                            "write Prometheus metrics here when the run ends (atomically)"};

// sweep, bill and rerun: --metrics-file (app/metrics_file.h) around the command.
std::function<int(CommandContext&)> withMetricsFile(int (*command)(CommandContext&)) {
  return [command](CommandContext& ctx) {
    return runWithMetricsFile(ctx, [&] { return command(ctx); });
  };
}

}  // namespace

const std::vector<CommandSpec>& commandTable() {
  static const std::vector<CommandSpec> kTable = {
      {"migrate", "apply the database migrations (idempotent)", "", {kConfig}, runMigrate},
      {"sweep",
       "one pass: query due unfinished orders, reconcile notifications, close expired orders",
       "",
       {kConfig, kMch, kDryRun, kMetricsFile, {"limit", true, "examine at most N orders"}},
       withMetricsFile(runSweep)},
      {"bill",
       "download and reconcile the daily bill (Beijing day; default yesterday)",
       "",
       {kConfig, kMch, kDryRun, kMetricsFile, {"date", true, "Beijing day YYYY-MM-DD"}},
       withMetricsFile(runBill)},
      {"rerun",
       "re-decide and re-reconcile a Beijing date range, then rewrite its reports",
       "",
       {kConfig, kMch, kDryRun, {"from", true, "first Beijing day YYYY-MM-DD"},
        {"to", true, "last Beijing day YYYY-MM-DD"},
        {"recheck-final", false, "also re-verify finished and REVIEW orders"},
        {"redownload", false, "download the bills again instead of using the archive"},
        kMetricsFile},
       withMetricsFile(runRerun)},
      {"report",
       "rewrite the report files of a date range from the database only",
       "",
       {kConfig, kMch, {"from", true, "first Beijing day"}, {"to", true, "last Beijing day"}},
       runReport},
      {"resolve",
       "close a discrepancy (and decide the state of an order in REVIEW)",
       "",
       {kConfig, {"discrepancy", true, "discrepancy id"}, {"note", true, "why (required)"},
        {"set-state", true, "new state for an order in REVIEW"},
        {"by", true, "who resolves it (default $SUDO_USER or $USER)"}},
       runResolve},
      {"daemon", "run sweeps and the daily bill on a schedule until SIGTERM", "", {kConfig, kMch},
       runDaemon},
      {"notify-server", "receive WeChat's payment notifications: verify, store, acknowledge", "",
       {kConfig}, runNotifyServer},
      {"sign",
       "print the sign of key=value lines (or an XML body) read from stdin",
       "",
       {{"sign-type", true, "MD5 or HMAC-SHA256 (default MD5)"},
        {"key-env", true, "environment variable holding the API key"},
        {"show-string", false, "also print the string-to-sign with the key masked"},
        {"xml", false, "stdin is an XML body (notification or answer)"},
        {"verify", false, "check the body's sign; exit 0 valid, 1 not"}},
       runSign},
      {"parse-bill",
       "parse and validate a downloaded bill (plain or gzip)",
       "FILE",
       {{"json", false, "print one JSON object"}},
       runParseBill},
  };
  return kTable;
}

namespace {

void printMainUsage(std::ostream& os) {
  os << "usage: wxrecon COMMAND [flags]   (wxrecon COMMAND --help for its flags)\n\ncommands:\n";
  for (const auto& c : commandTable()) {
    os << "  " << c.name << std::string(c.name.size() < 14 ? 14 - c.name.size() : 1, ' ')
       << c.summary << "\n";
  }
  os << "\nexit codes: 0 done, 1 run failed, 2 usage/configuration error, 3 new HIGH "
        "discrepancies, 4 bill not ready\n";
}

void printCommandUsage(const CommandSpec& c, std::ostream& os) {
  os << "usage: wxrecon " << c.name << " [flags]" << (c.args.empty() ? "" : " " + c.args) << "\n"
     << c.summary << "\n\nflags:\n";
  std::vector<FlagSpec> flags = c.flags;
  flags.push_back(kHelp);
  for (const auto& f : flags) {
    std::string left = "--" + f.name + (f.takes_value ? " VALUE" : "");
    os << "  " << left << std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') << f.help << "\n";
  }
}

}  // namespace

CommandContext::CommandContext(std::string command, std::map<std::string, std::string> values,
                               std::vector<std::string> positional, std::istream& in,
                               std::ostream& out, std::ostream& err)
    : command_(std::move(command)), values_(std::move(values)),
      positional_(std::move(positional)), in_(in), out_(out), err_(err) {}

CommandContext::~CommandContext() = default;

const Config* CommandContext::config(const ConfigLoadOptions& options) {
  if (config_) return &*config_;
  if (config_failed_) return nullptr;
  const std::string path = has("config") ? get("config") : defaultConfigPath();
  auto loaded = loadConfig(path, options);
  if (!loaded) {
    err_ << "wxrecon " << command_ << ": configuration error: " << loaded.status().message() << "\n";
    config_failed_ = true;
    return nullptr;
  }
  config_ = std::move(*loaded);
  setupLogging(config_->log_level, config_->log_file);
  return &*config_;
}

Database* CommandContext::database() {
  if (db_) return db_.get();
  const Config* c = config();
  if (c == nullptr) return nullptr;
  auto db = Database::open(c->db);
  if (!db) {
    err_ << "wxrecon " << command_ << ": " << db.status().message() << "\n";
    return nullptr;
  }
  db_ = std::move(*db);
  return db_.get();
}

int runCli(int argc, const char* const argv[], std::istream& in, std::ostream& out,
           std::ostream& err) {
  try {
    setupLogging("information", "");
    if (argc < 2) {
      printMainUsage(err);
      return kExitUsage;
    }
    // `--config FILE` may also come before the command: wxrecon --config F sweep.
    int first = 1;
    std::optional<std::string> leading_config;
    while (first < argc && std::string(argv[first]).rfind("--config", 0) == 0) {
      const std::string a = argv[first];
      if (a.rfind("--config=", 0) == 0) {
        leading_config = a.substr(9);
        first += 1;
      } else if (a == "--config" && first + 1 < argc) {
        leading_config = argv[first + 1];
        first += 2;
      } else {
        err << "wxrecon: flag '--config' needs a value\n";
        return kExitUsage;
      }
    }
    if (first >= argc) {
      printMainUsage(err);
      return kExitUsage;
    }
    const std::string name = argv[first];
    if (name == "--help" || name == "-h" || name == "help") {
      printMainUsage(out);
      return kExitOk;
    }
    const CommandSpec* spec = nullptr;
    for (const auto& c : commandTable()) {
      if (c.name == name) spec = &c;
    }
    if (spec == nullptr) {
      err << "wxrecon: unknown command '" << name << "'\n\n";
      printMainUsage(err);
      return kExitUsage;
    }
    std::map<std::string, std::string> values;
    std::vector<std::string> positional;
    if (leading_config) {
      bool takes_config = false;
      for (const auto& f : spec->flags) takes_config = takes_config || f.name == "config";
      if (!takes_config) {
        err << "wxrecon " << name << ": takes no --config\n";
        return kExitUsage;
      }
      values["config"] = *leading_config;
    }
    for (int i = first + 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        printCommandUsage(*spec, out);
        return kExitOk;
      }
      if (arg.rfind("--", 0) != 0 || arg == "--") {
        positional.push_back(arg);
        continue;
      }
      std::string flag = arg.substr(2);
      std::optional<std::string> inline_value;
      if (auto eq = flag.find('='); eq != std::string::npos) {
        inline_value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
      }
      const FlagSpec* fs = nullptr;
      for (const auto& f : spec->flags) {
        if (f.name == flag) fs = &f;
      }
      if (fs == nullptr) {
        err << "wxrecon " << name << ": unknown flag '--" << flag << "'\n\n";
        printCommandUsage(*spec, err);
        return kExitUsage;
      }
      if (values.count(flag)) {
        err << "wxrecon " << name << ": flag '--" << flag << "' given twice\n";
        return kExitUsage;
      }
      if (fs->takes_value) {
        if (inline_value) {
          values[flag] = *inline_value;
        } else if (i + 1 < argc) {
          values[flag] = argv[++i];
        } else {
          err << "wxrecon " << name << ": flag '--" << flag << "' needs a value\n";
          return kExitUsage;
        }
      } else {
        if (inline_value) {
          err << "wxrecon " << name << ": flag '--" << flag << "' takes no value\n";
          return kExitUsage;
        }
        values[flag] = "true";
      }
    }
    if (positional.size() > (spec->args.empty() ? 0u : 1u)) {
      err << "wxrecon " << name << ": unexpected argument '" << positional.back() << "'\n\n";
      printCommandUsage(*spec, err);
      return kExitUsage;
    }
    CommandContext ctx(name, std::move(values), std::move(positional), in, out, err);
    return spec->run(ctx);
  } catch (const Poco::Exception& e) {
    err << "wxrecon: " << e.displayText() << "\n";
    return kExitFailed;
  } catch (const std::exception& e) {
    err << "wxrecon: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace wx
