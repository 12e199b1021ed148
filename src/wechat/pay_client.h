// Typed WeChat Pay v2 calls: orderquery, closeorder, refundquery, downloadbill
// (WECHATPAY_V2.md §2, §3, §5, §6; DESIGN.md §5 and §8).
//
// Each call: builds the request with the order's appid, the merchant's mch_id, a fresh nonce,
// signs it with the merchant's sign_type; sends it through the HttpTransport (paced by the
// RequestLimiter); on a connection failure only (nothing was sent), sends it once more to
// backup_url. The answer is parsed ONCE with parseXmlFields, its signature verified with
// verifySign (the request's algorithm; the previous key accepted during rotation), its identity
// checked (appid and mch_id as sent, out_trade_no / transaction_id as asked), then classified:
//   kDefinitive     verified business outcome (trade_state, ORDERNOTEXIST, close outcome,
//                   refunds, a bill or "No Bill Exist");
//   kRetryLater     transport failure, HTTP non-200, SYSTEMERROR, FREQUENCY_LIMITED, "Bill
//                   Creating", unknown err_code / state;
//   kBadAnswer      malformed XML, bad signature, identity mismatch (retry later, but report);
//   kConfigFailure  return_code=FAIL to our request (unsigned: no sign required), SIGNERROR,
//                   REQUIRE_POST_METHOD, XML_FORMAT_ERROR, an appid not configured for the
//                   merchant, an http:// URL to a non-loopback host. `return_msg` says why.
// Calls never throw. Thread-safe. The API key never appears in an answer, a detail or a log.
#pragma once

#include <string>

#include "app/config.h"
#include "common/clock.h"
#include "wechat/api_types.h"
#include "wechat/http_transport.h"
#include "wechat/nonce_source.h"
#include "wechat/rate_limiter.h"
#include "wechat/xml_codec.h"

namespace wx {

class PayClient {
 public:
  // Uses config.base_url, backup_url (empty: no failover), connect_timeout_ms, timeout_ms,
  // max_in_flight and qps (the default for merchants whose qps is <= 0). Keeps references to
  // transport, nonces, clock and sleeper: they must outlive the client.
  PayClient(const WechatConfig& config, HttpTransport& transport, NonceSource& nonces,
            const Clock& clock, Sleeper& sleeper = SystemSleeper::instance());

  OrderQueryAnswer orderQuery(const MerchantConfig& merchant, const OrderQueryRequest& request);
  CloseOrderAnswer closeOrder(const MerchantConfig& merchant, const CloseOrderRequest& request);
  RefundQueryAnswer refundQuery(const MerchantConfig& merchant, const RefundQueryRequest& request);

  // Streams the bill's bytes into `sink` as they arrive. The sink receives ONLY bill bytes: an
  // XML error body is recognised from its first bytes (after a BOM and whitespace, '<' for a
  // plain bill; anything but the gzip magic 1f 8b for tar_type=GZIP) and kept in memory. When
  // the answer is not kBill and result.bytes > 0 (the transfer broke midway), discard what the
  // sink got. "No Bill Exist" (case-insensitive) is kEmpty; an empty body is never an empty bill.
  BillAnswer downloadBill(const MerchantConfig& merchant, const BillRequest& request,
                          const BodySink& sink);

  RequestLimiter& limiter() { return limiter_; }

  // Largest XML answer accepted (the XmlLimits cap).
  static constexpr std::size_t kMaxAnswerBytes = 65536;

 private:
  enum class Stage { kContinue, kDone };
  HttpResult post(const MerchantConfig& merchant, const std::string& path, FieldMap fields,
                  const BodySink* sink, AnswerInfo& info);
  Stage checkEnvelope(const MerchantConfig& merchant, const std::string& appid,
                      const HttpResult& http, AnswerInfo& info);
  Stage checkSignedAnswer(const MerchantConfig& merchant, const std::string& appid,
                          AnswerInfo& info);
  Stage checkCommonErrCodes(const MerchantConfig& merchant, AnswerInfo& info);
  bool checkAppid(const MerchantConfig& merchant, const std::string& appid, AnswerInfo& info);
  int qpsFor(const MerchantConfig& merchant) const;

  WechatConfig config_;
  HttpTransport& transport_;
  NonceSource& nonces_;
  RequestLimiter limiter_;
};

}  // namespace wx
