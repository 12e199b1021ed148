// Commands whose capability has not landed yet: each says so and exits 2 (never a fake success).
// When a command lands, its function moves to its own cmd_*.cpp and leaves this file.
// (Every command of DESIGN.md §1 has landed.)
#include "app/commands.h"

namespace wx {}  // namespace wx
