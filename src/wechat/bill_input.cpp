#include "wechat/bill_input.h"

#include <Poco/InflatingStream.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <istream>

namespace wx {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool containsNoCase(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [](char a, char b) { return lower(a) == lower(b); }) != hay.end();
}

bool isGzipMagic(std::string_view s) {
  return s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0x1f &&
         static_cast<unsigned char>(s[1]) == 0x8b;
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// The text of <tag>…</tag> (CDATA unwrapped, trimmed); empty when absent. A body cut short
// inside the value yields what is there.
std::string element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto b = xml.find(open);
  if (b == std::string_view::npos) return {};
  std::string_view v = xml.substr(b + open.size());
  v = v.substr(0, v.find(close));
  v = trim(v);
  constexpr std::string_view kCdataOpen = "<![CDATA[";
  if (v.substr(0, kCdataOpen.size()) == kCdataOpen) {
    v.remove_prefix(kCdataOpen.size());
    v = v.substr(0, v.find("]]>"));
  }
  return std::string(trim(v.substr(0, 200)));
}

// Serves a few already-read bytes, then the rest of `src` (so the gzip magic can be sniffed
// from any stream, seekable or not).
class PrefixBuf : public std::streambuf {
 public:
  PrefixBuf(std::streambuf* src, const char* prefix, std::size_t n) : src_(src), n_(n) {
    std::memcpy(prefix_, prefix, n);
    setg(prefix_, prefix_, prefix_ + n_);
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const std::streamsize got = src_->sgetn(buf_, sizeof buf_);
    if (got <= 0) return traits_type::eof();
    setg(buf_, buf_, buf_ + got);
    return traits_type::to_int_type(*gptr());
  }

  // Large reads bypass the small buffer.
  std::streamsize xsgetn(char* s, std::streamsize n) override {
    std::streamsize done = 0;
    const std::streamsize avail = egptr() - gptr();
    if (avail > 0) {
      const std::streamsize k = std::min(avail, n);
      std::memcpy(s, gptr(), static_cast<std::size_t>(k));
      gbump(static_cast<int>(k));
      done = k;
    }
    while (done < n) {
      const std::streamsize got = src_->sgetn(s + done, n - done);
      if (got <= 0) break;
      done += got;
    }
    return done;
  }

 private:
  std::streambuf* src_;
  char prefix_[2];
  std::size_t n_;
  char buf_[64 * 1024];
};

class PlainInput : public BillInput {
 public:
  PlainInput(std::streambuf* src, const char* prefix, std::size_t n)
      : buf_(src, prefix, n), stream_(&buf_) {}
  std::istream& stream() override { return stream_; }
  bool gzip() const override { return false; }

 private:
  PrefixBuf buf_;
  std::istream stream_;
};

class GzipInput : public BillInput {
 public:
  GzipInput(std::streambuf* src, const char* prefix, std::size_t n)
      : buf_(src, prefix, n), raw_(&buf_), inflate_(raw_, Poco::InflatingStreamBuf::STREAM_GZIP) {
    // Without badbit exceptions a truncated or corrupt gzip just ends early (STACK_NOTES.md).
    inflate_.exceptions(std::ios::badbit);
  }
  std::istream& stream() override { return inflate_; }
  bool gzip() const override { return true; }

 private:
  PrefixBuf buf_;
  std::istream raw_;
  Poco::InflatingInputStream inflate_;
};

std::unique_ptr<BillInput> wrapBuf(std::streambuf* src) {
  char magic[2] = {0, 0};
  const std::streamsize n = src->sgetn(magic, 2);
  const std::size_t got = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (isGzipMagic(std::string_view(magic, got)))
    return std::make_unique<GzipInput>(src, magic, got);
  return std::make_unique<PlainInput>(src, magic, got);
}

class FileInput : public BillInput {
 public:
  explicit FileInput(std::unique_ptr<std::ifstream> file)
      : file_(std::move(file)), inner_(wrapBuf(file_->rdbuf())) {}
  std::istream& stream() override { return inner_->stream(); }
  bool gzip() const override { return inner_->gzip(); }

 private:
  std::unique_ptr<std::ifstream> file_;
  std::unique_ptr<BillInput> inner_;
};

}  // namespace

const char* billResponseKindName(BillResponseKind k) {
  switch (k) {
    case BillResponseKind::kBillData:
      return "BILL";
    case BillResponseKind::kEmptyDay:
      return "EMPTY";
    case BillResponseKind::kNotReady:
      return "NOT_READY";
    case BillResponseKind::kFailed:
      break;
  }
  return "FAILED";
}

BillResponseClass classifyBillResponse(std::string_view body, bool gzip_requested) {
  BillResponseClass out;
  if (isGzipMagic(body)) {
    out.kind = BillResponseKind::kBillData;
    out.detail = "gzip bill";
    return out;
  }
  std::string_view rest = body;
  if (rest.substr(0, kBom.size()) == kBom) rest.remove_prefix(kBom.size());
  rest = trim(rest);
  const bool xml = rest.size() >= 4 && containsNoCase(rest.substr(0, 4), "<xml");
  if (!xml) {
    if (rest.empty()) {
      out.detail = "empty response body";
    } else if (gzip_requested) {
      out.detail = "tar_type=GZIP asked, but the body is neither gzip nor an XML error answer";
    } else {
      out.kind = BillResponseKind::kBillData;
      out.detail = "plain bill";
    }
    return out;
  }
  out.return_msg = element(rest, "return_msg");
  out.error_code = element(rest, "error_code");
  const std::string said = "WeChat answered return_msg=\"" + out.return_msg + "\"" +
                           (out.error_code.empty() ? "" : " error_code=" + out.error_code);
  if (containsNoCase(out.return_msg, "no bill exist") || out.error_code == "20002") {
    out.kind = BillResponseKind::kEmptyDay;
    out.detail = said + ": no trades that day (empty bill)";
  } else if (containsNoCase(out.return_msg, "bill creating")) {
    out.kind = BillResponseKind::kNotReady;
    out.detail = said + ": the bill is not generated yet, retry later";
  } else {
    out.kind = BillResponseKind::kFailed;
    out.detail = said;
  }
  return out;
}

BillInput::~BillInput() = default;

std::unique_ptr<BillInput> BillInput::wrap(std::istream& raw) { return wrapBuf(raw.rdbuf()); }

Result<std::unique_ptr<BillInput>> BillInput::openFile(const std::string& path) {
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!file->is_open()) {
    return Status::notFound("cannot open bill file \"" + path + "\": " + std::strerror(errno));
  }
  return std::unique_ptr<BillInput>(std::make_unique<FileInput>(std::move(file)));
}

}  // namespace wx
