// Getting a bill's text: telling a downloadbill answer body from a WeChat error, and opening a
// plain or gzip bill (WECHATPAY_V2.md §5; STACK_NOTES.md "XML, gzip").
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace wx {

// What a downloadbill response body is.
enum class BillResponseKind {
  kBillData,  // a bill (plain text or gzip): parse it
  kEmptyDay,  // "No Bill Exist" (error_code 20002): no trades that day — an empty bill
  kNotReady,  // "Bill Creating": not generated yet, retry later (after 10:00 Beijing)
  kFailed,    // any other error answer, or a body that is neither a bill nor an error answer
};

const char* billResponseKindName(BillResponseKind k);  // "BILL", "EMPTY", "NOT_READY", "FAILED"

struct BillResponseClass {
  BillResponseKind kind = BillResponseKind::kFailed;
  std::string return_msg;  // of an error answer (CDATA unwrapped), else empty
  std::string error_code;  // of an error answer (downloadbill uses error_code, not err_code)
  std::string detail;      // a one-line explanation for logs and operators
};

// Classifies a response body from its first bytes (512 are plenty; the whole body is fine).
// Rule (WxJava's): after a UTF-8 BOM and whitespace, a body starting with "<xml" is an error
// answer; with tar_type=GZIP a body without the gzip magic 1f 8b is one too. Error answers are
// "No Bill Exist" / error_code 20002 ⇒ kEmptyDay, "Bill Creating" ⇒ kNotReady (return_msg
// compared case-insensitively), anything else ⇒ kFailed. A gzip body is kBillData even when
// gzip was not requested (the parser detects it by magic). Pure; never throws.
BillResponseClass classifyBillResponse(std::string_view body_prefix, bool gzip_requested);

// A bill's decompressed text as a std::istream. Detects gzip by the magic 1f 8b at the start
// of the raw stream and then inflates it with Poco's InflatingInputStream with
// exceptions(badbit), so a corrupt or truncated gzip surfaces as an exception while reading
// (parseBill turns it into a kDataLoss rejection), never as a silently short bill. Only the
// first gzip member is decoded (Poco 1.11); WeChat sends one. Plain input passes through.
class BillInput {
 public:
  // Wraps `raw`, which is not owned and must outlive the BillInput. Consumes from `raw`.
  static std::unique_ptr<BillInput> wrap(std::istream& raw);
  // Opens a file (binary). kNotFound / kUnavailable when it cannot be opened.
  static Result<std::unique_ptr<BillInput>> openFile(const std::string& path);

  virtual ~BillInput();
  virtual std::istream& stream() = 0;
  virtual bool gzip() const = 0;

 protected:
  BillInput() = default;
};

}  // namespace wx
