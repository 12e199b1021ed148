// Protocol hot paths: signing a typical orderquery answer (20 fields) and the notification path
// (one hardened parse + verify). Prints "<name> <value> <unit>" lines (tests/bench/run.sh).
// Targets on the shared 2-core machine: >= 200,000 signs/s, >= 50,000 parse+verify/s, one
// thread. Rates are per CPU-second of the benchmark thread (see cpuSeconds()).
//
// Then the XML codec's cost per message, in ns and heap allocations (operator new calls, counted
// by this file's replacement): the orderquery answer as PayClient checks it (parseXmlFields +
// verifySign) and a payment notification as notify-server checks it (verifyNotification).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "service/notification_verifier.h"
#include "wechat/signer.h"
#include "wechat/xml_codec.h"

// Counts every allocation through operator new (the containers' and strings' allocations).
namespace {
std::size_t g_allocations = 0;

void* countedAlloc(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return countedAlloc(n); }
void* operator new[](std::size_t n) { return countedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

const wx::Secret kKey{"192006250b4c09247ec02edce69f6a2d"};

// The WECHATPAY_V2.md §2 orderquery success answer (20 fields with sign).
wx::FieldMap orderQueryAnswer() {
  return {{"return_code", "SUCCESS"},
          {"return_msg", "OK"},
          {"appid", "wx2421b1c4370ec43b"},
          {"mch_id", "10000100"},
          {"device_info", "1000"},
          {"nonce_str", "TN55wO9Pba5yENl8"},
          {"result_code", "SUCCESS"},
          {"openid", "oUpF8uN95-Ptaags6E_roPHg7AG0"},
          {"is_subscribe", "Y"},
          {"trade_type", "MICROPAY"},
          {"bank_type", "CCB_DEBIT"},
          {"total_fee", "1"},
          {"fee_type", "CNY"},
          {"transaction_id", "1008450740201411110005820873"},
          {"out_trade_no", "1415757673"},
          {"attach", "订单额外描述"},
          {"time_end", "20141111170043"},
          {"trade_state", "SUCCESS"},
          {"cash_fee", "1"}};
}

// A payment notification (WECHATPAY_V2.md §4, the WxJava sample's fields, one coupon).
wx::FieldMap paymentNotification() {
  return {{"return_code", "SUCCESS"},
          {"return_msg", "OK"},
          {"appid", "wx2421b1c4370ec43b"},
          {"mch_id", "10000100"},
          {"nonce_str", "5d2b6c2a8db53831f7eda20af46e531c"},
          {"result_code", "SUCCESS"},
          {"openid", "oUpF8uMEb4qRXf22hE3X68TekukE"},
          {"is_subscribe", "N"},
          {"trade_type", "JSAPI"},
          {"bank_type", "CFT"},
          {"total_fee", "101"},
          {"fee_type", "CNY"},
          {"cash_fee", "91"},
          {"coupon_fee", "10"},
          {"coupon_count", "1"},
          {"coupon_type_0", "CASH"},
          {"coupon_id_0", "10000"},
          {"coupon_fee_0", "10"},
          {"transaction_id", "1004400740201409030005092168"},
          {"out_trade_no", "1409811653"},
          {"attach", "支付测试"},
          {"time_end", "20140903131540"}};
}

// This thread's CPU time: the machine is shared (load is often 5x the core count), and wall
// time would measure the neighbours. The figures are per CPU-second of this thread.
double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs fn repeatedly for about `seconds` of CPU time and returns calls per CPU-second.
template <typename Fn>
double rate(Fn&& fn, double seconds = 1.0) {
  for (int i = 0; i < 1000; ++i) fn();  // warm-up
  std::size_t calls = 0;
  const double start = cpuSeconds();
  double elapsed = 0;
  do {
    for (int i = 0; i < 1000; ++i) fn();
    calls += 1000;
    elapsed = cpuSeconds() - start;
  } while (elapsed < seconds);
  return static_cast<double>(calls) / elapsed;
}

std::size_t g_sink = 0;  // keeps results observable

// Prints "<name>_ns <ns> ns/op" and "<name>_allocs <n> allocs/op" for fn.
template <typename Fn>
void perMessage(const char* name, Fn&& fn) {
  const double r = rate(fn);
  constexpr int kCalls = 1000;
  const std::size_t before = g_allocations;
  for (int i = 0; i < kCalls; ++i) fn();
  const double allocs = static_cast<double>(g_allocations - before) / kCalls;
  std::printf("%s_ns %.0f ns/op\n", name, 1e9 / r);
  std::printf("%s_allocs %.1f allocs/op\n", name, allocs);
}

}  // namespace

int main() {
  const wx::FieldMap fields = orderQueryAnswer();
  const struct {
    const char* name;
    wx::SignType type;
  } algos[] = {{"md5", wx::SignType::kMd5}, {"hmac_sha256", wx::SignType::kHmacSha256}};

  for (const auto& a : algos) {
    const double r = rate([&] { g_sink += wx::computeSign(fields, a.type, kKey).size(); });
    std::printf("sign_%s %.0f signs/s\n", a.name, r);
  }
  for (const auto& a : algos) {
    wx::FieldMap signed_fields = fields;
    wx::signRequest(signed_fields, a.type, kKey);
    const std::string body = wx::writeXmlFields(signed_fields);
    const std::vector<wx::SignType> allowed = {a.type};
    bool all_ok = true;
    const double r = rate([&] {
      const wx::XmlParseResult p = wx::parseXmlFields(body);
      const wx::VerifyResult v = wx::verifySign(p.fields, allowed, kKey);
      all_ok = all_ok && p.ok() && v.ok();
      g_sink += p.fields.size();
    });
    if (!all_ok) {
      std::fprintf(stderr, "bench_protocol: notification %s did not verify\n", a.name);
      return 1;
    }
    std::printf("notify_parse_verify_%s %.0f notifications/s\n", a.name, r);
    std::printf("notify_body_bytes_%s %zu bytes\n", a.name, body.size());
  }

  for (const auto& a : algos) {
    wx::FieldMap answer = fields;
    wx::signRequest(answer, a.type, kKey);
    const std::string body = wx::writeXmlFields(answer);
    const std::vector<wx::SignType> allowed = {a.type};
    bool all_ok = true;
    const std::string name = std::string("xml_orderquery_answer_") + a.name;
    perMessage(name.c_str(), [&] {
      const wx::XmlParseResult p = wx::parseXmlFields(body);
      all_ok = all_ok && p.ok() && wx::verifySign(p.fields, allowed, kKey).ok();
      g_sink += p.fields.count("trade_state");
    });
    if (!all_ok) {
      std::fprintf(stderr, "bench_protocol: orderquery answer %s did not verify\n", a.name);
      return 1;
    }
  }
  for (const auto& a : algos) {
    wx::MerchantConfig m;
    m.mch_id = "10000100";
    m.appids = {"wx2421b1c4370ec43b"};
    m.api_key = kKey;
    m.sign_type = a.type;
    m.notify_sign_types = {a.type};
    const std::vector<wx::MerchantConfig> merchants = {m};
    wx::FieldMap notification = paymentNotification();
    wx::signRequest(notification, a.type, kKey);
    const std::string body = wx::writeXmlFields(notification);
    bool all_ok = true;
    const std::string name = std::string("xml_notification_") + a.name;
    perMessage(name.c_str(), [&] {
      const wx::VerifiedNotification v = wx::verifyNotification(body, merchants);
      all_ok = all_ok && v.verdict == wx::NotificationVerdict::kAccepted;
      g_sink += v.out_trade_no.size();
    });
    if (!all_ok) {
      std::fprintf(stderr, "bench_protocol: notification %s was not accepted\n", a.name);
      return 1;
    }
  }
  return g_sink == 0 ? 1 : 0;
}
