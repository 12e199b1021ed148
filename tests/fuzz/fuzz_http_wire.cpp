// libFuzzer target for the HTTP/1.1 parsers of src/net/http_wire.*: arbitrary bytes as what a
// WeChat server sent to the transport (the response parser) or what a client sent to
// notify-server (the request parser; bit 6 of the first byte chooses). Properties, besides
// "no crash, no out-of-bounds":
// - the same bytes give the same outcome however the reads split them (the whole input at
//   once vs. reads of 1..64 bytes chosen by the first input byte): same final event, status,
//   body bytes, and the same number of bytes taken before kDone — the rest belongs to the
//   next exchange on a keep-alive connection, so a difference would corrupt the next answer;
// - a Content-Length message that completes carries exactly that many body bytes;
// - a response head is reported only with a final status, 200..599 (1xx are skipped or
//   refused); a request head only with a method and a target, and a request body is never
//   delimited by the connection's close (so eof() inside it is an error).
#include <cstdint>
#include <string>
#include <string_view>

#include "net/http_wire.h"

namespace {

using wx::HttpMessageParser;
using wx::HttpRequestParser;
using wx::HttpResponseParser;
using Event = HttpMessageParser::Event;

struct Outcome {
  Event last = Event::kNeedMore;
  int status = 0;
  std::int64_t content_length = -2;
  std::string body;
  std::size_t consumed = 0;  // bytes taken when the message completed
};

// Feeds `bytes` in reads of `step` bytes (0: all at once); on running out, reports eof().
Outcome run(std::string_view bytes, std::size_t step, std::size_t max_head, bool request) {
  HttpResponseParser response(max_head);
  HttpRequestParser req(max_head);
  HttpMessageParser& p = request ? static_cast<HttpMessageParser&>(req) : response;
  Outcome o;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t n = step == 0 ? bytes.size() - pos : std::min(step, bytes.size() - pos);
    if (n == 0) {
      o.last = p.eof();
      o.consumed = pos;
      // A request ends by its framing, never by the close: one that had not completed
      // before the close cannot complete on it.
      if (request && o.last == Event::kDone) __builtin_trap();
      break;
    }
    std::string_view input = bytes.substr(pos, n);
    bool finished = false;
    for (;;) {
      std::string_view body;
      const std::size_t before = input.size();
      const Event e = p.next(input, body);
      pos += before - input.size();
      if (e == Event::kHead) {
        if (request) {
          if (req.method().empty() || req.target().empty()) __builtin_trap();
          o.status = 1;
        } else {
          const int s = response.status();
          if (s < 200 || s > 599) __builtin_trap();
          o.status = s;
        }
        o.content_length = p.contentLength();
        continue;
      }
      if (e == Event::kBody) {
        o.body.append(body.data(), body.size());
        continue;
      }
      if (e == Event::kNeedMore) {
        if (!input.empty()) __builtin_trap();  // kNeedMore only when the input is used up
        break;
      }
      o.last = e;
      o.consumed = pos;
      finished = true;
      break;
    }
    if (finished) break;
  }
  if (o.last == Event::kDone && o.content_length >= 0 &&
      o.body.size() != static_cast<std::size_t>(o.content_length)) {
    __builtin_trap();
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t step = 1 + data[0] % 64;
  const bool request = (data[0] & 0x40) != 0;
  const std::size_t max_head = data[1] % 2 == 0 ? 16 * 1024 : 64 + data[1];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  const Outcome whole = run(bytes, 0, max_head, request);
  const Outcome split = run(bytes, step, max_head, request);
  if (whole.last != split.last) __builtin_trap();
  if (whole.last == Event::kDone) {
    if (whole.status != split.status || whole.body != split.body ||
        whole.consumed != split.consumed || whole.content_length != split.content_length) {
      __builtin_trap();
    }
  }
  return 0;
}
