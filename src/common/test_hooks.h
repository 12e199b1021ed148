// Crash points and test switches (RELIABILITY.md T1; the chaos harness in tests/chaos/).
//
// Compiled in only when the build defines WXRECON_TEST_HOOKS (the -Werror test build does;
// release builds get inline no-ops), and even then inert unless armed by the environment:
//
//   WXRECON_CRASH_POINT=name:N      the N-th time (1-based) the process reaches crash point
//                                   `name`, it SIGKILLs itself (no destructors, no flush: a
//                                   real crash). Several points: "a:1,b:3".
//   WXRECON_CRASH_POINT_LOG=FILE    appends each reached point's name to FILE (one per line,
//                                   O_APPEND), so a harness learns which points a run passes.
//   WXRECON_TEST_SWITCHES=s1,s2     deliberately broken variants the invariant checker must
//                                   catch (kSwitches below); never set outside tests.
//
// Names are the fixed list kCrashPoints: the harness iterates over it, and crashPoint()
// refuses (aborts in test builds) an unknown name so the list cannot drift from the code.
#pragma once

#include <array>
#include <string_view>

namespace wx::hooks {

// Every side-effect boundary (issue 8): before/after each WeChat call, before/after COMMIT,
// between store and acknowledge, between bill parse and report write.
inline constexpr std::array<std::string_view, 12> kCrashPoints = {
    "wechat.before_call",      // a request is about to be sent
    "wechat.after_call",       // an answer was received, nothing written yet
    "db.before_commit",        // an order's transition is written, not committed
    "db.after_commit",         // committed, lease not yet forgotten by the worker
    "notify.before_commit",    // a notification body is written, not committed
    "notify.before_ack",       // committed, the acknowledgement not yet sent
    "bill.after_download",     // the bill bytes are archived, nothing reconciled
    "bill.before_commit",      // the day's findings are written, not committed
    "bill.before_report",      // the day is committed, its reports not yet written
    "report.before_rename",    // a report's temp file is written, not yet renamed
    "resolve.before_commit",   // a resolution is written, not committed
    "sweep.after_claim",       // a batch is claimed (leases held), nothing queried
};

// Deliberately broken behaviours, each of which the invariant checker must catch.
inline constexpr std::array<std::string_view, 4> kSwitches = {
    "ack_before_commit",   // notify-server acknowledges before its COMMIT (and then rolls back)
    "no_version_check",    // order writes skip the version/lease compare-and-set
    "close_without_query", // expired orders are closed without the first orderquery
    "md5_for_hmac",        // verification accepts MD5 where HMAC-SHA256 is configured
};

#ifdef WXRECON_TEST_HOOKS
void crashPoint(std::string_view name);
bool testSwitch(std::string_view name);
// Re-reads the environment (tests that set it after the first use).
void reloadForTests();
#else
inline void crashPoint(std::string_view) {}
inline bool testSwitch(std::string_view) { return false; }
inline void reloadForTests() {}
#endif

}  // namespace wx::hooks
