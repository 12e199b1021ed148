// Group commit: many threads each hand one item to a single writer thread, which takes
// everything pending (at most `max_batch`) and writes it with one call (one transaction, one
// durable COMMIT), then wakes every submitter of that batch with its own result. While a batch
// is being written the next one gathers, so the batch size follows the load: one item when idle,
// up to max_batch under pressure, with no timer (an idle submitter never waits for company).
//
// submit() blocks until the batch holding the item has been written (or failed: the writer
// function sets every result, success or error). The writer function must not throw. Thread-safe.
// The writer thread starts on the first submit(); the destructor finishes the pending batches and
// joins it.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wx {

template <typename Item, typename Outcome>
class GroupCommit {
 public:
  // A submitter's own wake-up: its own mutex too, so that the writer waking a batch of
  // submitters does not hold the queue's mutex while they wake (each woken submitter used to
  // block again on that mutex at once: one more context switch per item).
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  struct Entry {
    const Item* item;
    Outcome* outcome;
    Waiter* waiter;
  };
  // Writes one batch: sets *entry.outcome for every entry.
  using WriteBatch = std::function<void(const std::vector<Entry>&)>;

  GroupCommit(WriteBatch write, std::size_t max_batch)
      : write_(std::move(write)), max_batch_(max_batch) {}
  ~GroupCommit() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_writer_.notify_one();
    if (writer_.joinable()) writer_.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  void submit(const Item& item, Outcome& outcome) {
    Waiter waiter;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!writer_.joinable()) writer_ = std::thread([this] { run(); });
      pending_.push_back({&item, &outcome, &waiter});
      // An idle writer is waiting for this; a busy one takes it with its next batch.
      if (!writing_) wake_writer_.notify_one();
    }
    // Each submitter has its own condition: a written batch wakes exactly its own submitters
    // (one shared condition woke every waiting handler thread on every batch).
    std::unique_lock<std::mutex> lock(waiter.mu);
    waiter.cv.wait(lock, [&] { return waiter.done; });
  }

  // Batches written so far (metrics, benchmarks).
  std::uint64_t batches() const { return batches_.load(); }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_writer_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left
      const std::size_t n = std::min(pending_.size(), max_batch_);
      std::vector<Entry> batch(pending_.begin(), pending_.begin() + static_cast<long>(n));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(n));
      writing_ = true;
      lock.unlock();
      write_(batch);
      ++batches_;
      for (const Entry& e : batch) {
        // Under the waiter's mutex: its submitter cannot see `done`, return and destroy the
        // waiter before notify_one() has returned.
        std::lock_guard<std::mutex> wl(e.waiter->mu);
        e.waiter->done = true;
        e.waiter->cv.notify_one();
      }
      lock.lock();
      writing_ = false;
    }
  }

  WriteBatch write_;
  const std::size_t max_batch_;
  std::mutex mu_;
  std::condition_variable wake_writer_;
  std::deque<Entry> pending_;
  std::atomic<std::uint64_t> batches_{0};
  bool writing_ = false;  // the writer is writing a batch (not waiting on wake_writer_)
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace wx
