#include "wechat/bill_parser.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <cstring>
#include <istream>
#include <memory>

namespace wx {

namespace {

// What a column means, whatever its position or (legacy) name.
enum Col : std::uint8_t {
  kTradeTime,
  kAppId,
  kMchId,
  kSubMchId,
  kDeviceInfo,
  kTransactionId,
  kOutTradeNo,
  kOpenId,
  kTradeType,
  kTradeState,
  kBankType,
  kCurrency,
  kSettlement,
  kCoupon,
  kRefundApplyTime,
  kRefundSuccessTime,
  kRefundId,
  kOutRefundNo,
  kRefundAmount,
  kCouponRefund,
  kRefundType,
  kRefundStatus,
  kBody,
  kAttach,
  kFee,
  kFeeRate,
  kOrderAmount,
  kRefundApplied,
  kFeeRateNote,
  kColCount,
};

struct ColumnName {
  std::string_view name;
  Col col;
};

// Header names per layout, in WeChat's order (WECHATPAY_V2.md §5). Recognition is by the set of
// names, so a reordered header still maps each column by name.
const std::vector<ColumnName> kAllColumns = {
    {"交易时间", kTradeTime},
    {"公众账号ID", kAppId},
    {"商户号", kMchId},
    {"特约商户号", kSubMchId},
    {"设备号", kDeviceInfo},
    {"微信订单号", kTransactionId},
    {"商户订单号", kOutTradeNo},
    {"用户标识", kOpenId},
    {"交易类型", kTradeType},
    {"交易状态", kTradeState},
    {"付款银行", kBankType},
    {"货币种类", kCurrency},
    {"应结订单金额", kSettlement},
    {"代金券金额", kCoupon},
    {"微信退款单号", kRefundId},
    {"商户退款单号", kOutRefundNo},
    {"退款金额", kRefundAmount},
    {"充值券退款金额", kCouponRefund},
    {"退款类型", kRefundType},
    {"退款状态", kRefundStatus},
    {"商品名称", kBody},
    {"商户数据包", kAttach},
    {"手续费", kFee},
    {"费率", kFeeRate},
    {"订单金额", kOrderAmount},
    {"申请退款金额", kRefundApplied},
    {"费率备注", kFeeRateNote},
};

std::vector<ColumnName> without(std::vector<ColumnName> v, std::initializer_list<Col> drop) {
  v.erase(std::remove_if(v.begin(), v.end(),
                         [&](const ColumnName& c) {
                           return std::find(drop.begin(), drop.end(), c.col) != drop.end();
                         }),
          v.end());
  return v;
}

std::vector<ColumnName> refundColumns() {
  std::vector<ColumnName> v = kAllColumns;
  auto at =
      std::find_if(v.begin(), v.end(), [](const ColumnName& c) { return c.col == kRefundId; });
  v.insert(at, {{"退款申请时间", kRefundApplyTime}, {"退款成功时间", kRefundSuccessTime}});
  return v;
}

std::vector<ColumnName> rechargeRefundColumns() {
  std::vector<ColumnName> v = without(refundColumns(), {kFeeRateNote});
  for (auto& c : v) {
    if (c.col == kFee) c.name = "返还手续费";
  }
  return v;
}

const std::vector<ColumnName> kLegacyColumns = {
    {"交易时间", kTradeTime},
    {"公众账号ID", kAppId},
    {"商户号", kMchId},
    {"子商户号", kSubMchId},
    {"设备号", kDeviceInfo},
    {"微信订单号", kTransactionId},
    {"商户订单号", kOutTradeNo},
    {"用户标识", kOpenId},
    {"交易类型", kTradeType},
    {"交易状态", kTradeState},
    {"付款银行", kBankType},
    {"货币种类", kCurrency},
    {"总金额", kOrderAmount},
    {"代金券或立减优惠金额", kCoupon},
    {"微信退款单号", kRefundId},
    {"商户退款单号", kOutRefundNo},
    {"退款金额", kRefundAmount},
    {"代金券或立减优惠退款金额", kCouponRefund},
    {"退款类型", kRefundType},
    {"退款状态", kRefundStatus},
    {"商品名称", kBody},
    {"商户数据包", kAttach},
    {"手续费", kFee},
    {"费率", kFeeRate},
};

struct LayoutDef {
  BillLayout layout;
  std::vector<ColumnName> columns;
};

const std::vector<LayoutDef>& layouts() {
  static const std::vector<LayoutDef> kLayouts = {
      {BillLayout::kAll, kAllColumns},
      {BillLayout::kSuccess,
       without(kAllColumns, {kRefundId, kOutRefundNo, kRefundAmount, kCouponRefund, kRefundType,
                             kRefundStatus, kRefundApplied})},
      {BillLayout::kRefund, refundColumns()},
      {BillLayout::kRechargeRefund, rechargeRefundColumns()},
      {BillLayout::kAllLegacy, kLegacyColumns},
  };
  return kLayouts;
}

// Summary components.
enum Sum : std::uint8_t {
  kSumCount,
  kSumSettlement,
  kSumRefund,
  kSumCouponRefund,
  kSumFee,
  kSumOrder,
  kSumRefundApplied,
};

struct SummaryName {
  std::string_view name;
  Sum sum;
};

const std::vector<SummaryName> kSummary = {
    {"总交易单数", kSumCount},
    {"应结订单总金额", kSumSettlement},
    {"退款总金额", kSumRefund},
    {"充值券退款总金额", kSumCouponRefund},
    {"手续费总金额", kSumFee},
    {"订单总金额", kSumOrder},
    {"申请退款总金额", kSumRefundApplied},
};
const std::vector<SummaryName> kLegacySummary = {
    {"总交易单数", kSumCount},  {"总交易额", kSumOrder},
    {"总退款金额", kSumRefund}, {"总代金券或立减优惠退款金额", kSumCouponRefund},
    {"手续费总金额", kSumFee},
};

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::size_t kReadChunk = 1 << 20;

std::string lineCol(std::size_t line, std::size_t column, std::string_view name) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + " (" +
         std::string(name) + ")";
}

// Splits a plain header line on ','.
void splitHeader(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

// Splits a data row (which starts with '`') on ",`". The first piece loses its '`'.
void splitData(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  const char* p = line.data() + 1;
  const char* const end = line.data() + line.size();
  const char* field = p;
  while (p < end) {
    const void* hit = std::memchr(p, ',', static_cast<std::size_t>(end - p));
    if (hit == nullptr) break;
    const char* comma = static_cast<const char*>(hit);
    if (comma + 1 < end && comma[1] == '`') {
      out.emplace_back(field, static_cast<std::size_t>(comma - field));
      field = comma + 2;
      p = field;
    } else {
      p = comma + 1;
    }
  }
  out.emplace_back(field, static_cast<std::size_t>(end - field));
}

bool addChecked(std::int64_t& acc, std::int64_t v) { return !__builtin_add_overflow(acc, v, &acc); }

// Reads lines from an istream through one fixed buffer (no line is longer than the cap).
class LineReader {
 public:
  // The buffer is left uninitialised: a small bill touches (and faults in) only a few pages.
  explicit LineReader(std::istream& in) : in_(in), buf_(new char[kBufSize]) {}

  // Next line without its '\n' (a trailing '\r' is stripped too). False at the end or on error.
  bool next(std::string_view& line) {
    for (;;) {
      const char* base = buf_.get();
      const void* nl = std::memchr(base + begin_, '\n', end_ - begin_);
      const std::size_t stop =
          nl != nullptr ? static_cast<std::size_t>(static_cast<const char*>(nl) - base) : end_;
      if (stop - begin_ > kMaxBillLineBytes) {
        status_ =
            Status::invalidArgument("line " + std::to_string(line_no_ + 1) + " is longer than " +
                                    std::to_string(kMaxBillLineBytes) + " bytes");
        return false;
      }
      if (nl != nullptr) return emit(line, stop, stop + 1);
      if (eof_) {
        if (begin_ == end_) return false;
        return emit(line, end_, end_);
      }
      fill();
      if (!status_.isOk()) return false;
    }
  }
  std::size_t lineNo() const { return line_no_; }
  const Status& status() const { return status_; }

 private:
  bool emit(std::string_view& line, std::size_t stop, std::size_t next) {
    std::size_t len = stop - begin_;
    if (len > 0 && buf_[begin_ + len - 1] == '\r') --len;
    line = std::string_view(buf_.get() + begin_, len);
    begin_ = next;
    ++line_no_;
    return true;
  }

  void fill() {
    if (begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    const std::size_t room = kBufSize - end_;
    std::streamsize got = 0;
    try {
      in_.read(buf_.get() + end_, static_cast<std::streamsize>(room));
      got = in_.gcount();
    } catch (const Poco::Exception& e) {
      status_ = readError(e.displayText());
      return;
    } catch (const std::exception& e) {
      status_ = readError(e.what());
      return;
    }
    if (in_.bad()) {
      status_ = readError("stream error");
      return;
    }
    end_ += static_cast<std::size_t>(got);
    if (got == 0 || in_.eof()) eof_ = true;
  }

  Status readError(const std::string& what) const {
    return Status::dataLoss("reading the bill failed after line " + std::to_string(line_no_) +
                            " (corrupt or truncated file?): " + what);
  }

  std::istream& in_;
  static constexpr std::size_t kBufSize = kReadChunk + kMaxBillLineBytes;
  std::unique_ptr<char[]> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  std::size_t line_no_ = 0;
  Status status_;
};

class Parser {
 public:
  Parser(std::istream& in, const BillRowHandler& on_row) : reader_(in), on_row_(on_row) {
    pieces_.reserve(64);
  }

  BillSummary run() {
    Status s = parseAll();
    if (!s.isOk()) {
      out_.status = std::move(s);
      out_.summary_ok = false;
    }
    return std::move(out_);
  }

 private:
  Status parseAll() {
    std::string_view line;
    if (!reader_.next(line)) return endOfInput("the file is empty (no header line)");
    if (line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
    if (auto s = readHeader(line); !s.isOk()) return s;
    for (;;) {
      if (!reader_.next(line)) {
        return endOfInput("the file ends after line " + std::to_string(reader_.lineNo()) +
                          " without the summary (truncated?)");
      }
      if (!line.empty() && line[0] == '`') {
        if (auto s = readRow(line); !s.isOk()) return s;
        continue;
      }
      if (line.empty()) {
        return Status::invalidArgument("line " + std::to_string(reader_.lineNo()) +
                                       " is blank inside the bill (before the summary)");
      }
      if (auto s = readSummaryHeader(line); !s.isOk()) return s;
      break;
    }
    if (!reader_.next(line)) {
      return endOfInput("the file ends after the summary header (line " +
                        std::to_string(reader_.lineNo()) + ") without the summary row");
    }
    if (auto s = readSummaryRow(line); !s.isOk()) return s;
    while (reader_.next(line)) {
      if (!line.empty()) {
        return Status::invalidArgument("line " + std::to_string(reader_.lineNo()) +
                                       ": unexpected content after the summary row");
      }
    }
    if (!reader_.status().isOk()) return reader_.status();
    out_.complete = true;
    return checkSummary();
  }

  Status endOfInput(const std::string& what) {
    if (!reader_.status().isOk()) return reader_.status();
    return Status::dataLoss(what);
  }

  Status readHeader(std::string_view line) {
    splitHeader(line, pieces_);
    for (const auto& def : layouts()) {
      if (def.columns.size() != pieces_.size()) continue;
      std::vector<Col> cols;
      for (auto name : pieces_) {
        auto it = std::find_if(def.columns.begin(), def.columns.end(),
                               [&](const ColumnName& c) { return c.name == name; });
        if (it == def.columns.end() || std::find(cols.begin(), cols.end(), it->col) != cols.end())
          break;
        cols.push_back(it->col);
      }
      if (cols.size() != def.columns.size()) continue;
      out_.layout = def.layout;
      cols_ = std::move(cols);
      headers_ = &def.columns;
      position_.fill(-1);
      for (std::size_t i = 0; i < cols_.size(); ++i) position_[cols_[i]] = static_cast<int>(i);
      return Status::ok();
    }
    std::string shown(line.substr(0, 200));
    return Status::invalidArgument("line 1: not a recognised bill header (" +
                                   std::to_string(pieces_.size()) + " columns): \"" + shown + "\"");
  }

  std::string_view headerName(Col c) const {
    for (const auto& cn : *headers_) {
      if (cn.col == c) return cn.name;
    }
    return "?";
  }

  Status fieldError(Col c, const Status& why) const {
    return Status::invalidArgument(
        lineCol(reader_.lineNo(), static_cast<std::size_t>(position_[c]) + 1, headerName(c)) +
        ": " + why.message());
  }

  Status amount(Col c, Fen& out) const {
    auto r = parseYuan(field_[c]);
    if (!r) return fieldError(c, r.status());
    out = *r;
    return Status::ok();
  }
  Status optAmount(Col c, std::optional<Fen>& out) const {
    if (position_[c] < 0) return Status::ok();
    Fen v = 0;
    if (auto s = amount(c, v); !s.isOk()) return s;
    out = v;
    return Status::ok();
  }
  Status optTime(Col c, std::optional<TimePoint>& out) const {
    if (position_[c] < 0 || field_[c].empty()) return Status::ok();
    auto r = parseBeijingDateTime(field_[c]);
    if (!r) return fieldError(c, r.status());
    out = *r;
    return Status::ok();
  }

  Status readRow(std::string_view line) {
    splitData(line, pieces_);
    const std::size_t want = cols_.size();
    BillRow row;
    row.line = reader_.lineNo();
    if (pieces_.size() < want) {
      return Status::invalidArgument(
          "line " + std::to_string(row.line) + ": " + std::to_string(pieces_.size()) +
          " fields, the " + billLayoutName(out_.layout) + " header has " + std::to_string(want));
    }
    const std::size_t extra = pieces_.size() - want;
    const std::size_t body_at = static_cast<std::size_t>(position_[kBody]);
    if (extra > 0) {
      // The extra ",`" pieces belong to the free text: re-join them into 商品名称 (header comment).
      const char* first = pieces_[body_at].data();
      const char* last = pieces_[body_at + extra].data() + pieces_[body_at + extra].size();
      pieces_[body_at] = std::string_view(first, static_cast<std::size_t>(last - first));
      pieces_.erase(pieces_.begin() + static_cast<std::ptrdiff_t>(body_at) + 1,
                    pieces_.begin() + static_cast<std::ptrdiff_t>(body_at + extra) + 1);
      row.free_text_rejoined = true;
    }
    field_.fill(std::string_view());
    for (std::size_t i = 0; i < want; ++i) field_[cols_[i]] = pieces_[i];

    auto t = parseBeijingDateTime(field_[kTradeTime]);
    if (!t) return fieldError(kTradeTime, t.status());
    row.trade_time = *t;
    row.appid = field_[kAppId];
    row.mch_id = field_[kMchId];
    row.sub_mch_id = field_[kSubMchId];
    row.device_info = field_[kDeviceInfo];
    row.transaction_id = field_[kTransactionId];
    row.out_trade_no = field_[kOutTradeNo];
    row.openid = field_[kOpenId];
    row.trade_type = field_[kTradeType];
    row.trade_state = field_[kTradeState];
    row.bank_type = field_[kBankType];
    row.currency = field_[kCurrency];
    if (auto s = optAmount(kSettlement, row.settlement_fen); !s.isOk()) return s;
    if (auto s = amount(kCoupon, row.coupon_fen); !s.isOk()) return s;
    if (auto s = optTime(kRefundApplyTime, row.refund_apply_time); !s.isOk()) return s;
    if (auto s = optTime(kRefundSuccessTime, row.refund_success_time); !s.isOk()) return s;
    row.refund_id = field_[kRefundId];
    row.out_refund_no = field_[kOutRefundNo];
    if (auto s = optAmount(kRefundAmount, row.refund_fen); !s.isOk()) return s;
    if (auto s = optAmount(kCouponRefund, row.coupon_refund_fen); !s.isOk()) return s;
    row.refund_type = field_[kRefundType];
    row.refund_status = field_[kRefundStatus];
    row.body = field_[kBody];
    row.attach = field_[kAttach];
    auto fee = parseFee(field_[kFee]);
    if (!fee) return fieldError(kFee, fee.status());
    row.fee = *fee;
    row.fee_rate = field_[kFeeRate];
    if (auto s = optAmount(kOrderAmount, row.order_fen); !s.isOk()) return s;
    if (auto s = optAmount(kRefundApplied, row.refund_applied_fen); !s.isOk()) return s;
    row.fee_rate_note = field_[kFeeRateNote];

    if (auto s = accumulate(row); !s.isOk()) return s;
    if (on_row_) return on_row_(row);
    return Status::ok();
  }

  Status accumulate(const BillRow& row) {
    BillTotals& t = out_.totals;
    const bool refund = row.isRefundRow();
    const std::int64_t netted = refund && row.fee.units > 0 ? -row.fee.units : row.fee.units;
    const bool ok = addChecked(t.settlement_fen, row.settlement_fen.value_or(0)) &&
                    addChecked(t.coupon_fen, row.coupon_fen) &&
                    addChecked(t.refund_fen, row.refund_fen.value_or(0)) &&
                    addChecked(t.coupon_refund_fen, row.coupon_refund_fen.value_or(0)) &&
                    addChecked(t.order_fen, row.order_fen.value_or(0)) &&
                    addChecked(t.refund_applied_fen, row.refund_applied_fen.value_or(0)) &&
                    addChecked(t.fee_as_printed.units, row.fee.units) &&
                    addChecked(t.fee_refunds_netted.units, netted);
    if (!ok) {
      return Status::invalidArgument("line " + std::to_string(row.line) +
                                     ": the running totals overflow");
    }
    ++t.rows;
    if (refund) ++t.refund_rows;
    if (row.free_text_rejoined) ++t.rejoined_rows;
    return Status::ok();
  }

  Status readSummaryHeader(std::string_view line) {
    splitHeader(line, pieces_);
    const auto& expect = out_.layout == BillLayout::kAllLegacy ? kLegacySummary : kSummary;
    std::vector<Sum> sums;
    for (auto name : pieces_) {
      auto it = std::find_if(expect.begin(), expect.end(),
                             [&](const SummaryName& s) { return s.name == name; });
      if (it == expect.end() || std::find(sums.begin(), sums.end(), it->sum) != sums.end()) break;
      sums.push_back(it->sum);
    }
    if (sums.size() != expect.size() || pieces_.size() != expect.size()) {
      return Status::invalidArgument("line " + std::to_string(reader_.lineNo()) +
                                     ": neither a detail row (starting with `) nor the " +
                                     (out_.layout == BillLayout::kAllLegacy ? "legacy " : "") +
                                     "summary header: \"" + std::string(line.substr(0, 200)) +
                                     "\"");
    }
    sums_ = std::move(sums);
    summary_names_ = &expect;
    return Status::ok();
  }

  Status readSummaryRow(std::string_view line) {
    const std::size_t no = reader_.lineNo();
    if (line.empty() || line[0] != '`') {
      return Status::invalidArgument("line " + std::to_string(no) +
                                     ": expected the summary row (fields starting with `)");
    }
    splitData(line, pieces_);
    if (pieces_.size() != sums_.size()) {
      return Status::invalidArgument("line " + std::to_string(no) + ": summary row has " +
                                     std::to_string(pieces_.size()) + " fields, its header has " +
                                     std::to_string(sums_.size()));
    }
    BillStatedSummary st;
    for (std::size_t i = 0; i < sums_.size(); ++i) {
      const std::string_view text = pieces_[i];
      const std::string where = lineCol(no, i + 1, (*summary_names_)[indexOf(sums_[i])].name);
      if (sums_[i] == kSumCount) {
        auto r = parseDecimal(text, 0);
        if (!r || *r < 0) {
          return Status::invalidArgument(where + ": \"" + std::string(text.substr(0, 40)) +
                                         "\" is not a row count");
        }
        st.trade_count = *r;
        continue;
      }
      if (sums_[i] == kSumFee) {
        auto r = parseFee(text);
        if (!r) return Status::invalidArgument(where + ": " + r.status().message());
        st.fee = *r;
        continue;
      }
      auto r = parseYuan(text);
      if (!r) return Status::invalidArgument(where + ": " + r.status().message());
      switch (sums_[i]) {
        case kSumSettlement:
          st.settlement_fen = *r;
          break;
        case kSumRefund:
          st.refund_fen = *r;
          break;
        case kSumCouponRefund:
          st.coupon_refund_fen = *r;
          break;
        case kSumOrder:
          st.order_fen = *r;
          break;
        case kSumRefundApplied:
          st.refund_applied_fen = *r;
          break;
        default:
          break;
      }
    }
    out_.stated = st;
    return Status::ok();
  }

  std::size_t indexOf(Sum s) const {
    for (std::size_t i = 0; i < summary_names_->size(); ++i) {
      if ((*summary_names_)[i].sum == s) return i;
    }
    return 0;
  }
  std::string_view summaryName(Sum s) const { return (*summary_names_)[indexOf(s)].name; }

  void compareFen(Sum s, Fen stated, Fen rows) {
    if (stated == rows) return;
    out_.mismatches.push_back(std::string(summaryName(s)) + ": summary " + formatYuan(stated) +
                              ", rows sum to " + formatYuan(rows));
  }

  Status checkSummary() {
    const BillStatedSummary& st = *out_.stated;
    const BillTotals& t = out_.totals;
    const std::int64_t payments = t.rows - t.refund_rows;
    const bool count_all = st.trade_count == t.rows;
    const bool count_pay = st.trade_count == payments;
    out_.count_reading = count_all && count_pay ? CountReading::kEither
                         : count_all            ? CountReading::kAllRows
                         : count_pay            ? CountReading::kPaymentRowsOnly
                                                : CountReading::kNone;
    if (out_.count_reading == CountReading::kNone) {
      out_.mismatches.push_back(std::string(summaryName(kSumCount)) + ": summary " +
                                std::to_string(st.trade_count) + ", rows give " +
                                std::to_string(t.rows) + " (counting refund rows) or " +
                                std::to_string(payments) + " (payment rows only)");
    }
    if (st.settlement_fen) compareFen(kSumSettlement, *st.settlement_fen, t.settlement_fen);
    compareFen(kSumRefund, st.refund_fen, t.refund_fen);
    compareFen(kSumCouponRefund, st.coupon_refund_fen, t.coupon_refund_fen);
    const bool fee_printed = st.fee == t.fee_as_printed;
    const bool fee_netted = st.fee == t.fee_refunds_netted;
    out_.fee_reading = fee_printed && fee_netted ? FeeReading::kEither
                       : fee_printed             ? FeeReading::kAsPrinted
                       : fee_netted              ? FeeReading::kRefundsNetted
                                                 : FeeReading::kNone;
    if (out_.fee_reading == FeeReading::kNone) {
      std::string m = std::string(summaryName(kSumFee)) + ": summary " + formatFee(st.fee) +
                      ", rows sum to " + formatFee(t.fee_as_printed) + " (as printed)";
      if (t.fee_refunds_netted != t.fee_as_printed) {
        m += " or " + formatFee(t.fee_refunds_netted) + " (refund-row fees subtracted)";
      }
      out_.mismatches.push_back(m);
    }
    compareFen(kSumOrder, st.order_fen, t.order_fen);
    if (st.refund_applied_fen) {
      compareFen(kSumRefundApplied, *st.refund_applied_fen, t.refund_applied_fen);
    }
    if (out_.mismatches.empty()) {
      out_.summary_ok = true;
      return Status::ok();
    }
    std::string msg = "the summary row does not match the rows: ";
    for (std::size_t i = 0; i < out_.mismatches.size(); ++i) {
      if (i > 0) msg += "; ";
      msg += out_.mismatches[i];
    }
    return Status::dataLoss(msg);
  }

  LineReader reader_;
  const BillRowHandler& on_row_;
  BillSummary out_;
  std::vector<std::string_view> pieces_;
  std::vector<Col> cols_;  // column position -> meaning
  const std::vector<ColumnName>* headers_ = nullptr;
  std::array<int, kColCount> position_{};  // meaning -> position, -1 when absent
  std::array<std::string_view, kColCount> field_{};
  std::vector<Sum> sums_;
  const std::vector<SummaryName>* summary_names_ = nullptr;
};

}  // namespace

const char* billLayoutName(BillLayout layout) {
  switch (layout) {
    case BillLayout::kAll:
      return "ALL";
    case BillLayout::kSuccess:
      return "SUCCESS";
    case BillLayout::kRefund:
      return "REFUND";
    case BillLayout::kRechargeRefund:
      return "RECHARGE_REFUND";
    case BillLayout::kAllLegacy:
      return "ALL_LEGACY";
    case BillLayout::kUnknown:
      break;
  }
  return "UNKNOWN";
}

const char* countReadingName(CountReading r) {
  switch (r) {
    case CountReading::kAllRows:
      return "all_rows";
    case CountReading::kPaymentRowsOnly:
      return "payment_rows_only";
    case CountReading::kEither:
      return "either";
    case CountReading::kNone:
      break;
  }
  return "none";
}

const char* feeReadingName(FeeReading r) {
  switch (r) {
    case FeeReading::kAsPrinted:
      return "as_printed";
    case FeeReading::kRefundsNetted:
      return "refunds_netted";
    case FeeReading::kEither:
      return "either";
    case FeeReading::kNone:
      break;
  }
  return "none";
}

std::int64_t BillSummary::tradeCount() const {
  if (count_reading == CountReading::kPaymentRowsOnly) return totals.rows - totals.refund_rows;
  return totals.rows;
}

FeeAmount BillSummary::feeTotal() const {
  if (fee_reading == FeeReading::kRefundsNetted) return totals.fee_refunds_netted;
  return totals.fee_as_printed;
}

std::string BillSummary::readingDescription() const {
  std::string s = "总交易单数 ";
  switch (count_reading) {
    case CountReading::kAllRows:
      s += "counts refund rows";
      break;
    case CountReading::kPaymentRowsOnly:
      s += "counts payment rows only";
      break;
    case CountReading::kEither:
      s += "fits either reading (no refund rows)";
      break;
    case CountReading::kNone:
      s += "matches no reading";
      break;
  }
  s += "; 手续费总金额 ";
  switch (fee_reading) {
    case FeeReading::kAsPrinted:
      s += "is the sum as printed";
      break;
    case FeeReading::kRefundsNetted:
      s += "subtracts refund-row fees";
      break;
    case FeeReading::kEither:
      s += "fits either reading";
      break;
    case FeeReading::kNone:
      s += "matches no reading";
      break;
  }
  return s;
}

BillSummary parseBill(std::istream& in, const BillRowHandler& on_row) {
  return Parser(in, on_row).run();
}

}  // namespace wx
