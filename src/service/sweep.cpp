#include "service/sweep.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "common/test_hooks.h"
#include "service/prefetched_notifications.h"

namespace wx {

int SweepSummary::exitCode() const {
  if (db_failed) return 1;
  if (!stopped_merchants.empty()) return 2;
  if (store_failures > 0) return 1;
  if (wechat_calls > 0 && transport_failures == wechat_calls) return 1;
  if (new_high > 0) return 3;
  return 0;
}

std::string SweepSummary::runStatus() const {
  if (dry_run) return "DRY_RUN";
  if (db_failed || store_failures > 0 || (wechat_calls > 0 && transport_failures == wechat_calls)) {
    return "FAILED";
  }
  if (!stopped_merchants.empty()) return "CONFIG_FAILURE";
  if (interrupted) return "INTERRUPTED";
  return "OK";
}

std::string SweepSummary::render() const {
  std::ostringstream os;
  os << "sweep" << (dry_run ? " (dry run: nothing written)" : "") << ": run " << run_id << ", "
     << runStatus() << ", " << static_cast<std::int64_t>(elapsed_s * 1000) / 1000.0 << " s\n";
  os << "  orders examined:    " << examined;
  if (!by_outcome.empty()) {
    os << " (";
    bool first = true;
    for (const auto& [label, n] : by_outcome) {
      os << (first ? "" : ", ") << label << " " << n;
      first = false;
    }
    os << ")";
  }
  os << "\n  transitions:        " << transitions << (dry_run ? " (would write)" : "") << "\n";
  std::int64_t total_new = 0;
  for (const auto& kv : new_discrepancies) total_new += kv.second;
  os << "  new discrepancies:  " << total_new << " (HIGH " << new_high << ")";
  for (const auto& [kind, n] : new_discrepancies) os << " " << kind << "=" << n;
  os << "\n  wechat calls:       " << wechat_calls << " (not definitive " << call_failures
     << ", unreachable " << transport_failures << ")\n";
  os << "  failures:           lost leases " << lost_leases << ", store errors " << store_failures
     << ", releases (untouched) " << released << "\n";
  if (unmanaged_due > 0) {
    os << "  not managed:        " << unmanaged_due
       << " due orders of merchants without a [merchant.*] section (never queried)\n";
  }
  for (const auto& [mch, msg] : stopped_merchants) {
    os << "  STOPPED merchant " << mch << ": configuration failure: " << msg << "\n";
  }
  if (db_failed) os << "  DATABASE FAILURE: " << db_error << "\n";
  if (interrupted) os << "  interrupted by a signal: claimed orders not started were released\n";
  return os.str();
}

namespace {
// Decisions written per transaction (OrderStore::applyBatch), and how long the writer waits for
// a fuller batch once one decision is pending: a decision waits at most that long (plus the
// write in progress) before its order's lease is released. At the benchmark's ~800 orders/s,
// 20 ms wrote ~18 decisions a transaction (~9 database round trips each, 1,083 transactions
// for 20,000 orders); 100 ms fills the 64.
constexpr std::size_t kWriteBatch = 64;
constexpr std::size_t kMaxWriteBatch = 256;
constexpr std::chrono::milliseconds kWriteLinger{100};
}  // namespace

struct Sweep::Impl {
  Impl(SweepDeps d, SweepOptions o)
      : deps(d),
        opt(std::move(o)),
        notes(deps.notifications),
        checker(notes, deps.client, deps.clock, opt.merchants, opt.policy),
        rng(opt.seed) {
    for (const auto& m : opt.merchants) merchants.emplace(m.mch_id, m);
  }

  SweepDeps deps;
  SweepOptions opt;
  // The claimed batch's notification rows, read in one query by the claiming thread; the
  // checker's per-order read takes them from memory.
  PrefetchedNotifications notes;
  OrderChecker checker;
  std::map<std::string, MerchantConfig> merchants;
  std::string owner;
  std::chrono::steady_clock::time_point started;

  std::mutex mu;  // guards everything below
  // Separate wake-ups, so that no event wakes every thread: work_cv wakes workers (orders
  // queued, or no more coming); room_cv wakes the claiming thread (the queue fell below
  // low_water, or the last busy worker finished).
  std::condition_variable work_cv;
  std::condition_variable room_cv;
  std::deque<Order> queue;
  std::size_t low_water = 0;
  bool no_more = false;
  int busy = 0;
  // Decisions waiting for the writer thread (real run only).
  struct PendingWrite {
    Order order;
    Decision decision;
  };
  std::deque<PendingWrite> writes;
  std::condition_variable write_cv;
  bool no_more_writes = false;
  std::mt19937_64 rng;
  SweepSummary sum;
  std::int64_t claimed = 0;

  double jitter() {
    std::lock_guard<std::mutex> lock(mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }
  bool merchantStopped(const std::string& mch) {
    std::lock_guard<std::mutex> lock(mu);
    return sum.stopped_merchants.count(mch) > 0;
  }
  void release(const Order& o) {
    if (!opt.dry_run) {
      Status st = deps.orders.release(o, owner);
      if (!st.isOk()) {
        logWarning("sweep.release_failed",
                   {{"out_trade_no", o.out_trade_no}, {"error", st.message()}});
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    ++sum.released;
  }

  void process(const Order& o, const std::atomic<bool>& stop);
  void record(const Order& o, const Decision& d);
  void writer();
  void account(const Order& o, const Result<ApplyResult>& r, const Decision& d);
  void worker(const std::atomic<bool>& stop);
  void progress();
};

void Sweep::Impl::process(const Order& o, const std::atomic<bool>& stop) {
  if (stop.load() || merchantStopped(o.mch_id)) {
    release(o);
    return;
  }
  CheckOptions options;
  options.source = TransitionSource::kQuery;
  options.allow_close = !opt.dry_run;
  options.abandon = [&] { return merchantStopped(o.mch_id); };
  CheckResult r = checker.check(o, merchants.at(o.mch_id), options, jitter());
  {
    std::lock_guard<std::mutex> lock(mu);
    sum.wechat_calls += r.wechat_calls;
    sum.call_failures += r.call_failures;
    sum.transport_failures += r.transport_failures;
  }
  switch (r.end) {
    case CheckEnd::kDecided:
      break;
    case CheckEnd::kCloseWanted:  // dry run only: closeorder is never called
      r.decision.outcome = "would_close";
      break;
    case CheckEnd::kAbandoned:  // another worker hit this merchant's configuration failure
      release(o);
      return;
    case CheckEnd::kNotificationsUnreadable: {
      // Without its notifications the order cannot be reconciled: leave it for the next run.
      logWarning("sweep.notifications_unreadable",
                 {{"out_trade_no", o.out_trade_no}, {"error", r.error}});
      release(o);
      std::lock_guard<std::mutex> lock(mu);
      ++sum.store_failures;
      return;
    }
    case CheckEnd::kMerchantStopped: {
      bool first = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        first = sum.stopped_merchants.emplace(o.mch_id, r.stop_reason).second;
      }
      if (first) {
        logError("sweep.merchant_stopped",
                 {{"mch_id", o.mch_id},
                  {"reason", r.stop_reason},
                  {"effect", "no more WeChat calls for this merchant in this run; exit 2"}});
      }
      release(o);
      return;
    }
    case CheckEnd::kLoopBug: {
      // Only a bug in decide() gets here: write nothing, leave the order for the next run.
      logError("sweep.decision_loop", {{"out_trade_no", o.out_trade_no}});
      release(o);
      std::lock_guard<std::mutex> lock(mu);
      ++sum.store_failures;
      return;
    }
  }
  record(o, r.decision);
}

void Sweep::Impl::record(const Order& o, const Decision& d) {
  if (opt.dry_run) {
    const std::vector<const Finding*> opened =
        wouldOpenFindings(deps.discrepancies, d.findings, "sweep.would_open_unknown");
    std::lock_guard<std::mutex> lock(mu);
    ++sum.examined;
    ++sum.by_outcome[d.outcome];
    sum.transitions += static_cast<std::int64_t>(d.transitions.size());
    for (const Finding* f : opened) {
      ++sum.new_discrepancies[discrepancyKindName(f->kind)];
      if (severityOf(f->kind) == Severity::kHigh) ++sum.new_high;
    }
    return;
  }
  // Written by the writer thread, with other orders' decisions in one transaction: this worker
  // goes on with the next order at once.
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    writes.push_back(PendingWrite{o, d});
    // The writer waits for a first decision, then lingers for a full batch: only those two
    // moments need it awake.
    wake = writes.size() == 1 || writes.size() == kWriteBatch;
  }
  if (wake) write_cv.notify_one();
}

void Sweep::Impl::writer() {
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    write_cv.wait(lock, [&] { return !writes.empty() || no_more_writes; });
    if (writes.empty()) return;
    // Linger briefly for a fuller batch: fewer transactions for the same orders.
    write_cv.wait_for(lock, kWriteLinger,
                      [&] { return writes.size() >= kWriteBatch || no_more_writes; });
    std::vector<PendingWrite> batch;
    while (!writes.empty() && batch.size() < kMaxWriteBatch) {
      batch.push_back(std::move(writes.front()));
      writes.pop_front();
    }
    lock.unlock();
    std::vector<OrderStore::ApplyItem> items;
    items.reserve(batch.size());
    for (const auto& w : batch) items.push_back({w.order, w.decision});
    const std::vector<Result<ApplyResult>> results =
        deps.orders.applyBatch(items, sum.run_id, owner);
    lock.lock();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      account(batch[i].order, results[i], batch[i].decision);
    }
  }
}

// With mu held: one written (or refused) decision in the summary.
void Sweep::Impl::account(const Order& o, const Result<ApplyResult>& r, const Decision& d) {
  if (!r) {
    if (r.status().code() == StatusCode::kAborted) {
      // A stale lease or a concurrent change: nothing was written; the order's current owner
      // (or the next run) decides it.
      ++sum.lost_leases;
      logWarning("sweep.lease_lost", {{"out_trade_no", o.out_trade_no}});
    } else {
      ++sum.store_failures;
      logError("sweep.apply_failed",
               {{"out_trade_no", o.out_trade_no}, {"error", r.status().message()}});
    }
    return;
  }
  ++sum.examined;
  ++sum.by_outcome[d.outcome];
  sum.transitions += r->transitions;
  for (DiscrepancyKind k : r->new_kinds) ++sum.new_discrepancies[discrepancyKindName(k)];
  sum.new_high += r->discrepancies_high_new;
}

void Sweep::Impl::worker(const std::atomic<bool>& stop) {
  for (;;) {
    Order o;
    bool room = false;
    {
      std::unique_lock<std::mutex> lock(mu);
      work_cv.wait(lock, [&] { return !queue.empty() || no_more; });
      if (queue.empty()) return;
      o = std::move(queue.front());
      queue.pop_front();
      ++busy;
      room = queue.size() < low_water;
    }
    if (room) room_cv.notify_one();  // the claiming thread may fetch the next batch
    try {
      process(o, stop);
    } catch (const std::exception& e) {
      // Nothing in the core throws by design; a surprise must not lose the other orders.
      logError("sweep.order_failed", {{"out_trade_no", o.out_trade_no}, {"error", e.what()}});
      std::lock_guard<std::mutex> lock(mu);
      ++sum.store_failures;
    }
    bool idle = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      --busy;
      idle = busy == 0 && queue.empty();
    }
    if (idle) room_cv.notify_one();
  }
}

void Sweep::Impl::progress() {
  if (!opt.progress) return;
  SweepProgress p;
  {
    std::lock_guard<std::mutex> lock(mu);
    p.examined = sum.examined;
    p.claimed = claimed;
    p.wechat_calls = sum.wechat_calls;
  }
  p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  opt.progress(p);
}

Sweep::Sweep(SweepDeps deps, SweepOptions options)
    : impl_(std::make_unique<Impl>(deps, std::move(options))) {}
Sweep::~Sweep() = default;

SweepSummary Sweep::run(const std::atomic<bool>& stop) {
  Impl& s = *impl_;
  s.started = std::chrono::steady_clock::now();
  s.sum.dry_run = s.opt.dry_run;

  auto run_id = s.deps.runs.start(RunKind::kSweep, s.opt.params, s.opt.dry_run);
  if (!run_id) {
    s.sum.db_failed = true;
    s.sum.db_error = run_id.status().message();
    return s.sum;
  }
  s.sum.run_id = *run_id;
  setLogRunId(*run_id);
  s.owner = (s.opt.owner_prefix + ":" + std::to_string(*run_id));
  if (s.owner.size() > 64) s.owner = s.owner.substr(s.owner.size() - 64);

  if (auto n = s.deps.orders.countDueUnmanaged(s.opt.all_mch_ids)) {
    s.sum.unmanaged_due = *n;
  } else {
    logWarning("sweep.count_unmanaged_failed", {{"error", n.status().message()}});
  }

  const int workers = std::max(1, s.opt.workers);
  const int batch = s.opt.batch_size > 0 ? s.opt.batch_size : std::max(20, 2 * workers);
  s.low_water = static_cast<std::size_t>(batch / 2);
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) pool.emplace_back([&] { s.worker(stop); });
  std::thread writer([&] { s.writer(); });

  std::int64_t after_id = 0;  // dry-run keyset
  std::set<std::int64_t> seen;
  std::vector<std::int64_t> bounced;  // claimed again in this run: its later claims skip them
  auto last_progress = std::chrono::steady_clock::now();
  for (;;) {
    if (stop.load()) break;
    {
      // Keep at most one batch waiting: queued orders spend their lease doing nothing.
      std::unique_lock<std::mutex> lock(s.mu);
      s.room_cv.wait_for(lock, std::chrono::milliseconds(200),
                         [&] { return s.queue.size() < s.low_water || stop.load(); });
      if (s.queue.size() >= s.low_water) {
        lock.unlock();
        if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(1)) {
          s.progress();
          last_progress = std::chrono::steady_clock::now();
        }
        continue;
      }
    }
    if (stop.load()) break;
    ClaimRequest req;
    req.lease_s = s.opt.lease_s;
    req.owner = s.owner;
    req.limit = batch;
    for (const auto& m : s.opt.merchants) {
      if (!s.merchantStopped(m.mch_id)) req.mch_ids.push_back(m.mch_id);
    }
    if (req.mch_ids.empty()) break;
    if (s.opt.limit > 0) {
      std::lock_guard<std::mutex> lock(s.mu);
      req.limit = static_cast<int>(std::min<std::int64_t>(batch, s.opt.limit - s.claimed));
    }
    if (req.limit <= 0) break;
    req.exclude_ids = bounced;
    auto got = s.opt.dry_run ? s.deps.orders.peekDue(req, after_id) : s.deps.orders.claimDue(req);
    if (!got) {
      std::lock_guard<std::mutex> lock(s.mu);
      s.sum.db_failed = true;
      s.sum.db_error = got.status().message();
      logError("sweep.claim_failed", {{"error", got.status().message()}});
      break;
    }
    if (got->empty()) break;
    if (s.opt.dry_run) after_id = got->back().id;
    hooks::crashPoint("sweep.after_claim");
    // An order is decided at most once per run. One claimed again (released after a failure,
    // or due again at once, e.g. close_grace_s = 0) is released for the next run and excluded
    // from this run's later claims: a run never spins on the same orders, and a batch of them
    // does not end the run while orders it never saw are still due (claims take the lowest
    // ids, which such orders often are).
    std::vector<Order> fresh;
    const std::size_t bounced_before = bounced.size();
    for (auto& o : *got) {
      if (seen.insert(o.id).second) {
        fresh.push_back(std::move(o));
      } else {
        bounced.push_back(o.id);
        s.release(o);
      }
    }
    if (fresh.empty()) {
      if (bounced.size() == bounced_before) break;  // (cannot happen: they are excluded)
      continue;
    }
    std::vector<OrderKey> keys;
    keys.reserve(fresh.size());
    for (const auto& o : fresh) keys.push_back({o.mch_id, o.out_trade_no});
    if (Status p = s.notes.prefetch(keys); !p.isOk()) {
      // Each order then reads its own (and fails alone, as without the prefetch).
      logWarning("sweep.notifications_prefetch_failed", {{"error", p.message()}});
    }
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.claimed += static_cast<std::int64_t>(fresh.size());
      for (auto& o : fresh) s.queue.push_back(std::move(o));
    }
    s.work_cv.notify_all();
    if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(1)) {
      s.progress();
      last_progress = std::chrono::steady_clock::now();
    }
  }
  {
    std::unique_lock<std::mutex> lock(s.mu);
    s.no_more = true;
  }
  s.work_cv.notify_all();
  // Wait for the workers, with progress on the way (each releases what it may not start).
  for (;;) {
    std::unique_lock<std::mutex> lock(s.mu);
    if (s.room_cv.wait_for(lock, std::chrono::seconds(1),
                      [&] { return s.queue.empty() && s.busy == 0; })) {
      break;
    }
    lock.unlock();
    s.progress();
  }
  for (auto& t : pool) t.join();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.no_more_writes = true;
  }
  s.write_cv.notify_all();
  writer.join();

  SweepSummary& sum = s.sum;
  sum.interrupted = stop.load();
  sum.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
  RunCounters c;
  c.orders_examined = sum.examined;
  c.transitions = sum.transitions;
  c.wechat_calls = sum.wechat_calls;
  c.failures = sum.call_failures + sum.lost_leases + sum.store_failures;
  std::int64_t total_new = 0;
  for (const auto& kv : sum.new_discrepancies) total_new += kv.second;
  c.discrepancies_new = total_new;
  c.discrepancies_high_new = sum.new_high;
  Status fin = s.deps.runs.finish(sum.run_id, sum.runStatus(), c, sum.render());
  if (!fin.isOk()) {
    logError("sweep.finish_failed", {{"error", fin.message()}});
    if (!sum.db_failed) {
      sum.db_failed = true;
      sum.db_error = fin.message();
    }
  }
  logInfo("sweep.done", {{"examined", std::to_string(sum.examined)},
                         {"transitions", std::to_string(sum.transitions)},
                         {"wechat_calls", std::to_string(sum.wechat_calls)},
                         {"limiter_parks", std::to_string(s.deps.client.limiter().parks())},
                         {"status", sum.runStatus()}});
  return sum;
}

}  // namespace wx
