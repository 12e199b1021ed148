// `resolve`'s state rule (service/resolution.h): only REVIEW orders, only along DESIGN.md §5's
// table, paid states only with WeChat's transaction_id.
#include <catch2/catch.hpp>

#include "service/resolution.h"

using namespace wx;
using S = OrderState;

TEST_CASE("a person moves only a REVIEW order, along the table", "[resolution]") {
  struct Case {
    const char* why;
    S from, to;
    bool has_txn;
    bool ok;
    const char* says;  // part of the refusal
  };
  const Case cases[] = {
      {"REVIEW -> SUCCESS with a transaction id", S::kReview, S::kSuccess, true, true, ""},
      {"REVIEW -> REFUND with a transaction id", S::kReview, S::kRefund, true, true, ""},
      {"REVIEW -> CLOSED needs no payment evidence", S::kReview, S::kClosed, false, true, ""},
      {"REVIEW -> NOTPAY hands it back to the sweep", S::kReview, S::kNotPay, false, true, ""},
      {"REVIEW -> USERPAYING", S::kReview, S::kUserPaying, false, true, ""},
      {"REVIEW -> REVOKED", S::kReview, S::kRevoked, false, true, ""},
      {"REVIEW -> PAYERROR", S::kReview, S::kPayError, false, true, ""},
      {"SUCCESS without a transaction id: evidence missing", S::kReview, S::kSuccess, false, false,
       "evidence missing"},
      {"REFUND without a transaction id: evidence missing", S::kReview, S::kRefund, false, false,
       "evidence missing"},
      {"REVIEW -> REVIEW changes nothing", S::kReview, S::kReview, true, false, "already REVIEW"},
      {"a SUCCESS order is not a person's to move", S::kSuccess, S::kRefund, true, false,
       "not REVIEW"},
      {"a CLOSED order is not a person's to move", S::kClosed, S::kSuccess, true, false,
       "not REVIEW"},
      {"a NOTPAY order is the sweep's", S::kNotPay, S::kClosed, false, false, "not REVIEW"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    Status st = checkManualStateChange("P1", c.from, c.to, c.has_txn);
    CHECK(st.isOk() == c.ok);
    if (!c.ok) {
      CHECK(st.code() == StatusCode::kFailedPrecondition);
      CHECK_THAT(st.message(), Catch::Contains(c.says));
      CHECK_THAT(st.message(), Catch::Contains("P1"));
    }
  }
}

TEST_CASE("manual evidence names the discrepancy, who and why", "[resolution]") {
  ResolveRequest r;
  r.discrepancy_id = 42;
  r.note = "refunded by phone";
  r.resolved_by = "alice";
  r.os_user = "root";
  CHECK(manualEvidence(r, "PAID_AFTER_CLOSE") ==
        "resolve discrepancy=42 kind=PAID_AFTER_CLOSE by=alice os_user=root note=refunded by phone");
}
