// The command line: `wxrecon COMMAND [flags]` (DESIGN.md §1). Parses flags against each
// command's declared list (unknown flag or command: usage, exit 2), then hands a
// CommandContext to the command's function. main.cpp only calls runCli().
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"

namespace wx {

class Database;

// Exit codes (DESIGN.md §1).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,
  kExitUsage = 2,  // usage or configuration error (incl. merchant-level config failure)
  kExitHighDiscrepancies = 3,
  kExitBillNotReady = 4,
};

struct FlagSpec {
  std::string name;  // without "--"
  bool takes_value = false;
  std::string help;
};

class CommandContext {
 public:
  CommandContext(std::string command, std::map<std::string, std::string> values,
                 std::vector<std::string> positional, std::istream& in, std::ostream& out,
                 std::ostream& err);
  ~CommandContext();

  const std::string& command() const { return command_; }
  bool has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string get(const std::string& flag, const std::string& def = "") const {
    auto it = values_.find(flag);
    return it == values_.end() ? def : it->second;
  }
  const std::vector<std::string>& positional() const { return positional_; }
  std::istream& in() { return in_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // Loads (once) the config named by --config or the default path, and sets up logging.
  // On failure prints the error to err() and returns nullptr (the command exits 2).
  const Config* config(const ConfigLoadOptions& options = {});
  // Opens (once) the database of the loaded config; nullptr after printing the error.
  Database* database();

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
  std::optional<Config> config_;
  bool config_failed_ = false;  // reported once
  std::unique_ptr<Database> db_;
};

struct CommandSpec {
  std::string name;
  std::string summary;
  std::string args;  // positional arguments for the usage line, e.g. "FILE"
  std::vector<FlagSpec> flags;
  std::function<int(CommandContext&)> run;
};

const std::vector<CommandSpec>& commandTable();

// Parses and runs; returns the process exit code. Never throws.
int runCli(int argc, const char* const argv[], std::istream& in, std::ostream& out,
           std::ostream& err);

}  // namespace wx
