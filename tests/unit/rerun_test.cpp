// The rerun loop (service/rerun.h) over a fake RerunSteps: order of the steps, failures kept
// per merchant-day, the stop flag, the exit code.
#include <catch2/catch.hpp>

#include <map>

#include "service/rerun.h"

using namespace wx;
using Catch::Contains;

namespace {

class FakeSteps : public RerunSteps {
 public:
  std::vector<std::string> calls;
  std::map<std::string, Status> recheck_error;  // "mch day" -> error
  std::map<std::string, int> bill_exit;
  std::map<std::string, Status> report_error;
  std::int64_t high_from_recheck = 0;
  std::atomic<bool>* stop_after_first = nullptr;

  static std::string key(const std::string& mch, const CivilDate& d) {
    return mch + " " + formatIsoDate(d);
  }
  Result<RecheckCounts> recheckOrders(const std::string& mch, const CivilDate& day,
                                      bool include_final) override {
    calls.push_back("a " + key(mch, day) + (include_final ? " final" : ""));
    if (stop_after_first) stop_after_first->store(true);
    auto e = recheck_error.find(key(mch, day));
    if (e != recheck_error.end()) return e->second;
    RecheckCounts c;
    c.orders = 5;
    c.skipped_leased = 1;
    c.transitions = 2;
    c.discrepancies_new = high_from_recheck;
    c.discrepancies_high_new = high_from_recheck;
    return c;
  }
  BillStepResult reconcileBill(const std::string& mch, const CivilDate& day,
                               bool redownload) override {
    calls.push_back("b " + key(mch, day) + (redownload ? " redownload" : ""));
    auto e = bill_exit.find(key(mch, day));
    BillStepResult r;
    r.exit_code = e == bill_exit.end() ? 0 : e->second;
    r.note = "from the archive";
    return r;
  }
  Result<std::vector<std::string>> writeReports(const std::string& mch,
                                                const CivilDate& day) override {
    calls.push_back("c " + key(mch, day));
    auto e = report_error.find(key(mch, day));
    if (e != report_error.end()) return e->second;
    return std::vector<std::string>{"reports/" + mch + "/" + formatIsoDate(day) +
                                    "/reconciliation.csv"};
  }
};

RerunOptions options(int days, std::vector<std::string> mchs) {
  RerunOptions o;
  o.range = RerunRange{{2026, 11, 1}, addDays({2026, 11, 1}, days - 1), days};
  o.mch_ids = std::move(mchs);
  return o;
}

}  // namespace

TEST_CASE("rerun runs re-decide, bill, reports per merchant-day, oldest day first", "[rerun]") {
  FakeSteps steps;
  auto o = options(2, {"A", "B"});
  o.recheck_final = true;
  o.redownload = true;
  std::vector<std::string> progress;
  o.progress = [&](int done, int total, const CivilDate& d) {
    progress.push_back(std::to_string(done) + "/" + std::to_string(total) + " " +
                       formatIsoDate(d));
  };
  std::atomic<bool> stop{false};
  auto s = runRerun(steps, o, stop);
  CHECK(steps.calls == std::vector<std::string>{
                           "a A 2026-11-01 final", "b A 2026-11-01 redownload", "c A 2026-11-01",
                           "a B 2026-11-01 final", "b B 2026-11-01 redownload", "c B 2026-11-01",
                           "a A 2026-11-02 final", "b A 2026-11-02 redownload", "c A 2026-11-02",
                           "a B 2026-11-02 final", "b B 2026-11-02 redownload", "c B 2026-11-02"});
  CHECK(progress ==
        std::vector<std::string>{"0/2 2026-11-01", "1/2 2026-11-02", "2/2 2026-11-02"});
  CHECK(s.days.size() == 4);
  CHECK(s.exitCode() == 0);
  const std::string text = s.render();
  CHECK_THAT(text, Contains("rerun: 2026-11-01 .. 2026-11-02 (2 days)"));
  CHECK_THAT(text, Contains("2026-11-02 B: 5 orders re-decided (1 leased, skipped), 2 "
                            "transitions; bill reconciled (from the archive); reports written"));
  CHECK_THAT(text, Contains("report: reports/B/2026-11-02/reconciliation.csv"));
}

TEST_CASE("a dry rerun skips the reports step and says what it would write", "[rerun]") {
  FakeSteps steps;
  steps.high_from_recheck = 1;
  auto o = options(1, {"A"});
  o.dry_run = true;
  std::atomic<bool> stop{false};
  auto s = runRerun(steps, o, stop);
  CHECK(steps.calls == std::vector<std::string>{"a A 2026-11-01", "b A 2026-11-01"});
  CHECK(s.exitCode() == 3);  // what a real run would have opened decides, as for bill --dry-run
  const std::string text = s.render();
  CHECK_THAT(text, Contains("(1 day), dry run: nothing written"));
  CHECK_THAT(text, Contains("2 transitions (would write); bill reconciled (from the archive); "
                            "reports not rewritten"));
  CHECK_THAT(text, Contains("new discrepancies (would open): 1 (HIGH 1)"));
  CHECK_THAT(text, !Contains("report: "));
}

TEST_CASE("a failed merchant-day is recorded and the others go on", "[rerun]") {
  FakeSteps steps;
  steps.recheck_error["A 2026-11-01"] = Status::unavailable("database unreachable");
  steps.report_error["B 2026-11-01"] = Status::unavailable("reports/B: disk full");
  std::atomic<bool> stop{false};
  auto s = runRerun(steps, options(1, {"A", "B"}), stop);
  // A's re-decide failed: no bill, no reports for A; B ran all three.
  CHECK(steps.calls == std::vector<std::string>{"a A 2026-11-01", "a B 2026-11-01",
                                                "b B 2026-11-01", "c B 2026-11-01"});
  CHECK(s.exitCode() == 1);
  CHECK_THAT(s.render(), Contains("A: re-decide failed: database unreachable"));
  CHECK_THAT(s.render(), Contains("reports failed: reports/B: disk full"));
}

TEST_CASE("rerun's exit code follows DESIGN.md §1's order", "[rerun]") {
  struct Case {
    const char* why;
    std::map<std::string, int> bills;
    bool config_in_recheck;
    std::int64_t high;
    int exit;
  };
  const Case cases[] = {
      {"all reconciled", {}, false, 0, 0},
      {"new HIGH from the bill", {{"A 2026-11-01", 3}}, false, 0, 3},
      {"new HIGH from re-deciding", {}, false, 1, 3},
      {"a bill not ready beats HIGH", {{"A 2026-11-01", 3}, {"A 2026-11-02", 4}}, false, 0, 4},
      {"a failed download beats not ready", {{"A 2026-11-01", 1}, {"A 2026-11-02", 4}}, false, 0,
       1},
      {"a configuration failure beats HIGH", {{"A 2026-11-01", 3}}, true, 0, 2},
      {"a failure beats a configuration failure (the bill's order)", {{"A 2026-11-01", 1}}, true,
       0, 1},
      {"not ready beats a configuration failure", {{"A 2026-11-01", 4}}, true, 0, 4},
      {"a bill configuration failure", {{"A 2026-11-02", 2}}, false, 0, 2},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    FakeSteps steps;
    steps.bill_exit = c.bills;
    steps.high_from_recheck = c.high;
    if (c.config_in_recheck) {
      steps.recheck_error["A 2026-11-02"] = Status::failedPrecondition("SIGNERROR");
    }
    std::atomic<bool> stop{false};
    CHECK(runRerun(steps, options(2, {"A"}), stop).exitCode() == c.exit);
  }
}

TEST_CASE("a stop signal ends the rerun between merchant-days", "[rerun]") {
  FakeSteps steps;
  std::atomic<bool> stop{false};
  steps.stop_after_first = &stop;
  auto s = runRerun(steps, options(3, {"A", "B"}), stop);
  // The merchant-day in progress finishes; nothing after it starts.
  CHECK(steps.calls ==
        std::vector<std::string>{"a A 2026-11-01", "b A 2026-11-01", "c A 2026-11-01"});
  CHECK(s.interrupted);
  CHECK(s.exitCode() == 1);
  CHECK_THAT(s.render(), Contains("INTERRUPTED"));
}
