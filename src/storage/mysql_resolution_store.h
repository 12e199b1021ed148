// MySQL implementation of ResolutionStore (src/service/resolution.h).
#pragma once

#include "service/resolution.h"

namespace wx {

class Database;

class MySqlResolutionStore final : public ResolutionStore {
 public:
  explicit MySqlResolutionStore(Database& db) : db_(db) {}
  Result<ResolveOutcome> resolve(const ResolveRequest& request, std::int64_t run_id) override;

 private:
  Database& db_;
};

}  // namespace wx
