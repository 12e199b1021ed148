#include "sim/sim_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace wx::sim {
namespace {

constexpr Millis kDay = std::chrono::hours(24);
constexpr Millis kDefaultLifetime = std::chrono::hours(2);  // prepay_id validity
constexpr Millis kCloseMinAge = std::chrono::minutes(5);

bool validOutTradeNo(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '|' && c != '*' && c != '@') return false;
  }
  return true;
}

std::int64_t dayNumber(const CivilDate& d) { return daysFromCivil(d); }

}  // namespace

const char* tradeStateName(TradeState s) {
  switch (s) {
    case TradeState::kNotPay:
      return "NOTPAY";
    case TradeState::kUserPaying:
      return "USERPAYING";
    case TradeState::kSuccess:
      return "SUCCESS";
    case TradeState::kRefund:
      return "REFUND";
    case TradeState::kClosed:
      return "CLOSED";
    case TradeState::kRevoked:
      return "REVOKED";
    case TradeState::kPayError:
      return "PAYERROR";
  }
  return "?";
}

std::optional<TradeState> parseTradeState(const std::string& name) {
  for (auto s :
       {TradeState::kNotPay, TradeState::kUserPaying, TradeState::kSuccess, TradeState::kRefund,
        TradeState::kClosed, TradeState::kRevoked, TradeState::kPayError}) {
    if (name == tradeStateName(s)) return s;
  }
  return std::nullopt;
}

Fen SimOrder::refundedTotal() const {
  Fen sum = 0;
  for (const auto& r : refunds) sum += r.refund_fee;
  return sum;
}

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t hashString(std::uint64_t seed, const std::string& s) {
  std::uint64_t h = mix64(seed);
  for (unsigned char c : s) h = mix64(h ^ c);
  return h;
}

// ---- GeneratedDay ----

GeneratedDay::GeneratedDay(GenerateSpec spec)
    : spec_(std::move(spec)), day_start_(beijingDayStart(spec_.date)) {}

GeneratedDay::Row GeneratedDay::row(std::uint64_t i) const {
  Row r{};
  r.h = mix64(spec_.seed * 0x9E3779B97F4A7C15ULL ^ mix64(i));
  // Amounts: mostly small, some large, always > 0.
  const std::uint64_t bucket = r.h % 10;
  r.total_fee = bucket < 7 ? static_cast<Fen>(1 + (r.h >> 8) % 5000)
                           : static_cast<Fen>(1 + (r.h >> 8) % 200000);
  const std::int64_t day_ms = kDay.count();
  const std::int64_t rows = static_cast<std::int64_t>(std::max<std::uint64_t>(spec_.rows, 1));
  const std::int64_t slot = day_ms / rows;
  std::int64_t offset = static_cast<std::int64_t>(i) * day_ms / rows;
  if (slot > 1) offset += static_cast<std::int64_t>((r.h >> 24) % static_cast<std::uint64_t>(slot));
  r.paid_at = day_start_ + Millis(offset);
  r.created_at = r.paid_at - Millis(30000 + static_cast<std::int64_t>((r.h >> 32) % 270000));
  r.refunded = (r.h >> 40) % 1000000 < spec_.refund_ppm;
  if (r.refunded) {
    r.refund_fee = ((r.h >> 5) & 1) ? r.total_fee : std::max<Fen>(1, r.total_fee / 2);
    // Same Beijing day: at most 10 minutes later, never past 23:59:59.
    const std::int64_t room = day_ms - 1000 - offset;
    const std::int64_t delay = std::min<std::int64_t>(std::max<std::int64_t>(room, 0), 600000);
    r.refund_at =
        r.paid_at + Millis(delay == 0 ? 0 : static_cast<std::int64_t>((r.h >> 12) % delay));
  }
  return r;
}

const char* GeneratedDay::tradeType(std::uint64_t h) {
  static const char* const kTypes[] = {"JSAPI", "NATIVE", "APP"};
  return kTypes[(h >> 50) % 3];
}

const char* GeneratedDay::bankType(std::uint64_t h) {
  static const char* const kBanks[] = {"CFT", "OTHERS", "CMB_DEBIT", "CCB_DEBIT"};
  return kBanks[(h >> 54) % 4];
}

std::string GeneratedDay::openid(std::uint64_t h) { return fmt::format("oSim{:016x}", mix64(h)); }

std::string GeneratedDay::outTradeNo(const CivilDate& d, std::uint64_t i) {
  return fmt::format("G{}{:09}", formatCompactDate(d), i);
}
std::string GeneratedDay::transactionId(const CivilDate& d, std::uint64_t i) {
  return fmt::format("4200009{}{:013}", formatCompactDate(d), i);
}
std::string GeneratedDay::refundId(const CivilDate& d, std::uint64_t i) {
  return fmt::format("5000009{}{:014}", formatCompactDate(d), i);
}
std::string GeneratedDay::outRefundNo(const CivilDate& d, std::uint64_t i) {
  return "R" + outTradeNo(d, i);
}

std::optional<std::pair<CivilDate, std::uint64_t>> GeneratedDay::parseId(const std::string& id) {
  std::string date_part, num_part;
  if (id.size() == 18 && id[0] == 'G') {
    date_part = id.substr(1, 8);
    num_part = id.substr(9);
  } else if (id.size() == 19 && id.compare(0, 2, "RG") == 0) {
    date_part = id.substr(2, 8);
    num_part = id.substr(10);
  } else if (id.size() == 28 && id.compare(0, 7, "4200009") == 0) {
    date_part = id.substr(7, 8);
    num_part = id.substr(15);
  } else if (id.size() == 29 && id.compare(0, 7, "5000009") == 0) {
    date_part = id.substr(7, 8);
    num_part = id.substr(15);
  } else {
    return std::nullopt;
  }
  for (char c : date_part + num_part) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  CivilDate d{std::stoi(date_part.substr(0, 4)), std::stoi(date_part.substr(4, 2)),
              std::stoi(date_part.substr(6, 2))};
  if (!isValidDate(d)) return std::nullopt;
  return std::make_pair(d, static_cast<std::uint64_t>(std::stoull(num_part)));
}

SimOrder GeneratedDay::order(std::uint64_t i) const {
  const Row r = row(i);
  SimOrder o;
  o.mch_id = spec_.mch_id;
  o.appid = spec_.appid;
  o.out_trade_no = outTradeNo(spec_.date, i);
  o.total_fee = r.total_fee;
  o.body = "sim goods";
  o.trade_type = tradeType(r.h);
  o.bank_type = bankType(r.h);
  o.openid = openid(r.h);
  o.created_at = r.created_at;
  o.expire_at = r.created_at + kDefaultLifetime;
  o.state = r.refunded ? TradeState::kRefund : TradeState::kSuccess;
  o.transaction_id = transactionId(spec_.date, i);
  o.paid_fee = r.total_fee;
  o.paid_at = r.paid_at;
  o.generated = true;
  if (r.refunded) {
    o.refunds.push_back(SimRefund{outRefundNo(spec_.date, i), refundId(spec_.date, i), r.refund_fee,
                                  r.refund_at, r.refund_at});
  }
  return o;
}

// ---- SimState ----

SimState::SimState(std::vector<MerchantConfig> merchants) : merchants_(std::move(merchants)) {}

const MerchantConfig* SimState::merchant(const std::string& mch_id) const {
  for (const auto& m : merchants_) {
    if (m.mch_id == mch_id) return &m;
  }
  return nullptr;
}

SimState::Key SimState::key(const std::string& mch_id, const std::string& out_trade_no) {
  return mch_id + '\x1f' + out_trade_no;
}

Result<SimOrder> SimState::create(const NewOrder& n, TimePoint now) {
  const MerchantConfig* m = merchant(n.mch_id);
  if (m == nullptr) return Status::invalidArgument("unknown mch_id " + n.mch_id);
  if (!m->hasAppid(n.appid)) {
    return Status::invalidArgument("appid " + n.appid + " is not bound to mch_id " + n.mch_id);
  }
  if (!validOutTradeNo(n.out_trade_no)) {
    return Status::invalidArgument("out_trade_no must be 1-32 of [0-9A-Za-z_-|*@]");
  }
  if (n.total_fee <= 0)
    return Status::invalidArgument("total_fee must be a positive number of fen");
  SimOrder o;
  o.mch_id = n.mch_id;
  o.appid = n.appid;
  o.out_trade_no = n.out_trade_no;
  o.total_fee = n.total_fee;
  if (!n.body.empty()) o.body = n.body;
  o.attach = n.attach;
  o.notify_url = n.notify_url;
  if (!n.trade_type.empty()) o.trade_type = n.trade_type;
  if (!n.bank_type.empty()) o.bank_type = n.bank_type;
  o.openid = n.openid.empty() ? GeneratedDay::openid(hashString(7, n.out_trade_no)) : n.openid;
  o.sign_type = n.sign_type.value_or(m->sign_type);
  o.created_at = n.created_at.value_or(now);
  o.has_time_expire = n.time_expire.has_value();
  o.expire_at = n.time_expire.value_or(o.created_at + kDefaultLifetime);
  o.prepay_id = fmt::format(
      "wx{}{:020x}", formatBeijingCompact(o.created_at),
      hashString(o.created_at.time_since_epoch().count(), n.mch_id + n.out_trade_no) >> 4);
  std::lock_guard<std::mutex> lock(mu_);
  const Key k = key(n.mch_id, n.out_trade_no);
  if (orders_.count(k) || generatedLocked(n.mch_id, n.out_trade_no)) {
    return Status::aborted("order " + n.out_trade_no + " already exists for mch_id " + n.mch_id);
  }
  orders_.emplace(k, o);
  creation_order_.push_back(k);
  return o;
}

SimOrder* SimState::findLocked(const std::string& mch_id, const std::string& out_trade_no) {
  auto it = orders_.find(key(mch_id, out_trade_no));
  return it == orders_.end() ? nullptr : &it->second;
}

std::optional<SimOrder> SimState::generatedLocked(const std::string& mch_id,
                                                  const std::string& id) const {
  auto parsed = GeneratedDay::parseId(id);
  if (!parsed) return std::nullopt;
  auto it = generated_.find({mch_id, dayNumber(parsed->first)});
  if (it == generated_.end() || parsed->second >= it->second.day->spec().rows) return std::nullopt;
  SimOrder o = it->second.day->order(parsed->second);
  // Each id kind must match exactly (a transaction_id is not an out_trade_no).
  if (id != o.out_trade_no && id != o.transaction_id &&
      (o.refunds.empty() || (id != o.refunds[0].refund_id && id != o.refunds[0].out_refund_no))) {
    return std::nullopt;
  }
  return o;
}

SimOrder* SimState::materializeLocked(const std::string& mch_id, const std::string& out_trade_no) {
  if (SimOrder* o = findLocked(mch_id, out_trade_no)) return o;
  auto g = generatedLocked(mch_id, out_trade_no);
  if (!g || g->out_trade_no != out_trade_no) return nullptr;
  auto parsed = GeneratedDay::parseId(out_trade_no);
  generated_[{mch_id, dayNumber(parsed->first)}].masked.insert(parsed->second);
  const Key k = key(mch_id, out_trade_no);
  for (const auto& r : g->refunds) {
    by_refund_[key(mch_id, r.refund_id)] = k;
    by_refund_[key(mch_id, r.out_refund_no)] = k;
  }
  by_transaction_[key(mch_id, g->transaction_id)] = k;
  creation_order_.push_back(k);
  return &orders_.emplace(k, std::move(*g)).first->second;
}

std::optional<SimOrder> SimState::find(const std::string& mch_id,
                                       const std::string& out_trade_no) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = orders_.find(key(mch_id, out_trade_no));
  if (it != orders_.end()) return it->second;
  auto g = generatedLocked(mch_id, out_trade_no);
  if (g && g->out_trade_no == out_trade_no) return g;
  return std::nullopt;
}

std::optional<SimOrder> SimState::findByTransactionId(const std::string& mch_id,
                                                      const std::string& txn) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_transaction_.find(key(mch_id, txn));
  if (it != by_transaction_.end()) return orders_.at(it->second);
  auto g = generatedLocked(mch_id, txn);
  if (g && g->transaction_id == txn) return g;
  return std::nullopt;
}

std::optional<SimOrder> SimState::findByRefund(const std::string& mch_id, const std::string& id,
                                               std::size_t* index) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<SimOrder> o;
  auto it = by_refund_.find(key(mch_id, id));
  if (it != by_refund_.end()) {
    o = orders_.at(it->second);
  } else {
    o = generatedLocked(mch_id, id);
  }
  if (!o) return std::nullopt;
  for (std::size_t i = 0; i < o->refunds.size(); ++i) {
    if (o->refunds[i].refund_id == id || o->refunds[i].out_refund_no == id) {
      if (index) *index = i;
      return o;
    }
  }
  return std::nullopt;
}

std::vector<SimOrder> SimState::findEverywhere(const std::string& out_trade_no) const {
  std::vector<SimOrder> out;
  for (const auto& m : merchants_) {
    if (auto o = find(m.mch_id, out_trade_no)) out.push_back(std::move(*o));
  }
  return out;
}

CloseOutcome SimState::close(const std::string& mch_id, const std::string& out_trade_no,
                             TimePoint now, SimOrder* out) {
  std::lock_guard<std::mutex> lock(mu_);
  SimOrder* o = findLocked(mch_id, out_trade_no);
  if (o == nullptr) {
    auto g = generatedLocked(mch_id, out_trade_no);
    if (g && g->out_trade_no == out_trade_no) {
      if (out) *out = *g;
      return CloseOutcome::kPaid;  // generated orders are all paid
    }
    return CloseOutcome::kNotExist;
  }
  if (out) *out = *o;
  switch (o->state) {
    case TradeState::kSuccess:
    case TradeState::kRefund:
      return CloseOutcome::kPaid;
    case TradeState::kClosed:
    case TradeState::kRevoked:
    case TradeState::kPayError:
      return CloseOutcome::kAlreadyClosed;
    case TradeState::kNotPay:
    case TradeState::kUserPaying:
      break;
  }
  if (now - o->created_at < kCloseMinAge) return CloseOutcome::kTooEarly;
  o->state = TradeState::kClosed;
  o->closed_at = now;
  if (out) *out = *o;
  return CloseOutcome::kClosed;
}

Result<SimOrder> SimState::pay(const std::string& mch_id, const std::string& out_trade_no,
                               std::optional<Fen> paid_fee, TimePoint paid_at) {
  std::lock_guard<std::mutex> lock(mu_);
  SimOrder* o = findLocked(mch_id, out_trade_no);
  if (o == nullptr) {
    if (generatedLocked(mch_id, out_trade_no)) {
      return Status::failedPrecondition("order " + out_trade_no + " is already paid");
    }
    return Status::notFound("no order " + out_trade_no + " for mch_id " + mch_id);
  }
  if (o->state != TradeState::kNotPay && o->state != TradeState::kUserPaying) {
    return Status::failedPrecondition(
        fmt::format("order {} is {}: only NOTPAY/USERPAYING orders can be paid (a closed order can "
                    "never be paid; a paid order can only be refunded)",
                    out_trade_no, tradeStateName(o->state)));
  }
  const Fen fee = paid_fee.value_or(o->total_fee);
  if (fee <= 0) return Status::invalidArgument("paid_fee must be positive");
  o->state = TradeState::kSuccess;
  o->paid_fee = fee;
  o->paid_at = paid_at;
  o->transaction_id =
      fmt::format("4200000{}{:013}", formatCompactDate(beijingDate(paid_at)), ++txn_seq_);
  by_transaction_[key(mch_id, o->transaction_id)] = key(mch_id, out_trade_no);
  return *o;
}

Result<SimOrder> SimState::refund(const std::string& mch_id, const std::string& out_trade_no,
                                  Fen fee, const std::string& out_refund_no, TimePoint at) {
  std::lock_guard<std::mutex> lock(mu_);
  SimOrder* o = materializeLocked(mch_id, out_trade_no);
  if (o == nullptr) return Status::notFound("no order " + out_trade_no + " for mch_id " + mch_id);
  if (!o->paid()) {
    return Status::failedPrecondition(
        fmt::format("order {} is {}: only paid orders can be refunded", out_trade_no,
                    tradeStateName(o->state)));
  }
  if (fee <= 0) return Status::invalidArgument("refund_fee must be positive");
  if (o->refundedTotal() + fee > o->paid_fee) {
    return Status::failedPrecondition(
        fmt::format("refund of {} fen exceeds what is left ({} of {} fen)", fee,
                    o->paid_fee - o->refundedTotal(), o->paid_fee));
  }
  if (o->paid_at && at < *o->paid_at) {
    return Status::invalidArgument("a refund cannot precede the payment");
  }
  SimRefund r;
  r.out_refund_no = out_refund_no.empty()
                        ? fmt::format("R{}_{}", out_trade_no, o->refunds.size() + 1)
                        : out_refund_no;
  if (by_refund_.count(key(mch_id, r.out_refund_no))) {
    return Status::aborted("out_refund_no " + r.out_refund_no + " already used");
  }
  r.refund_id = fmt::format("5000000{}{:014}", formatCompactDate(beijingDate(at)), ++refund_seq_);
  r.refund_fee = fee;
  r.requested_at = at;
  r.success_at = at;
  o->refunds.push_back(r);
  o->state = TradeState::kRefund;
  by_refund_[key(mch_id, r.refund_id)] = key(mch_id, out_trade_no);
  by_refund_[key(mch_id, r.out_refund_no)] = key(mch_id, out_trade_no);
  return *o;
}

Result<SimOrder> SimState::setState(const std::string& mch_id, const std::string& out_trade_no,
                                    TradeState state, TimePoint at) {
  std::lock_guard<std::mutex> lock(mu_);
  SimOrder* o = findLocked(mch_id, out_trade_no);
  if (o == nullptr) return Status::notFound("no order " + out_trade_no + " for mch_id " + mch_id);
  const bool unpaid = o->state == TradeState::kNotPay || o->state == TradeState::kUserPaying;
  if (!unpaid) {
    return Status::failedPrecondition(
        fmt::format("order {} is {}: only unpaid orders can change "
                    "to {}",
                    out_trade_no, tradeStateName(o->state), tradeStateName(state)));
  }
  if (state != TradeState::kUserPaying && state != TradeState::kPayError &&
      state != TradeState::kRevoked && state != TradeState::kNotPay) {
    return Status::invalidArgument("state must be NOTPAY, USERPAYING, PAYERROR or REVOKED");
  }
  o->state = state;
  if (state == TradeState::kRevoked || state == TradeState::kPayError) o->closed_at = at;
  return *o;
}

std::vector<SimOrder> SimState::list(const std::string& mch_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SimOrder> out;
  for (const auto& k : creation_order_) {
    const SimOrder& o = orders_.at(k);
    if (mch_id.empty() || o.mch_id == mch_id) out.push_back(o);
  }
  return out;
}

std::vector<GenerateSpec> SimState::generatedDays(const std::string& mch_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GenerateSpec> out;
  for (const auto& [k, g] : generated_) {
    if (mch_id.empty() || k.first == mch_id) out.push_back(g.day->spec());
  }
  return out;
}

std::size_t SimState::orderCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return orders_.size();
}

Status SimState::generate(const GenerateSpec& in) {
  const MerchantConfig* m = merchant(in.mch_id);
  if (m == nullptr) return Status::invalidArgument("unknown mch_id " + in.mch_id);
  GenerateSpec spec = in;
  if (spec.appid.empty()) spec.appid = m->appids.front();
  if (!m->hasAppid(spec.appid)) return Status::invalidArgument("appid not bound to the merchant");
  if (spec.rows > 999999999) return Status::invalidArgument("rows must be < 1e9");
  if (spec.refund_ppm > 1000000) return Status::invalidArgument("refund_ratio must be in [0,1]");
  std::lock_guard<std::mutex> lock(mu_);
  const auto k = std::make_pair(spec.mch_id, dayNumber(spec.date));
  // Drop copies of rows of a replaced day.
  if (auto it = generated_.find(k); it != generated_.end()) {
    for (auto i : it->second.masked) {
      const Key ok = key(spec.mch_id, GeneratedDay::outTradeNo(spec.date, i));
      orders_.erase(ok);
      creation_order_.erase(std::remove(creation_order_.begin(), creation_order_.end(), ok),
                            creation_order_.end());
    }
  }
  generated_[k] = GenEntry{std::make_shared<const GeneratedDay>(spec), {}};
  return Status::ok();
}

BillSource SimState::billSource(const std::string& mch_id, const CivilDate& day) const {
  BillSource src;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& k : creation_order_) {
    const SimOrder& o = orders_.at(k);
    if (o.mch_id != mch_id) continue;
    bool relevant = o.paid_at && beijingDate(*o.paid_at) == day;
    for (const auto& r : o.refunds) relevant = relevant || beijingDate(r.requested_at) == day;
    if (relevant) src.orders.push_back(o);
  }
  auto it = generated_.find({mch_id, dayNumber(day)});
  if (it != generated_.end()) src.generated.push_back({it->second.day, it->second.masked});
  return src;
}

void SimState::setBillOverride(const std::string& mch_id, const CivilDate& day, BillOverride o) {
  std::lock_guard<std::mutex> lock(mu_);
  bill_overrides_[{mch_id, daysFromCivil(day)}] = std::move(o);
}

std::optional<BillOverride> SimState::billOverride(const std::string& mch_id,
                                                   const CivilDate& day) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bill_overrides_.find({mch_id, daysFromCivil(day)});
  if (it == bill_overrides_.end()) return std::nullopt;
  return it->second;
}

void SimState::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  orders_.clear();
  creation_order_.clear();
  by_transaction_.clear();
  by_refund_.clear();
  generated_.clear();
  bill_overrides_.clear();
  txn_seq_ = 0;
  refund_seq_ = 0;
}

}  // namespace wx::sim
