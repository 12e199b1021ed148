// Validating configuration text without the process's environment (DESIGN.md §8): what
// loadConfig() (app/config.h) does after reading its file, with the environment variables and
// files that *_env / *_file keys and wechat.ca_file name supplied by a ConfigEnv. loadConfig()
// passes ConfigEnv::process(); tests and the config fuzzer (tests/fuzz/fuzz_config.cpp) pass a
// fake, so a parse touches nothing they do not control.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "app/config.h"

namespace wx {

class ConfigEnv {
 public:
  struct SecretFile {
    std::string content;                   // as read; the loader trims trailing CR/LF/spaces
    bool readable_by_others = false;       // mode o+r
    bool readable_by_other_group = false;  // g+r, owned by a group other than the process's
  };
  virtual ~ConfigEnv() = default;
  // The variable's value; nullopt when it is not set.
  virtual std::optional<std::string> variable(const std::string& name) const = 0;
  // A *_file secret; nullopt when it cannot be read.
  virtual std::optional<SecretFile> secretFile(const std::string& path) const = 0;
  // True when a file (wechat.ca_file) can be read.
  virtual bool readable(const std::string& path) const = 0;

  // The process's environment and file system.
  static const ConfigEnv& process();
};

// Validates INI text as loadConfig() does, minus the config file's own permission check; `name`
// stands for the file in messages and in Config::path. Never throws.
Result<Config> parseConfig(std::istream& ini, const std::string& name, const ConfigEnv& env,
                           const ConfigLoadOptions& options = {});

}  // namespace wx
