#include "sim/sim_bill.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <vector>

namespace wx::sim {
namespace {

constexpr const char* kHeaderAll =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
constexpr const char* kHeaderSuccess =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注";
constexpr const char* kHeaderRefund =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,"
    "退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,"
    "申请退款金额,费率备注";
constexpr const char* kSummaryHeader =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
constexpr const char* kRate = "0.60%";

// One detail row to write: a payment or a refund, of an explicit order or a generated row.
struct Entry {
  std::int64_t t_ms;
  std::uint64_t row;     // generated row index, or index into src.orders
  std::uint32_t source;  // 0 = explicit order, 1 + k = src.generated[k]
  std::uint32_t refund;  // 0 = payment row, 1 + n = refunds[n]
};

// The fields that differ between rows.
struct RowData {
  TimePoint time;
  const std::string* appid;
  const std::string* mch_id;
  std::string transaction_id, out_trade_no, openid, trade_type, bank_type;
  const std::string* body;
  const std::string* attach;
  bool is_refund;
  Fen amount;  // payment: paid fee; refund: refund fee
  TimePoint refund_requested, refund_success;
  std::string refund_id, out_refund_no;
};

bool wanted(BillType type, bool is_refund) {
  if (type == BillType::kSuccess) return !is_refund;
  if (type == BillType::kRefund) return is_refund;
  return true;
}

template <typename F>
void forEachEntry(const BillSource& src, const CivilDate& day, BillType type, F&& f) {
  for (std::size_t k = 0; k < src.orders.size(); ++k) {
    const SimOrder& o = src.orders[k];
    if (o.paid_at && beijingDate(*o.paid_at) == day && wanted(type, false)) {
      f(Entry{o.paid_at->time_since_epoch().count(), k, 0, 0});
    }
    for (std::size_t n = 0; n < o.refunds.size(); ++n) {
      if (beijingDate(o.refunds[n].requested_at) == day && wanted(type, true)) {
        f(Entry{o.refunds[n].requested_at.time_since_epoch().count(), k, 0,
                static_cast<std::uint32_t>(n + 1)});
      }
    }
  }
  for (std::size_t g = 0; g < src.generated.size(); ++g) {
    const auto& gen = src.generated[g];
    const std::uint64_t rows = gen.day->spec().rows;
    for (std::uint64_t i = 0; i < rows; ++i) {
      if (gen.masked.count(i)) continue;
      const auto r = gen.day->row(i);
      if (wanted(type, false)) {
        f(Entry{r.paid_at.time_since_epoch().count(), i, static_cast<std::uint32_t>(g + 1), 0});
      }
      if (r.refunded && wanted(type, true)) {
        f(Entry{r.refund_at.time_since_epoch().count(), i, static_cast<std::uint32_t>(g + 1), 1});
      }
    }
  }
}

std::string fee5(std::int64_t fen_or_units, bool units = false) {
  return formatFee(FeeAmount{units ? fen_or_units : fen_or_units * 1000});
}

}  // namespace

std::optional<BillType> parseBillType(const std::string& wire) {
  if (wire.empty() || wire == "ALL") return BillType::kAll;
  if (wire == "SUCCESS") return BillType::kSuccess;
  if (wire == "REFUND") return BillType::kRefund;
  return std::nullopt;
}

Fen billFeeFen(Fen amount) {
  // 0.6% = 6/1000, half-up; amounts are never negative here.
  return (amount * 6 + 500) / 1000;
}

std::uint64_t countBillRows(const BillSource& src, const CivilDate& day, BillType type) {
  std::uint64_t n = 0;
  forEachEntry(src, day, type, [&](const Entry&) { ++n; });
  return n;
}

BillTotals writeBill(std::ostream& out, const BillSource& src, const CivilDate& day,
                     BillType type) {
  std::vector<Entry> entries;
  forEachEntry(src, day, type, [&](const Entry& e) { entries.push_back(e); });
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.t_ms < b.t_ms; });

  std::string buf;
  buf.reserve(1 << 20);
  buf += type == BillType::kAll       ? kHeaderAll
         : type == BillType::kSuccess ? kHeaderSuccess
                                      : kHeaderRefund;
  buf += '\n';

  BillTotals totals;
  const std::string empty;
  RowData d;
  SimOrder generated_order;
  for (const Entry& e : entries) {
    const SimOrder* o;
    if (e.source == 0) {
      o = &src.orders[e.row];
    } else {
      generated_order = src.generated[e.source - 1].day->order(e.row);
      o = &generated_order;
    }
    d.is_refund = e.refund != 0;
    d.appid = &o->appid;
    d.mch_id = &o->mch_id;
    d.body = &o->body;
    d.attach = &o->attach;
    const SimRefund* r = d.is_refund ? &o->refunds[e.refund - 1] : nullptr;
    d.time = d.is_refund ? r->requested_at : *o->paid_at;
    d.amount = d.is_refund ? r->refund_fee : o->paid_fee;
    const Fen settlement = d.is_refund ? 0 : d.amount;
    const Fen refund_fee = d.is_refund ? d.amount : 0;
    const Fen fee_fen = d.is_refund ? -billFeeFen(d.amount) : billFeeFen(d.amount);

    auto it = std::back_inserter(buf);
    fmt::format_to(it, "`{},`{},`{},`0,`,`{},`{},`{},`{},`{},`{},`CNY,`{},`0.00,",
                   formatBeijingDateTime(d.time), o->appid, o->mch_id, o->transaction_id,
                   o->out_trade_no, o->openid, o->trade_type, d.is_refund ? "REFUND" : "SUCCESS",
                   o->bank_type, formatYuan(settlement));
    if (type == BillType::kRefund) {
      fmt::format_to(it, "`{},`{},", formatBeijingDateTime(r->requested_at),
                     formatBeijingDateTime(r->success_at));
    }
    if (type != BillType::kSuccess) {
      if (d.is_refund) {
        fmt::format_to(it, "`{},`{},`{},`0.00,`ORIGINAL,`SUCCESS,", r->refund_id, r->out_refund_no,
                       formatYuan(refund_fee));
      } else {
        buf += "`0,`0,`0.00,`0.00,`,`,";
      }
    }
    fmt::format_to(it, "`{},`{},`{},`{},`{},", o->body, o->attach, fee5(fee_fen), kRate,
                   formatYuan(settlement));
    if (type != BillType::kSuccess) fmt::format_to(it, "`{},", formatYuan(refund_fee));
    buf += "`\n";

    ++totals.rows;
    totals.settlement_total += settlement;
    totals.refund_total += refund_fee;
    totals.fee_units += fee_fen * 1000;
    totals.order_total += settlement;
    totals.applied_refund_total += refund_fee;
    if (buf.size() > (1 << 20) - 4096) {
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  buf += kSummaryHeader;
  buf += '\n';
  fmt::format_to(std::back_inserter(buf), "`{},`{},`{},`0.00,`{},`{},`{}\n", totals.rows,
                 formatYuan(totals.settlement_total), formatYuan(totals.refund_total),
                 fee5(totals.fee_units, true), formatYuan(totals.order_total),
                 formatYuan(totals.applied_refund_total));
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  return totals;
}

}  // namespace wx::sim
