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
  struct Entry {
    const Item* item;
    Outcome* outcome;
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
    std::unique_lock<std::mutex> lock(mu_);
    if (!writer_.joinable()) writer_ = std::thread([this] { run(); });
    const std::uint64_t ticket = ++submitted_;
    pending_.push_back({&item, &outcome});
    wake_writer_.notify_one();
    batch_done_.wait(lock, [&] { return written_ >= ticket; });
  }

  // Batches written so far and items in them (metrics, benchmarks).
  std::uint64_t batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_writer_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left
      const std::size_t n = std::min(pending_.size(), max_batch_);
      std::vector<Entry> batch(pending_.begin(), pending_.begin() + static_cast<long>(n));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(n));
      lock.unlock();
      write_(batch);
      lock.lock();
      // Tickets are handed out in queue order and batches taken from its front: the batch just
      // written holds exactly the next n tickets.
      written_ += n;
      ++batches_;
      batch_done_.notify_all();
    }
  }

  WriteBatch write_;
  const std::size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable wake_writer_, batch_done_;
  std::deque<Entry> pending_;
  std::uint64_t submitted_ = 0, written_ = 0, batches_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace wx
