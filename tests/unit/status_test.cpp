#include <catch2/catch.hpp>

#include "common/status.h"

using namespace wx;

TEST_CASE("Status codes say whether to retry", "[status]") {
  CHECK(Status::ok().isOk());
  CHECK(Status::unavailable("x").isRetryable());
  CHECK(Status::aborted("x").isRetryable());
  CHECK_FALSE(Status::invalidArgument("x").isRetryable());
  CHECK_FALSE(Status::dataLoss("x").isRetryable());
  CHECK(Status::notFound("no such order").toString() == "NotFound: no such order");
}

TEST_CASE("Result holds a value or a non-OK status", "[status]") {
  Result<int> good = 5;
  REQUIRE(good.isOk());
  CHECK(*good == 5);
  Result<int> bad = Status::notFound("gone");
  CHECK_FALSE(bad.isOk());
  CHECK(bad.status().code() == StatusCode::kNotFound);
  Result<int> misuse = Status::ok();  // a bug made visible, never a silent success
  CHECK_FALSE(misuse.isOk());
  CHECK(misuse.status().code() == StatusCode::kInternal);
}
