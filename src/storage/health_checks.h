// Checks every run makes of the data it is about to trust.
#pragma once

#include <cstdint>

#include "common/status.h"

namespace wx {

class Database;

// DESIGN.md §4: warns (and returns the count) when merchant_order rows have created_at more
// than 5 minutes in the future of the database clock — an application writing local time
// instead of UTC, which would shift every expiry and every Beijing day by hours.
Result<std::int64_t> warnOnFutureCreatedAt(Database& db);

}  // namespace wx
