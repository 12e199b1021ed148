// Crash points (RELIABILITY.md T1; the chaos harness in tests/chaos/).
//
// Compiled in only when the build defines WXRECON_TEST_HOOKS (the -Werror test build does;
// release builds get inline no-ops), and even then inert unless armed by the environment:
//
//   WXRECON_CRASH_POINT=name:N      the N-th time (1-based) the process reaches crash point
//                                   `name`, it SIGKILLs itself (no destructors, no flush: a
//                                   real crash). Several points: "a:1,b:3".
//   WXRECON_CRASH_POINT_LOG=FILE    appends each reached point's name to FILE (one per line,
//                                   O_APPEND), so a harness learns which points a run passes.
//   WXRECON_TEST_BREAK=name[,name]  switches on deliberately broken variants of the real code
//                                   (kBreakNames below): the chaos tests run them to prove the
//                                   invariant checker catches each one. Never set in production;
//                                   release builds compile broken() to constant false.
//
// Names are the fixed list kCrashPoints: the harness iterates over it, and crashPoint()
// refuses (aborts in test builds) an unknown name so the list cannot drift from the code.
#pragma once

#include <array>
#include <string_view>

namespace wx::hooks {

// Every side-effect boundary (issue 8): before/after each WeChat call, before/after COMMIT,
// between store and acknowledge, between bill parse and report write.
// "db.*" fire in every transactional unit of work (Database::run): the sweep's and the
// confirmer's applies, the bill's and resolve's writes; and around the notify store's group
// commit, which runs its own transaction (READ COMMITTED).
inline constexpr std::array<std::string_view, 9> kCrashPoints = {
    "wechat.before_call",    // a request is about to be sent
    "wechat.after_call",     // an answer was received, nothing written yet
    "db.before_commit",      // a unit of work is written, not committed
    "db.after_commit",       // committed, the caller not yet told
    "notify.before_ack",     // a notification is committed, the acknowledgement not yet sent
    "bill.after_download",   // the day's bill is archived, nothing reconciled
    "bill.before_report",    // the day is committed, its reports not yet written
    "report.before_rename",  // a report's temp file is written and synced, not yet renamed
    "sweep.after_claim",     // a batch is claimed (leases held), nothing queried
};

// Broken variants (issue 8: "prove the checker works"), each a small hook in the code it breaks
// (tests/chaos/broken_variants_test.cpp runs them):
enum class Break {
  // notify-server answers SUCCESS to a verified notification before storing it (with
  // WXRECON_CRASH_POINT=db.before_commit:N at the commit storing it, an acknowledged body is
  // lost; invariant 9).
  kAckBeforeCommit,
  // the order store writes a decision without its compare-and-set fence (version, lease
  // generation, lease owner and expiry): a worker stalled past its lease overwrites
  // (invariants 10, 4, 5).
  kNoVersionCheck,
  // the order checker closes an expired order as if WeChat had confirmed the close, without the
  // orderquery or the closeorder (invariant 7).
  kCloseWithoutQuery,
  // the signer signs and verifies with MD5 when HMAC-SHA256 is configured, and accepts an MD5
  // sign where only HMAC-SHA256 is allowed: the downgrade invariant 15 forbids.
  kMd5WhenHmac,
};
inline constexpr std::array<std::string_view, 4> kBreakNames = {
    "ack_before_commit", "no_version_check", "close_without_query", "md5_when_hmac"};

#ifdef WXRECON_TEST_HOOKS
void crashPoint(std::string_view name);
// True when WXRECON_TEST_BREAK names this variant (read once; an unknown name aborts).
bool broken(Break b);
// Re-reads the environment (tests that set it after the first use).
void reloadForTests();
#else
inline void crashPoint(std::string_view) {}
constexpr bool broken(Break) { return false; }
inline void reloadForTests() {}
#endif

}  // namespace wx::hooks
