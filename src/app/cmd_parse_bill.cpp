// `wxrecon parse-bill FILE [--json]` (DESIGN.md §1): parse and validate a downloaded bill,
// plain or gzip. Exit 0 when the summary row matches the rows, 1 when the file is rejected
// (including a file that is a WeChat error answer, or cannot be read), 2 for usage errors.
#include <fstream>
#include <ostream>

#include "app/commands.h"
#include "wechat/bill_input.h"
#include "wechat/bill_parser.h"

namespace wx {

namespace {

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static const char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

// The result of looking at one file: a parse, or why there was nothing to parse.
struct Outcome {
  BillSummary summary;
  std::string not_a_bill;  // set when the file could not be read or is a WeChat error answer
  bool gzip = false;
};

Outcome examine(const std::string& path) {
  Outcome o;
  {
    // A downloadbill error answer saved to a file is an XML body, not a bill.
    std::ifstream f(path, std::ios::binary);
    char prefix[512];
    f.read(prefix, sizeof prefix);
    const auto cls =
        classifyBillResponse(std::string_view(prefix, static_cast<std::size_t>(f.gcount())),
                             /*gzip_requested=*/false);
    if (f.is_open() && cls.kind != BillResponseKind::kBillData) {
      o.not_a_bill = "not a bill: " + cls.detail;
      o.summary.status = Status::invalidArgument(o.not_a_bill);
      return o;
    }
  }
  auto input = BillInput::openFile(path);
  if (!input) {
    o.not_a_bill = input.status().message();
    o.summary.status = input.status();
    return o;
  }
  o.gzip = (*input)->gzip();
  o.summary = parseBill((*input)->stream());
  return o;
}

void printJson(const Outcome& o, std::ostream& out) {
  const BillSummary& s = o.summary;
  const BillTotals& t = s.totals;
  const bool legacy = s.layout == BillLayout::kAllLegacy;
  // Totals are only meaningful for a file read to its end; a format error leaves them null.
  auto fen = [&](Fen v, bool present) {
    return s.complete && present ? std::to_string(v) : std::string("null");
  };
  out << "{\"rows\":" << t.rows << ",\"layout\":"
      << (s.layout == BillLayout::kUnknown ? std::string("null")
                                           : jsonString(billLayoutName(s.layout)))
      << ",\"trade_count\":" << fen(s.tradeCount(), true)
      << ",\"settlement_total_fen\":" << fen(t.settlement_fen, !legacy)
      << ",\"refund_total_fen\":" << fen(t.refund_fen, true)
      << ",\"coupon_refund_total_fen\":" << fen(t.coupon_refund_fen, true) << ",\"fee_total\":"
      << (s.complete ? jsonString(formatFee(s.feeTotal())) : std::string("null"))
      << ",\"order_total_fen\":" << fen(t.order_fen, true)
      << ",\"refund_applied_total_fen\":" << fen(t.refund_applied_fen, !legacy)
      << ",\"summary_ok\":" << (s.summary_ok ? "true" : "false");
  if (!s.summary_ok) out << ",\"error\":" << jsonString(s.status.message());
  out << "}\n";
}

void printHuman(const std::string& path, const Outcome& o, std::ostream& out) {
  const BillSummary& s = o.summary;
  out << "bill " << path << (o.gzip ? " (gzip)" : "") << "\n";
  if (!o.not_a_bill.empty()) {
    out << "REJECTED: " << o.not_a_bill << "\n";
    return;
  }
  const BillTotals& t = s.totals;
  out << "layout " << billLayoutName(s.layout) << ", " << t.rows << " detail rows ("
      << t.refund_rows << " refund rows";
  if (t.rejoined_rows > 0) out << ", " << t.rejoined_rows << " with ,` re-joined in 商品名称";
  out << ")\n";
  if (s.complete && s.stated) {
    const BillStatedSummary& st = *s.stated;
    const bool legacy = s.layout == BillLayout::kAllLegacy;
    auto line = [&](const char* name, const std::string& rows, const std::string& stated) {
      out << "  " << name << "  rows " << rows << "  summary " << stated
          << (rows == stated ? "" : "  <-- differs") << "\n";
    };
    line("总交易单数", std::to_string(s.tradeCount()), std::to_string(st.trade_count));
    if (!legacy)
      line("应结订单总金额", formatYuan(t.settlement_fen), formatYuan(*st.settlement_fen));
    line(legacy ? "总退款金额" : "退款总金额", formatYuan(t.refund_fen), formatYuan(st.refund_fen));
    line(legacy ? "总代金券或立减优惠退款金额" : "充值券退款总金额",
         formatYuan(t.coupon_refund_fen), formatYuan(st.coupon_refund_fen));
    line("手续费总金额", formatFee(s.feeTotal()), formatFee(st.fee));
    line(legacy ? "总交易额" : "订单总金额", formatYuan(t.order_fen), formatYuan(st.order_fen));
    if (!legacy) {
      line("申请退款总金额", formatYuan(t.refund_applied_fen), formatYuan(*st.refund_applied_fen));
    }
    out << "reading: " << s.readingDescription() << "\n";
  }
  if (s.summary_ok) {
    out << "OK: the summary row matches the rows\n";
  } else {
    out << "REJECTED: " << s.status.message() << "\n";
  }
}

}  // namespace

int runParseBill(CommandContext& ctx) {
  if (ctx.positional().empty()) {
    ctx.err() << "wxrecon parse-bill: missing FILE (usage: wxrecon parse-bill FILE [--json])\n";
    return kExitUsage;
  }
  const std::string& path = ctx.positional().front();
  const Outcome o = examine(path);
  if (ctx.has("json")) {
    printJson(o, ctx.out());
  } else {
    printHuman(path, o, ctx.out());
  }
  return o.summary.summary_ok ? kExitOk : kExitFailed;
}

}  // namespace wx
