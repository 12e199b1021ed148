// storage/group_commit.h: every item is written exactly once, in submission order within and
// across batches; blocking submitters get their own outcome; asynchronous ones get their item
// back with its outcome on the writer thread, also when the queue is destroyed with items
// pending.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/group_commit.h"

using wx::GroupCommit;

namespace {

struct Outcome {
  int value = -1;
  std::size_t batch_size = 0;
};
using Queue = GroupCommit<int, Outcome>;

}  // namespace

TEST_CASE("group commit: blocking submitters each get their own outcome", "[group_commit]") {
  std::mutex mu;
  std::vector<int> written;
  Queue q(
      [&](const std::vector<Queue::Entry>& batch) {
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& e : batch) {
          written.push_back(*e.item);
          e.outcome->value = *e.item * 10;
          e.outcome->batch_size = batch.size();
        }
      },
      8);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const int item = t * 1000 + i;
        Outcome o;
        q.submit(item, o);
        if (o.value != item * 10 || o.batch_size < 1 || o.batch_size > 8) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(written.size() == 16 * 50);
  CHECK(q.batches() >= 100);  // at most 8 per batch
}

TEST_CASE("group commit: asynchronous items come back with their outcome, in order",
          "[group_commit]") {
  std::vector<int> completed;  // written by the writer thread only
  std::thread::id writer_id;
  std::atomic<bool> other_thread{false};
  {
    Queue q(
        [&](const std::vector<Queue::Entry>& batch) {
          writer_id = std::this_thread::get_id();
          for (const auto& e : batch) e.outcome->value = *e.item + 1;
        },
        4);
    for (int i = 0; i < 100; ++i) {
      q.submitAsync(i, [&](int& item, Outcome& o) {
        if (std::this_thread::get_id() == writer_id) {
          if (o.value == item + 1) completed.push_back(item);
        } else {
          other_thread = true;
        }
      });
    }
    // The destructor writes what is still pending: every callback is called.
  }
  CHECK_FALSE(other_thread);
  REQUIRE(completed.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(completed[static_cast<std::size_t>(i)] == i);
}
