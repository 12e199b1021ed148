// Group commit: many threads each hand one item to a single writer thread, which takes
// everything pending (at most `max_batch`) and writes it with one call (one transaction, one
// durable COMMIT), then wakes every submitter of that batch with its own result. While a batch
// is being written the next one gathers, so the batch size follows the load: one item when idle,
// up to max_batch under pressure, with no timer (an idle submitter never waits for company).
//
// submit() blocks until the batch holding the item has been written (or failed: the writer
// function sets every result, success or error). submitAsync() returns at once: the item is
// moved in, and `done` is called on the writer thread with it and its outcome once the batch is
// written (before the next batch starts: keep it short, it must not throw). The writer function
// must not throw. Thread-safe.
// The writer thread starts on the first submit(); the destructor finishes the pending batches and
// joins it.
#pragma once

#include <semaphore.h>

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
  // A submitter's own wake-up: a semaphore, so that a woken submitter never blocks again on a
  // mutex its waker still holds (with a mutex and condition each woken submitter often did: the
  // kernel runs the woken thread at once, it finds the mutex taken and sleeps again, one more
  // pair of context switches per item; the queue's mutex before that had the same effect).
  // POSIX lets the submitter destroy it as soon as sem_wait() returns, even while sem_post() is
  // still returning in the writer.
  struct Waiter {
    Waiter() { sem_init(&sem, 0, 0); }
    ~Waiter() { sem_destroy(&sem); }
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    sem_t sem;
  };
  // What happens to an entry once its batch is written: its submitter is woken, or its
  // callback called.
  struct Completion {
    virtual ~Completion() = default;
    virtual void complete() = 0;  // once; may delete itself
  };
  struct Entry {
    const Item* item;
    Outcome* outcome;
    Completion* completion;
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
    struct Wake final : Completion {
      void complete() override { sem_post(&waiter.sem); }
      Waiter waiter;
    } wake;
    enqueue({&item, &outcome, &wake});
    // Each submitter has its own semaphore: a written batch wakes exactly its own submitters
    // (one shared condition woke every waiting handler thread on every batch).
    while (sem_wait(&wake.waiter.sem) != 0) {
      // EINTR: a signal handler ran; the outcome is not set yet.
    }
  }

  void submitAsync(Item item, std::function<void(Item&, Outcome&)> done) {
    struct Call final : Completion {
      Call(Item i, std::function<void(Item&, Outcome&)> d) : item(std::move(i)), done(std::move(d)) {}
      void complete() override {
        done(item, outcome);
        delete this;
      }
      Item item;
      Outcome outcome;
      std::function<void(Item&, Outcome&)> done;
    };
    auto* call = new Call(std::move(item), std::move(done));
    enqueue({&call->item, &call->outcome, call});
  }

  // Batches written so far (metrics, benchmarks).
  std::uint64_t batches() const { return batches_.load(); }

 private:
  void enqueue(const Entry& e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!writer_.joinable()) writer_ = std::thread([this] { run(); });
    pending_.push_back(e);
    // An idle writer is waiting for this; a busy one takes it with its next batch.
    if (!writing_) wake_writer_.notify_one();
  }

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
      // The outcomes were set by write_: sem_post() publishes them to a waiting submitter.
      for (const Entry& e : batch) e.completion->complete();
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
