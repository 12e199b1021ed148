// `wxrecon resolve --discrepancy ID --note TEXT [--set-state S] [--by NAME]` (DESIGN.md §1,
// §4, §5): a person closes a discrepancy and, for an order in REVIEW, decides its state. One
// recon_run row (kind resolve) per attempt; a refusal writes nothing else and exits 2.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <ostream>

#include "app/commands.h"
#include "common/log.h"
#include "service/resolution.h"
#include "storage/database.h"
#include "storage/mysql_resolution_store.h"
#include "storage/mysql_stores.h"

namespace wx {

namespace {

constexpr std::size_t kMaxNote = 4000;
constexpr std::size_t kMaxName = 128;  // discrepancy.resolved_by / resolved_os_user

std::string envValue(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The account running the process (not the environment, which the caller controls).
std::string osUser() {
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "uid:" + std::to_string(::getuid());
}

bool isBlank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// Control characters would rewrite the terminal of whoever reads the note or name later.
bool hasControl(const std::string& s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (allow_newlines && (c == '\n' || c == '\t')) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

int runResolve(CommandContext& ctx) {
  auto usage = [&](const std::string& message) {
    ctx.err() << "wxrecon resolve: " << message << "\n";
    return kExitUsage;
  };
  ResolveRequest request;
  if (!ctx.has("discrepancy")) return usage("--discrepancy ID is required");
  const std::string id_text = ctx.get("discrepancy");
  try {
    std::size_t used = 0;
    request.discrepancy_id = std::stoll(id_text, &used);
    if (used != id_text.size() || request.discrepancy_id <= 0) throw std::invalid_argument("");
  } catch (const std::exception&) {
    return usage("--discrepancy must be a discrepancy id (a positive number), not '" +
                 id_text.substr(0, 40) + "'");
  }
  request.note = ctx.get("note");
  if (!ctx.has("note") || isBlank(request.note)) {
    return usage("--note TEXT is required: say why the discrepancy is resolved");
  }
  if (request.note.size() > kMaxNote) {
    return usage("--note is longer than " + std::to_string(kMaxNote) + " bytes");
  }
  if (hasControl(request.note, true)) return usage("--note contains control characters");
  if (ctx.has("set-state")) {
    auto state = parseOrderState(ctx.get("set-state"));
    if (!state) {
      return usage("--set-state: " + state.status().message() +
                   " (NOTPAY, USERPAYING, SUCCESS, REFUND, CLOSED, REVOKED, PAYERROR)");
    }
    request.set_state = *state;
  }
  request.os_user = osUser();
  if (ctx.has("by")) {
    request.resolved_by = ctx.get("by");
    if (isBlank(request.resolved_by)) return usage("--by must name a person");
  } else {
    request.resolved_by = envValue("SUDO_USER");
    if (request.resolved_by.empty()) request.resolved_by = envValue("USER");
    if (request.resolved_by.empty()) request.resolved_by = request.os_user;
  }
  if (request.resolved_by.size() > kMaxName || hasControl(request.resolved_by, false)) {
    return usage("the resolver's name (--by, $SUDO_USER or $USER) must be at most " +
                 std::to_string(kMaxName) + " printable bytes");
  }

  if (ctx.config() == nullptr) return kExitUsage;
  Database* db = ctx.database();
  if (db == nullptr) return kExitFailed;
  MySqlRunStore runs(*db);
  const std::string params =
      "discrepancy=" + std::to_string(request.discrepancy_id) + " by=" + request.resolved_by +
      (request.set_state ? std::string(" set-state=") + orderStateName(*request.set_state) : "");
  auto run = runs.start(RunKind::kResolve, params, false);
  if (!run) {
    ctx.err() << "wxrecon resolve: " << run.status().message() << "\n";
    return kExitFailed;
  }
  MySqlResolutionStore store(*db);
  auto done = store.resolve(request, *run);
  RunCounters counters;
  if (!done) {
    const Status& e = done.status();
    const bool refused = e.code() == StatusCode::kNotFound ||
                         e.code() == StatusCode::kFailedPrecondition ||
                         e.code() == StatusCode::kAborted;
    counters.failures = 1;
    (void)runs.finish(*run, "FAILED", counters, std::string(refused ? "refused: " : "") + e.message());
    logWarning("resolve.refused", {{"discrepancy", std::to_string(request.discrepancy_id)},
                                   {"reason", e.message()}});
    ctx.err() << "wxrecon resolve: " << (refused ? "refused: " : "failed: ") << e.message()
              << "\n";
    return refused ? kExitUsage : kExitFailed;
  }
  const ResolveOutcome& o = *done;
  counters.transitions = o.from_state ? 1 : 0;
  std::string summary = "discrepancy " + std::to_string(request.discrepancy_id) + " (" + o.kind +
                        ") resolved by " + request.resolved_by;
  if (o.from_state) {
    summary += "; order " + o.out_trade_no + " " + orderStateName(*o.from_state) + " -> " +
               *o.order_state;
  }
  (void)runs.finish(*run, "OK", counters, summary);
  logInfo("resolve.done", {{"discrepancy", std::to_string(request.discrepancy_id)},
                           {"kind", o.kind},
                           {"by", request.resolved_by},
                           {"os_user", request.os_user}});

  std::ostream& out = ctx.out();
  out << "resolve: run " << *run << ", discrepancy " << request.discrepancy_id << " (" << o.kind
      << ", " << o.severity << ", mch " << o.mch_id
      << (o.out_trade_no.empty() ? "" : ", order " + o.out_trade_no) << ") RESOLVED\n"
      << "  by:     " << request.resolved_by << " (os user " << request.os_user << ") at "
      << o.resolved_at << " UTC\n"
      << "  note:   " << request.note << "\n";
  if (o.from_state) {
    out << "  order:  " << o.out_trade_no << " " << orderStateName(*o.from_state) << " -> "
        << *o.order_state << " (order_transition source manual, run " << *run << ")\n";
  } else if (o.order_state) {
    out << "  order:  " << o.out_trade_no << " stays " << *o.order_state
        << (*o.order_state == "REVIEW" ? " (--set-state decides its state)" : "") << "\n";
  }
  return kExitOk;
}

}  // namespace wx
