// wouldOpenFindings (service/stores.h): the one dry-run rule shared by sweep, bill and rerun —
// which findings a real run would open, and what happens to one the store cannot judge.
#include <catch2/catch.hpp>

#include "service/stores.h"

using namespace wx;

namespace {

// Judges by out_trade_no: "new" opens, "known" does not, "broken" cannot be judged.
class JudgingStore final : public DiscrepancyStore {
 public:
  int asked = 0;
  Result<ApplyResult> record(const std::vector<Finding>&, std::int64_t) override {
    return Status::internal("a dry run must not record");
  }
  Result<bool> wouldOpen(const Finding& f) override {
    ++asked;
    if (f.out_trade_no == "broken") return Status::unavailable("lost connection");
    return f.out_trade_no == "new";
  }
};

Finding finding(DiscrepancyKind kind, const std::string& out_trade_no) {
  Finding f;
  f.kind = kind;
  f.mch_id = "10000100";
  f.out_trade_no = out_trade_no;
  return f;
}

std::vector<std::string> names(const std::vector<const Finding*>& fs) {
  std::vector<std::string> out;
  for (const Finding* f : fs) out.push_back(f->out_trade_no);
  return out;
}

}  // namespace

TEST_CASE("wouldOpenFindings: which findings a real run would open", "[unit][dry_run]") {
  const std::vector<Finding> fs = {finding(DiscrepancyKind::kAmountMismatch, "new"),
                                   finding(DiscrepancyKind::kLocalOnly, "known"),
                                   finding(DiscrepancyKind::kBillOnly, "broken"),
                                   finding(DiscrepancyKind::kPaidAfterClose, "new")};
  JudgingStore store;

  SECTION("an unjudged finding counts as opening by default (sweep, rerun)") {
    auto opened = wouldOpenFindings(&store, fs, "test.would_open_unknown");
    CHECK(names(opened) == std::vector<std::string>{"new", "broken", "new"});
    CHECK(opened.front() == &fs[0]);  // pointers into the caller's findings, in order
    CHECK(opened.back()->kind == DiscrepancyKind::kPaidAfterClose);
    CHECK(store.asked == 4);
  }
  SECTION("with a counter, an unjudged finding is counted there and left out (bill)") {
    std::int64_t unjudged = 5;
    auto opened = wouldOpenFindings(&store, fs, "test.would_open_unknown", &unjudged);
    CHECK(names(opened) == std::vector<std::string>{"new", "new"});
    CHECK(unjudged == 6);
  }
  SECTION("without a store every finding opens") {
    std::int64_t unjudged = 0;
    CHECK(wouldOpenFindings(nullptr, fs, "test.would_open_unknown", &unjudged).size() == 4);
    CHECK(unjudged == 0);
  }
  SECTION("no findings, nothing asked") {
    CHECK(wouldOpenFindings(&store, {}, "test.would_open_unknown").empty());
    CHECK(store.asked == 0);
  }
}
