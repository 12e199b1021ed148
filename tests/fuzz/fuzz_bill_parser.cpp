// libFuzzer target for the bill parser (RELIABILITY T11): arbitrary bytes through the response
// classifier and BillInput (plain, or gzip when the input starts with 1f 8b), plus a
// differential check: the input gzip-compressed must parse exactly like the plain input.
#include <Poco/DeflatingStream.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "wechat/bill_input.h"
#include "wechat/bill_parser.h"

namespace {

wx::BillSummary parseVia(const std::string& bytes) {
  std::istringstream raw(bytes);
  auto input = wx::BillInput::wrap(raw);
  return wx::parseBill(input->stream(), [](const wx::BillRow& r) {
    // Touch every view: ASan catches one that points outside the read buffer.
    std::size_t n = r.appid.size() + r.body.size() + r.attach.size() + r.fee_rate_note.size();
    for (char c : r.body) n += static_cast<unsigned char>(c);
    return n == static_cast<std::size_t>(-1) ? wx::Status::internal("unreachable")
                                             : wx::Status::ok();
  });
}

void checkInvariants(const wx::BillSummary& s) {
  if (s.summary_ok != s.status.isOk()) __builtin_trap();
  if (s.summary_ok && (!s.complete || !s.stated || !s.mismatches.empty())) __builtin_trap();
  if (s.totals.refund_rows > s.totals.rows) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)wx::classifyBillResponse(std::string_view(bytes).substr(0, 512), size % 2 == 0);

  const wx::BillSummary plain = parseVia(bytes);
  checkInvariants(plain);

  const bool is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!is_gzip) {
    std::ostringstream packed;
    {
      Poco::DeflatingOutputStream deflate(packed, Poco::DeflatingStreamBuf::STREAM_GZIP);
      deflate.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      deflate.close();
    }
    const wx::BillSummary gz = parseVia(packed.str());
    checkInvariants(gz);
    if (gz.summary_ok != plain.summary_ok || gz.totals.rows != plain.totals.rows ||
        gz.totals.settlement_fen != plain.totals.settlement_fen ||
        gz.status.message() != plain.status.message()) {
      __builtin_trap();
    }
  }
  return 0;
}
