// The reconciliation policy ([policy] in the config; DESIGN.md §5, §8). Pure data.
#pragma once

#include <chrono>
#include <vector>

namespace wx {

struct Policy {
  // A verified, amount-matching notification proves payment by itself (WeChat allows it).
  bool notification_is_evidence = false;
  // Seconds after expire_at before an order is closed; also the spacing of the confirming
  // queries around a close and of the two ORDERNOTEXIST answers that close a never-created order.
  int close_grace_s = 60;
  // Next check after an unknown outcome, by consecutive unknown count; QUERY_EXHAUSTED after.
  std::vector<std::chrono::seconds> query_backoff = {
      std::chrono::seconds(15),   std::chrono::seconds(30),   std::chrono::seconds(60),
      std::chrono::seconds(120),  std::chrono::seconds(300),  std::chrono::seconds(600),
      std::chrono::seconds(1800), std::chrono::seconds(3600)};
  // Next check after a definitive unpaid answer; the last value repeats.
  std::vector<std::chrono::seconds> poll_schedule = {
      std::chrono::seconds(60), std::chrono::seconds(120), std::chrono::seconds(300),
      std::chrono::seconds(600), std::chrono::seconds(1800)};
  bool expect_notifications = true;
};

}  // namespace wx
