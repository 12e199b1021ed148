// libFuzzer target for parse-bill's gzip path (RELIABILITY.md T11, T12): gzip bytes through
// BillInput (magic sniffing, the prefix stream buffer, Poco's InflatingInputStream with badbit
// exceptions) into parseBill, checked against zlib used directly as an independent decoder:
//   - zlib does not reach the end of the gzip member (corrupt, truncated, bad CRC or length):
//     the bill must be rejected — a damaged file never parses as a shorter, "valid" bill;
//   - zlib decodes the member (up to kMaxInflated bytes; a larger output is not compared): the
//     gzip path must parse exactly like the decoded text given plain.
// Inputs without the gzip magic are left to fuzz_bill_parser. Seeds: the .gz fixtures of
// tests/fixtures/bills and gzip copies of the plain ones. A custom mutator (libFuzzer's
// compressed-input recipe) mostly mutates the decompressed text and re-compresses it, so the
// parser behind the gzip stream is explored too; one mutation in four corrupts the raw bytes.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>

#include "wechat/bill_input.h"
#include "wechat/bill_parser.h"

namespace {

// Largest decoded output compared (a 4 KiB input inflates to ~4 MiB at most).
constexpr std::size_t kMaxInflated = 8 << 20;

struct Inflated {
  bool member_complete = false;  // Z_STREAM_END: header, data, CRC-32 and ISIZE all good
  bool over_cap = false;
  std::string text;
};

Inflated inflateWithZlib(const std::uint8_t* data, std::size_t size) {
  Inflated out;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) std::abort();  // gzip only
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  char chunk[64 * 1024];
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.text.append(chunk, sizeof chunk - z.avail_out);
    if (out.text.size() > kMaxInflated) {
      out.over_cap = true;
      break;
    }
    if (rc == Z_STREAM_END) {
      out.member_complete = true;
      break;
    }
    if (rc != Z_OK) break;  // Z_DATA_ERROR, Z_BUF_ERROR (input ended early), ...
  }
  inflateEnd(&z);
  return out;
}

wx::BillSummary parse(std::istream& in) {
  return wx::parseBill(in, [](const wx::BillRow& r) {
    // Touch the views: ASan catches one pointing outside the read buffer.
    std::size_t n = 0;
    for (char c : r.body) n += static_cast<unsigned char>(c);
    for (char c : r.out_trade_no) n += static_cast<unsigned char>(c);
    return n == static_cast<std::size_t>(-1) ? wx::Status::internal("unreachable")
                                             : wx::Status::ok();
  });
}

void check(bool ok) {
  if (!ok) std::abort();
}

// Gzip of `text`, or empty when it does not fit in `max_size` bytes.
std::string gzipOf(const std::string& text, std::size_t max_size) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    std::abort();
  }
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END || out.size() > max_size) return {};
  return out;
}

}  // namespace

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  std::minstd_rand rng(seed);
  const Inflated z = inflateWithZlib(data, size);
  if (rng() % 4 == 0 || !z.member_complete || z.text.size() > (1 << 16)) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  std::string text = z.text;
  const std::size_t len = text.size();
  text.resize(len * 2 + 64);
  text.resize(LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(text.data()), len, text.size()));
  const std::string packed = gzipOf(text, max_size);
  if (packed.empty()) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, packed.data(), packed.size());
  return packed.size();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || data[0] != 0x1f || data[1] != 0x8b) return 0;
  std::istringstream raw(std::string(reinterpret_cast<const char*>(data), size));
  auto input = wx::BillInput::wrap(raw);
  check(input->gzip());
  const wx::BillSummary gz = parse(input->stream());
  check(gz.summary_ok == gz.status.isOk());

  const Inflated z = inflateWithZlib(data, size);
  if (z.over_cap) return 0;
  if (!z.member_complete) {
    check(!gz.summary_ok);
    return 0;
  }
  std::istringstream plain_in(z.text);
  const wx::BillSummary plain = parse(plain_in);
  check(gz.summary_ok == plain.summary_ok);
  check(gz.layout == plain.layout);
  check(gz.totals.rows == plain.totals.rows);
  check(gz.totals.order_fen == plain.totals.order_fen);
  check(gz.totals.refund_fen == plain.totals.refund_fen);
  check(gz.totals.settlement_fen == plain.totals.settlement_fen);
  check(gz.status.message() == plain.status.message());
  return 0;
}
