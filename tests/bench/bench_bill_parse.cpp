// Bill parser benchmark (driven by tests/bench/bill_parse.sh).
//   bench_bill_parse generate FILE ROWS   writes a consistent ALL bill of ROWS detail rows
//   bench_bill_parse parse FILE NAME      parses FILE (plain or gzip) and prints
//                                         "<name> <value> <unit>" lines: seconds, rows/s,
//                                         peak RSS of this process (getrusage)
// Generation runs as its own process so its memory never counts towards the parse's RSS.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "wechat/bill_input.h"
#include "wechat/bill_parser.h"

using namespace wx;

namespace {

const char kHeader[] =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n";

int generate(const char* path, long rows) {
  std::FILE* f = std::fopen(path, "wb");
  if (f == nullptr) {
    std::perror(path);
    return 1;
  }
  static char buf[1 << 20];
  std::setvbuf(f, buf, _IOFBF, sizeof buf);
  std::fputs(kHeader, f);
  Fen settlement = 0, refund = 0, order = 0, applied = 0;
  std::int64_t fee = 0;
  for (long i = 0; i < rows; ++i) {
    const long secs = i * 86399 / rows;
    const bool is_refund = i % 10 == 9;
    const Fen amount = 1 + (i * 7919) % 99999;  // 0.01 .. 999.99 yuan
    const std::int64_t row_fee = is_refund ? -(amount * 6 / 10) : amount * 6;  // 1/100000 yuan
    char line[512];
    const std::string amt = formatYuan(amount);
    const std::string fee_text = formatFee(FeeAmount{row_fee});
    std::snprintf(
        line, sizeof line,
        "`2024-05-01 %02ld:%02ld:%02ld,`wx2421b1c4370ec43b,`10000100,`0,`,`42000000012024050%011ld,"
        "`ORD%010ld,`oUser_%06ld,`JSAPI,`%s,`CFT,`CNY,`%s,`0.00,`%s,`%s,`%s,`0.00,`%s,`%s,"
        "`商品名称示例%ld,`,`%s,`0.60%%,`%s,`%s,`\n",
        secs / 3600, secs / 60 % 60, secs % 60, i, is_refund ? i - 1 : i, i % 100000,
        is_refund ? "REFUND" : "SUCCESS", is_refund ? "0.00" : amt.c_str(),
        is_refund ? ("5000000001202405010" + std::to_string(1000000000L + i)).c_str() : "0",
        is_refund ? ("RF" + std::to_string(i)).c_str() : "0", is_refund ? amt.c_str() : "0.00",
        is_refund ? "ORIGINAL" : "", is_refund ? "SUCCESS" : "", i % 1000, fee_text.c_str(),
        is_refund ? "0.00" : amt.c_str(), is_refund ? amt.c_str() : "0.00");
    std::fputs(line, f);
    if (is_refund) {
      refund += amount;
      applied += amount;
    } else {
      settlement += amount;
      order += amount;
    }
    fee += row_fee;
  }
  std::fprintf(f,
               "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
               "申请退款总金额\n`%ld,`%s,`%s,`0.00,`%s,`%s,`%s\n",
               rows, formatYuan(settlement).c_str(), formatYuan(refund).c_str(),
               formatFee(FeeAmount{fee}).c_str(), formatYuan(order).c_str(),
               formatYuan(applied).c_str());
  return std::fclose(f) == 0 ? 0 : 1;
}

int parse(const char* path, const std::string& name) {
  const auto start = std::chrono::steady_clock::now();
  auto input = BillInput::openFile(path);
  if (!input) {
    std::cerr << input.status().toString() << "\n";
    return 1;
  }
  std::int64_t check = 0;  // touches every row so nothing is optimised away
  const BillSummary s = parseBill((*input)->stream(), [&](const BillRow& r) {
    check += static_cast<std::int64_t>(r.out_trade_no.size());
    return Status::ok();
  });
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.summary_ok || check == 0) {
    std::cerr << "parse failed: " << s.status.toString() << "\n";
    return 1;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("bill_parse_%s_seconds %.3f s\n", name.c_str(), secs);
  std::printf("bill_parse_%s_rows_per_s %.0f rows/s\n", name.c_str(),
              static_cast<double>(s.totals.rows) / secs);
  std::printf("bill_parse_%s_peak_rss %.1f MB\n", name.c_str(),
              static_cast<double>(ru.ru_maxrss) / 1024.0);
  std::printf("bill_parse_%s_rows %lld rows\n", name.c_str(),
              static_cast<long long>(s.totals.rows));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "generate") == 0) {
    return generate(argv[2], std::atol(argv[3]));
  }
  if (argc == 4 && std::strcmp(argv[1], "parse") == 0) return parse(argv[2], argv[3]);
  std::cerr << "usage: bench_bill_parse generate FILE ROWS | parse FILE NAME\n";
  return 2;
}
