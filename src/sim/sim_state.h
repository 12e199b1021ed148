// The simulator's ground truth: every order of every configured merchant, its refunds, and the
// compact "generated days" used for large benchmarks. Thread-safe: every method locks; lookups
// return copies, so callers never hold references into the state.
//
// Rules enforced here (WECHATPAY_V2.md §3, DESIGN.md §7): a closed (or revoked / payerror) order
// can never be paid; a paid order can only be refunded (never closed); closeorder is refused within
// 5 minutes of creation; time_expire does not close an order by itself.
//
// Generated days (`POST /sim/generate`) are not stored row by row: row i of a day is a pure
// function of (seed, i), so a 1,000,000-row day costs a few bytes. A generated order that is
// changed (e.g. refunded through the control API) is copied into the explicit orders and masked in
// its generated day.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config.h"
#include "common/money.h"
#include "common/status.h"
#include "common/time.h"
#include "wechat/sign_type.h"

namespace wx::sim {

enum class TradeState { kNotPay, kUserPaying, kSuccess, kRefund, kClosed, kRevoked, kPayError };
const char* tradeStateName(TradeState s);  // wire names: "NOTPAY", "SUCCESS", ...
std::optional<TradeState> parseTradeState(const std::string& name);

struct SimRefund {
  std::string out_refund_no;
  std::string refund_id;
  Fen refund_fee = 0;
  TimePoint requested_at{};  // decides the bill day (refund accepted)
  TimePoint success_at{};
};

struct SimOrder {
  std::string mch_id;
  std::string appid;
  std::string out_trade_no;
  Fen total_fee = 0;
  std::string body = "sim goods";
  std::string attach;
  std::string notify_url;
  std::string trade_type = "JSAPI";
  std::string openid;
  std::string bank_type = "CFT";
  std::string prepay_id;
  SignType sign_type = SignType::kMd5;  // the algorithm of the order's unifiedorder
  TimePoint created_at{};
  TimePoint expire_at{};  // time_expire, or created_at + 2 h when none was given
  bool has_time_expire = false;
  TradeState state = TradeState::kNotPay;
  std::string transaction_id;
  Fen paid_fee =
      0;  // what the payer paid (total_fee/cash_fee of answers); != total_fee simulates a mismatch
  std::optional<TimePoint> paid_at;
  std::optional<TimePoint> closed_at;
  std::vector<SimRefund> refunds;
  bool generated = false;

  bool paid() const { return state == TradeState::kSuccess || state == TradeState::kRefund; }
  Fen refundedTotal() const;
};

// Fields of a new order; the rest get defaults.
struct NewOrder {
  std::string mch_id, appid, out_trade_no, body, attach, notify_url, trade_type, openid, bank_type;
  Fen total_fee = 0;
  std::optional<TimePoint> created_at;
  std::optional<TimePoint> time_expire;
  std::optional<SignType> sign_type;  // default: the merchant's configured sign_type
};

// splitmix64: the simulator's only source of "randomness" (everything derives from --seed).
std::uint64_t mix64(std::uint64_t x);
std::uint64_t hashString(std::uint64_t seed, const std::string& s);

struct GenerateSpec {
  std::string mch_id;
  std::string appid;  // default: the merchant's first appid
  CivilDate date;     // Beijing day
  std::uint64_t rows = 0;
  std::uint64_t seed = 1;
  std::uint32_t refund_ppm = 0;  // refunds per million rows (refund_ratio * 1e6)
};

// A paid Beijing day whose rows are computed on demand. Row i is paid at a time increasing with i
// inside the day; a refunded row is refunded on the same Beijing day.
class GeneratedDay {
 public:
  explicit GeneratedDay(GenerateSpec spec);
  struct Row {
    Fen total_fee;
    TimePoint created_at, paid_at;
    bool refunded;
    Fen refund_fee;
    TimePoint refund_at;
    std::uint64_t h;  // the row's hash (picks trade type, bank, openid)
  };
  Row row(std::uint64_t i) const;
  SimOrder order(std::uint64_t i) const;  // the full ground truth of row i

  const GenerateSpec& spec() const { return spec_; }
  static std::string outTradeNo(const CivilDate& d, std::uint64_t i);
  static std::string transactionId(const CivilDate& d, std::uint64_t i);
  static std::string refundId(const CivilDate& d, std::uint64_t i);
  static std::string outRefundNo(const CivilDate& d, std::uint64_t i);
  // Inverse of outTradeNo / transactionId / refundId / outRefundNo: (date, i) when it matches.
  static std::optional<std::pair<CivilDate, std::uint64_t>> parseId(const std::string& id);
  static const char* tradeType(std::uint64_t h);
  static const char* bankType(std::uint64_t h);
  static std::string openid(std::uint64_t h);

 private:
  GenerateSpec spec_;
  TimePoint day_start_;
};

// What a bill for one merchant and Beijing day is built from (a consistent snapshot).
struct BillSource {
  std::vector<SimOrder> orders;  // explicit orders paid or refunded that day
  struct Gen {
    std::shared_ptr<const GeneratedDay> day;
    std::set<std::uint64_t> masked;  // rows copied into `orders`
  };
  std::vector<Gen> generated;
};

// A test's answer for one merchant's downloadbill of one Beijing day (POST /sim/bills/override),
// instead of the bill generated from the ground truth: either bill bytes or an error envelope.
struct BillOverride {
  std::string body;   // the bill bytes (plain text unless `raw`)
  bool raw = false;   // true: `body` is answered verbatim (never gzipped), e.g. a corrupt gzip
  std::string error;  // non-empty: answer return_code=FAIL with this return_msg instead
  std::string error_code;
};

enum class CloseOutcome { kClosed, kNotExist, kPaid, kAlreadyClosed, kTooEarly };

class SimState {
 public:
  explicit SimState(std::vector<MerchantConfig> merchants);

  const std::vector<MerchantConfig>& merchants() const { return merchants_; }
  const MerchantConfig* merchant(const std::string& mch_id) const;

  // Creates a NOTPAY order. kInvalidArgument (unknown merchant/appid, bad fields),
  // kAborted when (mch_id, out_trade_no) exists.
  Result<SimOrder> create(const NewOrder& o, TimePoint now);

  std::optional<SimOrder> find(const std::string& mch_id, const std::string& out_trade_no) const;
  std::optional<SimOrder> findByTransactionId(const std::string& mch_id,
                                              const std::string& transaction_id) const;
  // By refund_id or out_refund_no; `index` receives the refund's position in order.refunds.
  std::optional<SimOrder> findByRefund(const std::string& mch_id, const std::string& id,
                                       std::size_t* index) const;
  // Every merchant's order with that out_trade_no (control API paths name no merchant).
  std::vector<SimOrder> findEverywhere(const std::string& out_trade_no) const;

  CloseOutcome close(const std::string& mch_id, const std::string& out_trade_no, TimePoint now,
                     SimOrder* out);
  // Pays a NOTPAY/USERPAYING order. kFailedPrecondition for any other state, kNotFound.
  Result<SimOrder> pay(const std::string& mch_id, const std::string& out_trade_no,
                       std::optional<Fen> paid_fee, TimePoint paid_at);
  // Refunds part or all of a paid order (accepted and successful at once).
  Result<SimOrder> refund(const std::string& mch_id, const std::string& out_trade_no, Fen fee,
                          const std::string& out_refund_no, TimePoint at);
  // USERPAYING / PAYERROR / REVOKED for unpaid orders (micropay-like states).
  Result<SimOrder> setState(const std::string& mch_id, const std::string& out_trade_no,
                            TradeState state, TimePoint at);

  std::vector<SimOrder> list(const std::string& mch_id) const;  // explicit orders, by creation
  std::vector<GenerateSpec> generatedDays(const std::string& mch_id) const;
  std::size_t orderCount() const;

  // Replaces any generated day of the same merchant and date.
  Status generate(const GenerateSpec& spec);
  BillSource billSource(const std::string& mch_id, const CivilDate& beijing_day) const;

  // Replaces the bill of (mch_id, day) until reset(); nullopt: none set.
  void setBillOverride(const std::string& mch_id, const CivilDate& day, BillOverride o);
  std::optional<BillOverride> billOverride(const std::string& mch_id, const CivilDate& day) const;

  void reset();

 private:
  using Key = std::string;  // mch_id + '\x1f' + out_trade_no
  static Key key(const std::string& mch_id, const std::string& out_trade_no);
  SimOrder* findLocked(const std::string& mch_id, const std::string& out_trade_no);
  // Copies a generated row into orders_ (and masks it) so it can change.
  SimOrder* materializeLocked(const std::string& mch_id, const std::string& out_trade_no);
  std::optional<SimOrder> generatedLocked(const std::string& mch_id,
                                          const std::string& out_trade_no) const;

  std::vector<MerchantConfig> merchants_;
  mutable std::mutex mu_;
  std::unordered_map<Key, SimOrder> orders_;
  std::vector<Key> creation_order_;
  std::unordered_map<Key, Key> by_transaction_;  // mch+txn -> order key
  std::unordered_map<Key, Key> by_refund_;       // mch+refund_id / mch+out_refund_no -> order key
  struct GenEntry {
    std::shared_ptr<const GeneratedDay> day;
    std::set<std::uint64_t> masked;
  };
  std::map<std::pair<std::string, std::int64_t>, GenEntry> generated_;  // (mch, day number)
  std::map<std::pair<std::string, std::int64_t>, BillOverride> bill_overrides_;
  std::uint64_t txn_seq_ = 0;
  std::uint64_t refund_seq_ = 0;
};

}  // namespace wx::sim
