#include "service/bill_run.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <random>
#include <sstream>

#include "common/hash.h"
#include "common/log.h"
#include "common/test_hooks.h"
#include "domain/bill_match.h"
#include "service/notification_verifier.h"
#include "wechat/bill_input.h"
#include "wechat/bill_parser.h"

namespace wx {

namespace {

constexpr std::size_t kFindingBatch = 500;
// A dry run keeps this many would-open findings for its report (the summary counts them all).
constexpr std::size_t kMaxDryRunFindings = 100000;
constexpr std::size_t kLookupBatch = 500;

// FNV-1a: D+1's bill only has to answer "is this out_trade_no in it?"; 8 bytes a row.
std::uint64_t idHash(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// mkdir -p with mode 0700 for every level created (raw bills hold payers' openids).
Status makePrivateDirs(const std::string& path) {
  std::string cur;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::unavailable("cannot create " + cur + ": " + std::strerror(errno));
    }
  }
  return Status::ok();
}

Status fsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return Status::unavailable("cannot open " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::unavailable("fsync " + path + ": " + std::strerror(errno));
  return Status::ok();
}

bool paidState(OrderState s) { return s == OrderState::kSuccess || s == OrderState::kRefund; }

// One bill as fetched: its classification, file row, and (for OK) the parse.
struct FetchedBill {
  std::string status;  // OK, EMPTY, NOT_READY, FAILED, REJECTED, NOT_YET
  std::string detail;
  BillFileRecord file;
  std::string path;  // the archived (or dry-run temp) file; empty when nothing was kept
  BillSummary summary;
  bool temp = false;  // dry run: delete after use
};

}  // namespace

int BillRunSummary::exitCode() const {
  if (db_failed) return 1;
  bool not_ready = false, config = false, high = false;
  for (const auto& m : merchants) {
    if (m.status == "FAILED" || m.status == "LOCKED" || m.failures > 0) return 1;
    not_ready = not_ready || m.status == "NOT_READY";
    config = config || m.status == "CONFIG_FAILURE";
    high = high || m.new_high > 0;
  }
  if (not_ready) return 4;
  if (config) return 2;
  if (high) return 3;
  return 0;
}

std::string BillRunSummary::runStatus() const {
  if (dry_run) return "DRY_RUN";
  switch (exitCode()) {
    case 1:
      return "FAILED";
    case 4:
      return "NOT_READY";
    case 2:
      return "CONFIG_FAILURE";
    default:
      return "OK";
  }
}

std::string BillRunSummary::render() const {
  std::ostringstream os;
  os << "bill " << formatIsoDate(day) << (dry_run ? " (dry run: nothing written)" : "")
     << ": run " << run_id << ", " << runStatus() << ", "
     << static_cast<std::int64_t>(elapsed_s * 1000) / 1000.0 << " s\n";
  for (const auto& m : merchants) {
    const BillDayRecord& d = m.day;
    os << "  merchant " << m.mch_id << ": bill " << m.status;
    if (!m.detail.empty()) os << " (" << m.detail << ")";
    os << "; D+1 bill " << m.next_day_status << "\n";
    if (m.status != "OK" && m.status != "EMPTY") continue;
    os << "    bill rows:          " << d.bill_count << " payments"
       << ", not managed " << d.not_managed_count << "\n";
    os << "    matched:            " << d.matched_count << " (" << formatYuan(d.matched_amount_fen)
       << " yuan); unmatched local " << d.unmatched_local_count << ", unmatched bill "
       << d.unmatched_bill_count << "\n";
    os << "    totals (yuan):      local " << formatYuan(d.local_amount_fen) << " ("
       << d.local_count << " orders) | bill " << formatYuan(d.bill_order_amount_fen)
       << " | difference " << formatYuan(d.bill_order_amount_fen - d.local_amount_fen) << "\n";
    os << "    bill figures:       settlement " << formatYuan(d.bill_settlement_fen)
       << ", refunds " << formatYuan(d.bill_refund_fen) << ", fees " << d.bill_fee << ", net "
       << formatYuan(d.bill_net_fen) << "\n";
    std::int64_t total_new = 0;
    for (const auto& kv : m.new_by_kind) total_new += kv.second;
    os << "    new discrepancies:  " << total_new << " (HIGH " << m.new_high << ")";
    for (const auto& [kind, n] : m.new_by_kind) os << " " << kind << "=" << n;
    os << "\n";
    if (m.pending_local_only > 0) {
      os << "    pending:            " << m.pending_local_only
         << " paid locally, not in D's bill; D+1's bill is not available: the D+1 run (or a "
            "rerun) decides LOCAL_ONLY\n";
    }
    if (m.skipped_leased > 0) {
      os << "    skipped:            " << m.skipped_leased
         << " orders leased by another run (their owner decides)\n";
    }
    os << "    orders checked:     transitions " << m.transitions << ", wechat calls "
       << m.wechat_calls << ", failures " << m.failures << "\n";
    if (!m.archive_path.empty()) os << "    archive:            " << m.archive_path << "\n";
  }
  if (db_failed) os << "  DATABASE FAILURE: " << db_error << "\n";
  return os.str();
}

struct BillRun::Impl {
  Impl(BillRunDeps d, BillRunOptions o)
      : deps(std::move(d)),
        opt(std::move(o)),
        checker(deps.notifications, deps.client, deps.clock, opt.merchants, opt.policy,
                opt.max_body_bytes) {}

  BillRunDeps deps;
  BillRunOptions opt;
  OrderChecker checker;
  std::int64_t run_id = 0;
  std::string owner;
  std::mt19937_64 rng{1};

  // Per merchant.
  const MerchantConfig* m = nullptr;
  BillMerchantResult* res = nullptr;
  std::vector<Finding> pending_findings;
  std::vector<Finding> would_open;  // dry run: for the dry-run report
  bool stopped = false;

  FetchedBill fetch(const CivilDate& day, BillIndex* index, std::vector<std::uint64_t>* ids);
  Status download(const CivilDate& day, FetchedBill& out);
  Status fromArchive(const CivilDate& day, FetchedBill& out, bool& found);
  void parse(FetchedBill& b, BillIndex* index, std::vector<std::uint64_t>* ids);
  Status loadNotifications(BillIndex& notes);
  void reconcile(BillIndex& bill, const std::vector<std::uint64_t>& next_ids, bool next_available,
                 BillIndex& notes);
  void recheck(std::vector<std::pair<OrderKey, BillLine>>& work);
  // Keyset pages of this merchant's orders paid in [from, to) that count as paid locally
  // (DESIGN.md §6); false when a page could not be read (logged, counted as a failure).
  bool forEachPaidLocally(TimePoint from, TimePoint to,
                          const std::function<void(const Order&)>& fn);
  void finding(Finding f);
  void flushFindings();
  void runMerchant(const MerchantConfig& merchant);
  void reportDay(const BillDayRecord& day);
};

void BillRun::Impl::finding(Finding f) {
  pending_findings.push_back(std::move(f));
  if (pending_findings.size() >= kFindingBatch) flushFindings();
}

void BillRun::Impl::flushFindings() {
  if (pending_findings.empty()) return;
  std::vector<Finding> batch;
  batch.swap(pending_findings);
  if (opt.dry_run) {
    // A finding that cannot be judged is a failure of the run, not a new discrepancy.
    for (const Finding* f : wouldOpenFindings(&deps.discrepancies, batch,
                                              "bill.would_open_unknown", &res->failures)) {
      if (would_open.size() < kMaxDryRunFindings) would_open.push_back(*f);
      ++res->new_by_kind[discrepancyKindName(f->kind)];
      if (severityOf(f->kind) == Severity::kHigh) ++res->new_high;
    }
    return;
  }
  auto r = deps.discrepancies.record(batch, run_id);
  if (!r) {
    logError("bill.record_failed", {{"error", r.status().message()}});
    ++res->failures;
    return;
  }
  for (DiscrepancyKind k : r->new_kinds) ++res->new_by_kind[discrepancyKindName(k)];
  res->new_high += r->discrepancies_high_new;
}

Status BillRun::Impl::download(const CivilDate& day, FetchedBill& out) {
  // Real run: the temp file sits in the day's archive directory, so the final rename is atomic.
  // Dry run: nothing under the archive; a private temp file, deleted after use.
  std::string dir;
  if (opt.dry_run) {
    const char* tmp = std::getenv("TMPDIR");
    dir = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  } else {
    dir = opt.archive_dir + "/" + m->mch_id + "/" + formatIsoDate(day);
    Status st = makePrivateDirs(dir);
    if (!st.isOk()) return st;
  }
  std::string tmpl = dir + "/.download-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());  // mode 0600
  if (fd < 0) return Status::unavailable("cannot create a temp file in " + dir);
  const std::string tmp_path(name.data());
  Sha256 sha;
  bool write_failed = false;
  BillRequest req;
  req.appid = m->appids.front();
  req.bill_date = day;
  req.bill_type = BillType::kAll;
  req.gzip = true;
  BillAnswer a = deps.client.downloadBill(*m, req, [&](std::string_view chunk) {
    sha.update(chunk);
    std::size_t done = 0;
    while (done < chunk.size()) {
      const ssize_t n = ::write(fd, chunk.data() + done, chunk.size() - done);
      if (n <= 0) {
        write_failed = true;
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
  });
  ++res->wechat_calls;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  const std::string digest = sha.hexDigest();
  auto discard = [&] { ::unlink(tmp_path.c_str()); };
  switch (a.result.status) {
    case BillStatus::kEmpty:
      discard();
      out.status = "EMPTY";
      out.file.sha256 = sha256Hex("");
      return Status::ok();
    case BillStatus::kNotReady:
      discard();
      out.status = "NOT_READY";
      out.detail = "WeChat: Bill Creating";
      return Status::ok();
    case BillStatus::kFailed:
      // A failed download is never an empty bill: nothing is concluded from it.
      discard();
      out.status = a.kind == AnswerKind::kConfigFailure ? "CONFIG_FAILURE" : "FAILED";
      out.detail = std::string(answerCauseName(a.cause)) +
                   (a.return_msg.empty() ? "" : " return_msg=" + a.return_msg) +
                   (a.result.error_code.empty() ? "" : " error_code=" + a.result.error_code) +
                   (a.detail.empty() ? "" : ": " + a.detail);
      return Status::ok();
    case BillStatus::kBill:
      break;
  }
  if (write_failed || !synced) {
    discard();
    return Status::unavailable("cannot write the bill to " + dir);
  }
  out.file.sha256 = digest;
  if (opt.dry_run) {
    out.path = tmp_path;
    out.temp = true;
  } else {
    out.path = dir + "/ALL-" + digest + ".csv.gz";
    if (::rename(tmp_path.c_str(), out.path.c_str()) != 0) {
      discard();
      return Status::unavailable("cannot rename the bill to " + out.path);
    }
    Status st = fsyncPath(dir, true);
    if (!st.isOk()) return st;
    out.file.stored_path = out.path;
  }
  out.status = "OK";  // until the parse says otherwise
  return Status::ok();
}

Status BillRun::Impl::fromArchive(const CivilDate& day, FetchedBill& out, bool& found) {
  found = false;
  auto rec = deps.bills.newestUsable(m->mch_id, day, "ALL");
  if (!rec) return rec.status();
  if (!rec->has_value()) return Status::ok();
  const BillFileRecord& f = **rec;
  out.file = f;
  out.status = f.status;
  if (f.status == "OK") {
    // The bytes must still be the ones recorded.
    FILE* in = std::fopen(f.stored_path.c_str(), "rb");
    if (in == nullptr) return Status::dataLoss("archived bill missing: " + f.stored_path);
    Sha256 sha;
    std::vector<char> buf(1 << 16);
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) sha.update({buf.data(), n});
    std::fclose(in);
    if (sha.hexDigest() != f.sha256) {
      return Status::dataLoss("archived bill " + f.stored_path + " does not match its sha256");
    }
    out.path = f.stored_path;
  }
  found = true;
  return Status::ok();
}

void BillRun::Impl::parse(FetchedBill& b, BillIndex* index, std::vector<std::uint64_t>* ids) {
  auto input = BillInput::openFile(b.path);
  if (!input) {
    b.status = "FAILED";
    b.detail = input.status().message();
    return;
  }
  std::int64_t not_managed = 0;
  b.summary = parseBill((*input)->stream(), [&](const BillRow& row) -> Status {
    if (!m->hasAppid(std::string(row.appid))) {
      ++not_managed;  // another appid of this mch_id: not managed by wxrecon
      return Status::ok();
    }
    const bool refund = row.isRefundRow();
    if (ids != nullptr) {
      if (!refund) ids->push_back(idHash(row.out_trade_no));
      return Status::ok();
    }
    const Fen amount = refund ? row.refund_fen.value_or(0) : row.order_fen.value_or(0);
    const TimePoint t = refund && row.refund_success_time ? *row.refund_success_time
                                                          : row.trade_time;
    auto line = makeBillLine(row.out_trade_no, row.transaction_id, refund, amount, t);
    if (!line) {
      return Status::dataLoss("line " + std::to_string(row.line) +
                              ": an id is longer than WeChat allows (32)");
    }
    index->add(*line);
    return Status::ok();
  });
  const BillSummary& s = b.summary;
  BillFileRecord& f = b.file;
  f.rows = s.totals.rows;
  f.layout = billLayoutName(s.layout);
  if (s.stated) {
    f.trade_count = s.stated->trade_count;
    f.settlement_total_fen = s.stated->settlement_fen;
    f.refund_total_fen = s.stated->refund_fen;
    f.coupon_refund_total_fen = s.stated->coupon_refund_fen;
    f.fee_total = formatFee(s.stated->fee);
    f.order_total_fen = s.stated->order_fen;
    f.refund_applied_total_fen = s.stated->refund_applied_fen;
  }
  if (!s.summary_ok) {
    b.status = "REJECTED";
    b.detail = s.status.message();
    f.error = s.status.message();
  } else {
    // ASCII column: the reading names (readingDescription() is the Chinese sentence).
    f.summary_reading = std::string("count=") + countReadingName(s.count_reading) +
                        " fee=" + feeReadingName(s.fee_reading);
  }
  if (ids == nullptr) res->day.not_managed_count = not_managed;
  if (index != nullptr) index->seal();
  if (ids != nullptr) std::sort(ids->begin(), ids->end());
}

FetchedBill BillRun::Impl::fetch(const CivilDate& day, BillIndex* index,
                                 std::vector<std::uint64_t>* ids) {
  FetchedBill b;
  b.file.mch_id = m->mch_id;
  b.file.bill_date = day;
  b.file.bill_type = "ALL";
  Status st = Status::ok();
  bool found = false;
  if (!opt.redownload) st = fromArchive(day, b, found);
  if (st.isOk() && !found) st = download(day, b);
  if (!st.isOk()) {
    b.status = "FAILED";
    b.detail = st.message();
    return b;
  }
  if (b.status == "OK") parse(b, index, ids);
  if (b.temp) ::unlink(b.path.c_str());
  b.file.status = b.status;
  if (!opt.dry_run && !found &&
      (b.status == "OK" || b.status == "EMPTY" || b.status == "REJECTED")) {
    auto id = deps.bills.saveFile(b.file, run_id);
    if (!id) {
      b.status = "FAILED";
      b.detail = "bill_file: " + id.status().message();
      return b;
    }
    b.file.id = *id;
  }
  return b;
}

Status BillRun::Impl::loadNotifications(BillIndex& notes) {
  // Notifications for orders paid on D-1 and D arrive within WeChat's 24h4m resend window.
  const TimePoint from = beijingDayStart(addDays(opt.day, -1));
  const TimePoint to = beijingDayStart(addDays(opt.day, 2));
  std::int64_t after = 0;
  for (;;) {
    auto page = deps.bills.notificationsReceived(m->mch_id, from, to, after, opt.page_size);
    if (!page) return page.status();
    if (page->empty()) break;
    after = page->back().id;
    for (const auto& row : *page) {
      // Stored verdicts are advisory (DESIGN.md §4): the raw bytes are verified again.
      VerifiedNotification v = verifyNotification(row.raw_body, opt.merchants, opt.max_body_bytes);
      if (v.verdict != NotificationVerdict::kAccepted || v.mch_id != m->mch_id) continue;
      auto line = makeBillLine(v.out_trade_no, v.transaction_id, false, v.total_fee.value_or(0),
                               v.time_end.value_or(TimePoint{}));
      if (line) notes.add(*line);
    }
  }
  notes.seal();
  return Status::ok();
}

bool BillRun::Impl::forEachPaidLocally(TimePoint from, TimePoint to,
                                       const std::function<void(const Order&)>& fn) {
  std::optional<Order> last;
  for (;;) {
    auto page =
        deps.bills.paidBetween(m->mch_id, from, to, last ? &*last : nullptr, opt.page_size);
    if (!page) {
      logError("bill.read_orders_failed", {{"error", page.status().message()}});
      ++res->failures;
      return false;
    }
    if (page->empty()) return true;
    last = page->back();
    for (const Order& o : *page) {
      if (countsAsPaidLocally(o)) fn(o);
    }
  }
}

void BillRun::Impl::reconcile(BillIndex& bill, const std::vector<std::uint64_t>& next_ids,
                              bool next_available, BillIndex& notes) {
  BillDayRecord& d = res->day;
  const CivilDate day = opt.day;
  std::vector<std::pair<OrderKey, BillLine>> recheck_work;

  // 1. Orders paid on D (keyset pages) against the bill.
  const TimePoint from = beijingDayStart(day), to = beijingDayStart(addDays(day, 1));
  const bool read = forEachPaidLocally(from, to, [&](const Order& o) {
    ++d.local_count;
    d.local_amount_fen += o.total_fee;
    BillLine* pay = bill.payment(o.out_trade_no);
    if (pay != nullptr) {
      pay->matched = true;
      if (pay->amount != o.total_fee) {
        finding(billAmountMismatch(o, *pay, day));
        ++d.unmatched_local_count;
      } else {
        ++d.matched_count;
        d.matched_amount_fen += o.total_fee;
      }
      if (const BillLine* n = notes.payment(o.out_trade_no)) {
        if (auto f = notifyMismatch(o, *n, *pay, day)) finding(std::move(*f));
      }
    } else {
      ++d.unmatched_local_count;
      const bool in_next =
          std::binary_search(next_ids.begin(), next_ids.end(), idHash(o.out_trade_no));
      if (!in_next) {
        if (next_available) {
          finding(localOnly(o, day));
        } else {
          ++res->pending_local_only;
        }
      }
    }
    if (BillLine* refund = bill.refund(o.out_trade_no)) {
      refund->matched = true;
      if (o.state == OrderState::kSuccess) recheck_work.push_back({{o.mch_id, o.out_trade_no}, *refund});
    }
  });
  if (!read) return;

  // 2. Bill lines no order paid on D matched: look the orders up.
  std::vector<BillLine*> open;
  for (auto& l : bill.lines()) {
    if (!l.matched) open.push_back(&l);
  }
  for (std::size_t i = 0; i < open.size(); i += kLookupBatch) {
    std::vector<OrderKey> keys;
    const std::size_t end = std::min(open.size(), i + kLookupBatch);
    for (std::size_t j = i; j < end; ++j) {
      keys.push_back({m->mch_id, std::string(open[j]->outTradeNo())});
    }
    auto found = deps.bills.findByKeys(keys);
    if (!found) {
      logError("bill.lookup_failed", {{"error", found.status().message()}});
      ++res->failures;
      return;
    }
    std::map<std::string, const Order*> by_no;
    for (const auto& o : *found) by_no.emplace(o.out_trade_no, &o);
    for (std::size_t j = i; j < end; ++j) {
      const BillLine& l = *open[j];
      auto it = by_no.find(std::string(l.outTradeNo()));
      if (!l.refund) ++d.unmatched_bill_count;
      if (it == by_no.end()) {
        if (l.refund) {
          Order unknown;
          unknown.mch_id = m->mch_id;
          unknown.out_trade_no = std::string(l.outTradeNo());
          finding(billStatusMismatch(unknown, l, day, "a refund line for an unknown order"));
        } else {
          finding(billOnlyUnknownOrder(m->mch_id, l, day));
        }
        continue;
      }
      const Order& o = *it->second;
      if (l.refund) {
        if (o.state == OrderState::kSuccess) recheck_work.push_back({{o.mch_id, o.out_trade_no}, l});
        // REFUND: the refund line matches; REVIEW: a person decides; others: the fresh query of
        // a payment line (if any) or the next run's.
        if (o.state != OrderState::kSuccess && o.state != OrderState::kRefund &&
            o.state != OrderState::kReview) {
          finding(billStatusMismatch(o, l, day, "a refund line for an order " +
                                                    std::string(orderStateName(o.state))));
        }
        continue;
      }
      if (countsAsPaidLocally(o)) {
        // Paid locally on another Beijing day (its paid_at is WeChat's time_end): compare the
        // amount; the day totals count it on its own day.
        if (l.amount != o.total_fee) finding(billAmountMismatch(o, l, day));
        continue;
      }
      if (o.state == OrderState::kReview) continue;  // evidence conflict already: a person decides
      recheck_work.push_back({{o.mch_id, o.out_trade_no}, l});
    }
  }
  recheck(recheck_work);

  // 3. NOTIFY_MISSING: orders paid on D-1 (their resend window has closed) without a verified
  //    notification.
  if (!opt.policy.expect_notifications) return;
  const CivilDate prev = addDays(day, -1);
  const TimePoint pfrom = beijingDayStart(prev);
  forEachPaidLocally(pfrom, from, [&](const Order& o) {
    if (notes.payment(o.out_trade_no) == nullptr) finding(notifyMissing(o, prev));
  });
}

void BillRun::Impl::recheck(std::vector<std::pair<OrderKey, BillLine>>& work) {
  const CivilDate day = opt.day;
  for (std::size_t i = 0; i < work.size() && !stopped; i += kLookupBatch) {
    const std::size_t end = std::min(work.size(), i + kLookupBatch);
    std::vector<OrderKey> keys;
    for (std::size_t j = i; j < end; ++j) keys.push_back(work[j].first);
    Result<std::vector<Order>> got = opt.dry_run
                                         ? deps.bills.findByKeys(keys)
                                         : deps.orders.claimByKeys(keys, owner, opt.lease_s, true);
    if (!got) {
      logError("bill.claim_failed", {{"error", got.status().message()}});
      ++res->failures;
      return;
    }
    std::map<std::string, const Order*> by_no;
    for (const auto& o : *got) by_no.emplace(o.out_trade_no, &o);
    std::set<std::string> released;
    for (std::size_t j = i; j < end; ++j) {
      const BillLine& line = work[j].second;
      auto it = by_no.find(work[j].first.out_trade_no);
      if (it == by_no.end()) {
        ++res->skipped_leased;  // leased by a sweep or the confirmer: it decides
        continue;
      }
      const Order& o = *it->second;
      if (stopped) {
        if (!opt.dry_run) (void)deps.orders.release(o, owner);
        continue;
      }
      CheckOptions co;
      co.source = TransitionSource::kBill;
      co.allow_close = false;  // the bill run never closes
      CheckResult r = checker.check(o, *m, co,
                                    std::uniform_real_distribution<double>(0.0, 1.0)(rng));
      res->wechat_calls += r.wechat_calls;
      if (r.end == CheckEnd::kMerchantStopped) {
        stopped = true;
        res->status = "CONFIG_FAILURE";
        res->detail = r.stop_reason;
        if (!opt.dry_run) (void)deps.orders.release(o, owner);
        continue;
      }
      if (r.end != CheckEnd::kDecided && r.end != CheckEnd::kCloseWanted) {
        logWarning("bill.check_failed", {{"out_trade_no", o.out_trade_no}, {"error", r.error}});
        ++res->failures;
        if (!opt.dry_run) (void)deps.orders.release(o, owner);
        continue;
      }
      Decision dec = std::move(r.decision);
      if (r.end == CheckEnd::kCloseWanted) {
        // Expired and unpaid per WeChat: the sweep closes it; it is due now.
        dec.action = Action::kNone;
        dec.next_check_at.reset();
      }
      const OrderState final_state = dec.finalState().value_or(o.state);
      if (!line.refund) {
        if (paidState(final_state) || final_state == OrderState::kReview) {
          if (isUnfinished(o.state)) {
            dec.resolves.push_back({DiscrepancyKind::kBillOnly,
                                    "paid per a fresh orderquery during the bill run"});
          }
        } else if (isUnfinished(o.state)) {
          // The bill alone proves nothing: no transition, BILL_ONLY, checked again at once.
          dec.findings.push_back(billOnlyUnpaid(o, line, day, dec.outcome));
          dec.next_check_at.reset();
        } else {
          dec.findings.push_back(billStatusMismatch(
              o, line, day,
              "the bill says paid; a fresh orderquery leaves the order " +
                  std::string(orderStateName(final_state)) + " (" + dec.outcome + ")"));
        }
      } else if (final_state != OrderState::kRefund) {
        dec.findings.push_back(billStatusMismatch(
            o, line, day,
            "a refund line; a fresh orderquery does not confirm REFUND (" + dec.outcome + ")"));
      }
      if (opt.dry_run) {
        res->transitions += static_cast<std::int64_t>(dec.transitions.size());
        for (auto& f : dec.findings) finding(std::move(f));
        continue;
      }
      auto applied = deps.orders.apply(o, dec, run_id, owner);
      if (!applied) {
        logWarning("bill.apply_failed",
                   {{"out_trade_no", o.out_trade_no}, {"error", applied.status().message()}});
        ++res->failures;
        continue;
      }
      res->transitions += applied->transitions;
      for (DiscrepancyKind k : applied->new_kinds) ++res->new_by_kind[discrepancyKindName(k)];
      res->new_high += applied->discrepancies_high_new;
    }
  }
}

void BillRun::Impl::runMerchant(const MerchantConfig& merchant) {
  m = &merchant;
  stopped = false;
  would_open.clear();
  BillMerchantResult& r = *res;
  r.mch_id = merchant.mch_id;
  r.day.mch_id = merchant.mch_id;
  r.day.bill_date = opt.day;
  r.day.run_id = run_id;
  r.next_day_status = "NOT_YET";

  const std::string lock_name = "wxrecon-bill-" + merchant.mch_id + "-" + formatIsoDate(opt.day);
  auto lock = deps.try_lock(lock_name);
  if (!lock) {
    r.status = "FAILED";
    r.detail = "lock: " + lock.status().message();
    return;
  }
  if (!*lock) {
    r.status = "LOCKED";
    r.detail = "another run holds " + lock_name + "; skipped";
    logError("bill.locked", {{"mch_id", merchant.mch_id}, {"lock", lock_name}});
    return;
  }

  BillIndex bill;
  FetchedBill today = fetch(opt.day, &bill, nullptr);
  hooks::crashPoint("bill.after_download");
  r.status = today.status;
  r.detail = today.detail;
  r.archive_path = today.file.stored_path;
  r.day.bill_file_id = today.file.id;
  r.day.bill_status = today.status == "REJECTED" ? "REJECTED" : today.status;
  if (today.status == "REJECTED") {
    // Nothing else is concluded from a rejected file.
    std::string stated, computed;
    for (const auto& line : today.summary.mismatches) computed += line + "; ";
    finding(billTotalsMismatch(merchant.mch_id, opt.day, "summary row of the bill",
                               computed.empty() ? "the file could not be read" : computed,
                               today.detail));
    flushFindings();
    // The day's page shows the rejection (bill status REJECTED, no totals concluded).
    if (!opt.dry_run) {
      if (Status saved = deps.bills.saveDay(r.day); !saved.isOk()) {
        ++r.failures;
        logError("bill.save_day_failed", {{"error", saved.message()}});
        return;
      }
    }
    reportDay(r.day);
    return;
  }
  if (today.status != "OK" && today.status != "EMPTY") return;
  if (today.status == "OK") {
    const BillTotals& t = today.summary.totals;
    // The bill side is the whole file (rows of unmanaged appids included, counted apart).
    r.day.bill_count = t.rows - t.refund_rows;
    r.day.bill_order_amount_fen = t.order_fen;
    r.day.bill_settlement_fen = t.settlement_fen;
    r.day.bill_refund_fen = t.refund_fen;
    r.day.bill_fee = formatFee(today.summary.feeTotal());
    r.day.bill_net_fen = t.settlement_fen - t.refund_fen;
  }

  // D+1, to place orders paid near midnight, only once WeChat can have it (the day is over).
  std::vector<std::uint64_t> next_ids;
  bool next_available = false;
  const CivilDate next = addDays(opt.day, 1);
  if (next < beijingDate(deps.clock.now())) {
    FetchedBill nb = fetch(next, nullptr, &next_ids);
    r.next_day_status = nb.status;
    next_available = nb.status == "OK" || nb.status == "EMPTY";
    if (!next_available) next_ids.clear();
  }

  BillIndex notes;
  Status st = loadNotifications(notes);
  if (!st.isOk()) {
    r.status = "FAILED";
    r.detail = "notifications: " + st.message();
    return;
  }
  reconcile(bill, next_ids, next_available, notes);
  flushFindings();
  if (stopped) return;
  if (!opt.dry_run) {
    Status saved = deps.bills.saveDay(r.day);
    if (!saved.isOk()) {
      ++r.failures;
      logError("bill.save_day_failed", {{"error", saved.message()}});
      return;
    }
  }
  reportDay(r.day);
}

void BillRun::Impl::reportDay(const BillDayRecord& day) {
  if (!opt.after_day) return;
  hooks::crashPoint("bill.before_report");
  opt.after_day(day, would_open);
}

BillRun::BillRun(BillRunDeps deps, BillRunOptions options)
    : impl_(std::make_unique<Impl>(std::move(deps), std::move(options))) {}
BillRun::~BillRun() = default;

BillRunSummary BillRun::run() {
  Impl& s = *impl_;
  const auto started = std::chrono::steady_clock::now();
  BillRunSummary sum;
  sum.dry_run = s.opt.dry_run;
  sum.day = s.opt.day;
  auto run_id = s.deps.runs.start(RunKind::kBill, s.opt.params, s.opt.dry_run);
  if (!run_id) {
    sum.db_failed = true;
    sum.db_error = run_id.status().message();
    return sum;
  }
  s.run_id = sum.run_id = *run_id;
  setLogRunId(*run_id);
  s.owner = s.opt.owner_prefix + ":" + std::to_string(*run_id);
  if (s.owner.size() > 64) s.owner = s.owner.substr(s.owner.size() - 64);

  sum.merchants.reserve(s.opt.merchants.size());
  for (const auto& merchant : s.opt.merchants) {
    sum.merchants.emplace_back();
    s.res = &sum.merchants.back();
    s.pending_findings.clear();
    try {
      s.runMerchant(merchant);
    } catch (const std::exception& e) {
      logError("bill.merchant_failed", {{"mch_id", merchant.mch_id}, {"error", e.what()}});
      s.res->status = "FAILED";
      s.res->detail = e.what();
    }
    logInfo("bill.merchant_done", {{"mch_id", merchant.mch_id},
                                   {"status", s.res->status},
                                   {"matched", std::to_string(s.res->day.matched_count)}});
  }
  sum.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  RunCounters c;
  for (const auto& m : sum.merchants) {
    c.orders_examined += m.day.local_count;
    c.transitions += m.transitions;
    c.wechat_calls += m.wechat_calls;
    c.failures += m.failures + (m.status == "FAILED" || m.status == "LOCKED" ? 1 : 0);
    for (const auto& kv : m.new_by_kind) c.discrepancies_new += kv.second;
    c.discrepancies_high_new += m.new_high;
  }
  Status fin = s.deps.runs.finish(sum.run_id, sum.runStatus(), c, sum.render());
  if (!fin.isOk()) {
    sum.db_failed = true;
    sum.db_error = fin.message();
  }
  return sum;
}

}  // namespace wx
