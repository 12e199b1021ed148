#include "net/http_wire.h"

#include <algorithm>

namespace wx {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// A token (RFC 9110 5.6.2): a method or a header name.
bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool headerSafe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Calls fn(token) for each comma-separated, trimmed token of a header value.
template <typename Fn>
void forEachToken(std::string_view value, Fn fn) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    fn(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// The end of the head (just past its blank line, LF or CRLF line ends) when `s` holds it all;
// the search starts at `from`, where the line end before a blank line may begin.
std::size_t headEnd(std::string_view s, std::size_t from) {
  for (std::size_t lf = s.find('\n', from); lf != std::string_view::npos; lf = s.find('\n', lf + 1)) {
    if (lf + 1 < s.size() && s[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < s.size() && s[lf + 1] == '\r' && s[lf + 2] == '\n') return lf + 3;
  }
  return std::string_view::npos;
}

}  // namespace

bool formatRequestHead(std::string& out, std::string_view method, std::string_view host,
                       std::uint16_t port, std::string_view path_and_query, bool with_body,
                       std::string_view content_type, std::size_t content_length,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  if (!headerSafe(content_type) || !headerSafe(host) || !headerSafe(path_and_query)) return false;
  out.append(method).append(" ").append(path_and_query).append(" HTTP/1.1\r\nHost: ");
  const bool ipv6 = host.find(':') != std::string_view::npos;
  if (ipv6) out.append("[");
  out.append(host);
  if (ipv6) out.append("]");
  if (port != 80 && port != 443) out.append(":").append(std::to_string(port));
  out.append("\r\nConnection: Keep-Alive\r\n");
  if (with_body) {
    out.append("Content-Type: ").append(content_type).append("\r\nContent-Length: ");
    out.append(std::to_string(content_length)).append("\r\n");
  }
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.find(':') != std::string::npos || !headerSafe(name) ||
        !headerSafe(value)) {
      return false;
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out.append("\r\n");
  return true;
}

HttpMessageParser::Event HttpMessageParser::fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  return Event::kError;
}

HttpMessageParser::Line HttpMessageParser::takeLine(std::string_view& input, std::size_t cap) {
  const std::size_t lf = input.find('\n');
  const std::size_t n = lf == std::string_view::npos ? input.size() : lf + 1;
  line_.append(input.data(), n);
  input.remove_prefix(n);
  // The same cap on a line gathered over several reads as on one read whole.
  if (line_.size() - (lf == std::string_view::npos ? 0 : 1) > cap) return Line::kTooLong;
  return lf == std::string_view::npos ? Line::kMore : Line::kComplete;
}

void HttpMessageParser::reset() {
  state_ = State::kHead;
  framing_ = Framing::kNone;
  head_.clear();
  line_.clear();
  error_.clear();
  content_type_.clear();
  method_.clear();
  target_.clear();
  forwarded_for_.clear();
  expect_continue_ = false;
  status_ = 0;
  keep_alive_ = false;
  received_any_ = false;
  content_length_ = -1;
  remaining_ = 0;
  body_seen_ = 0;
}

HttpMessageParser::Event HttpMessageParser::headTooLarge() {
  return fail(kind_ == Kind::kResponse ? "response head over the size cap"
                                       : "request head over the size cap");
}

bool HttpMessageParser::parseStartLine(std::string_view line) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (kind_ == Kind::kResponse) {
    // "HTTP/1.x NNN[ reason]"
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
        line[8] != ' ' || !std::all_of(line.begin() + 9, line.begin() + 12, digit) ||
        (line.size() > 12 && line[12] != ' ')) {
      return false;
    }
    status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    keep_alive_ = line[7] == '1';
    // RFC 9110 15: every valid status code is within 100..599 (a "099" came from the fuzzer).
    return status_ >= 100 && status_ <= 599;
  }
  // "METHOD SP request-target SP HTTP/1.x" (RFC 9112 3): exactly two single spaces.
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return false;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method)) return false;
  // Visible ASCII only: no control characters, no spaces, nothing above 0x7E.
  if (!std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return false;
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
  method_.assign(method);
  target_.assign(target);
  keep_alive_ = version[7] == '1';
  return true;
}

HttpMessageParser::Event HttpMessageParser::parseHead(std::string_view head) {
  std::string_view rest = head;
  auto nextLine = [&rest] {
    const std::size_t lf = rest.find('\n');
    std::string_view line = rest.substr(0, lf);
    rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  if (!parseStartLine(nextLine())) {
    return fail(kind_ == Kind::kResponse ? "bad status line" : "bad request line");
  }
  bool chunked = false, other_coding = false, close = false, keep_alive_token = false;
  bool has_transfer_encoding = false;
  content_length_ = -1;
  for (;;) {
    const std::string_view line = nextLine();
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') return fail("folded header line");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail("header line without a name");
    const std::string_view name = line.substr(0, colon);
    // "Content-Length : 5" is a smuggling vector a request must not get through (RFC 9112 5.1).
    if (kind_ == Kind::kRequest && !isToken(name)) return fail("bad header name");
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return fail("bad Content-Length");
      }
      const std::int64_t n = std::stoll(std::string(value));
      if (content_length_ >= 0 && content_length_ != n) return fail("conflicting Content-Length");
      content_length_ = n;
    } else if (iequals(name, "Transfer-Encoding")) {
      has_transfer_encoding = true;
      forEachToken(value, [&](std::string_view t) {
        if (t.empty()) return;
        chunked = iequals(t, "chunked");  // only a final "chunked" frames the body
        if (!chunked) other_coding = true;
      });
    } else if (iequals(name, "Connection")) {
      forEachToken(value, [&](std::string_view t) {
        if (iequals(t, "close")) close = true;
        if (iequals(t, "keep-alive")) keep_alive_token = true;
      });
    } else if (kind_ == Kind::kResponse) {
      if (iequals(name, "Content-Type")) content_type_.assign(value);
    } else if (iequals(name, "X-Forwarded-For")) {
      if (!forwarded_for_.empty()) forwarded_for_.append(", ");
      forwarded_for_.append(value);
    } else if (iequals(name, "Expect")) {
      expect_continue_ = iequals(value, "100-continue");
    }
  }
  if (close) {
    keep_alive_ = false;
  } else if (keep_alive_token) {
    keep_alive_ = true;
  }
  if (kind_ == Kind::kRequest) {
    if (has_transfer_encoding) {
      if (content_length_ >= 0) return fail("both Transfer-Encoding and Content-Length");
      if (!chunked || other_coding) return fail("unsupported Transfer-Encoding");
      content_length_ = -1;
      framing_ = Framing::kChunked;
      state_ = State::kChunkSize;
    } else {
      if (content_length_ < 0) content_length_ = 0;  // no body
      framing_ = Framing::kLength;
      remaining_ = static_cast<std::uint64_t>(content_length_);
      state_ = State::kBody;
    }
    return Event::kHead;
  }
  if (status_ >= 100 && status_ < 200) {
    if (status_ == 101) return fail("unexpected 101 Switching Protocols");
    return Event::kNeedMore;  // an interim answer: the real one follows
  }
  if (status_ == 204 || status_ == 304) {
    content_length_ = 0;  // no body, whatever Content-Length says (RFC 9112 6.3)
    framing_ = Framing::kNone;
    state_ = State::kDone;
  } else if (chunked || other_coding) {
    content_length_ = -1;  // Transfer-Encoding overrides Content-Length (RFC 9112 6.3)
    framing_ = chunked ? Framing::kChunked : Framing::kUntilClose;
    state_ = chunked ? State::kChunkSize : State::kBody;
  } else if (content_length_ >= 0) {
    framing_ = Framing::kLength;
    remaining_ = static_cast<std::uint64_t>(content_length_);
    state_ = State::kBody;
  } else {
    framing_ = Framing::kUntilClose;
    state_ = State::kBody;
  }
  return Event::kHead;
}

HttpMessageParser::Event HttpMessageParser::next(std::string_view& input, std::string_view& body) {
  for (;;) {
    switch (state_) {
      case State::kHead: {
        if (input.empty()) return Event::kNeedMore;
        received_any_ = true;
        if (head_.empty()) {
          // Usually the whole head is in one read: parse it where it is, without a copy.
          const std::size_t end = headEnd(input, 0);
          if (end != std::string_view::npos) {
            if (end > max_head_bytes_) return headTooLarge();
            const std::string_view head = input.substr(0, end);
            input.remove_prefix(end);
            const Event e = parseHead(head);
            if (e == Event::kNeedMore) continue;  // an interim 1xx answer was skipped
            return e;
          }
        }
        // The head spans reads: gather it.
        const std::size_t old = head_.size();
        head_.append(input.data(), input.size());
        const std::size_t end = headEnd(head_, old >= 2 ? old - 2 : 0);
        if (end == std::string::npos) {
          input.remove_prefix(input.size());
          if (head_.size() > max_head_bytes_) return headTooLarge();
          return Event::kNeedMore;
        }
        if (end > max_head_bytes_) return headTooLarge();
        input.remove_prefix(end - old);
        head_.resize(end);
        const std::string head = std::move(head_);
        head_.clear();
        const Event e = parseHead(head);
        if (e == Event::kNeedMore) continue;
        return e;
      }
      case State::kBody:
        if (framing_ == Framing::kLength && remaining_ == 0) {
          state_ = State::kDone;
          continue;
        }
        if (input.empty()) return Event::kNeedMore;
        if (framing_ == Framing::kLength) {
          const std::size_t n = static_cast<std::size_t>(
              std::min<std::uint64_t>(remaining_, input.size()));
          body = input.substr(0, n);
          remaining_ -= n;
        } else {
          body = input;
        }
        input.remove_prefix(body.size());
        body_seen_ += body.size();
        return Event::kBody;
      case State::kChunkSize: {
        switch (takeLine(input, 1024)) {
          case Line::kTooLong: return fail("chunk size line too long");
          case Line::kMore: return Event::kNeedMore;
          case Line::kComplete: break;
        }
        std::string_view l = trim(line_);
        l = l.substr(0, std::min(l.find(';'), l.size()));  // chunk extensions are ignored
        l = trim(l);
        std::uint64_t size = 0;
        if (l.empty() || l.size() > 15) return fail("bad chunk size line");
        for (char c : l) {
          int d = -1;
          if (c >= '0' && c <= '9') d = c - '0';
          if (lower(c) >= 'a' && lower(c) <= 'f') d = lower(c) - 'a' + 10;
          if (d < 0) return fail("bad chunk size line");
          size = size * 16 + static_cast<std::uint64_t>(d);
        }
        line_.clear();
        remaining_ = size;
        state_ = size == 0 ? State::kTrailers : State::kChunkData;
        continue;
      }
      case State::kChunkData: {
        if (remaining_ == 0) {
          state_ = State::kChunkEnd;
          continue;
        }
        if (input.empty()) return Event::kNeedMore;
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
        body = input.substr(0, n);
        input.remove_prefix(n);
        remaining_ -= n;
        body_seen_ += n;
        return Event::kBody;
      }
      case State::kChunkEnd:
        switch (takeLine(input, 2)) {
          case Line::kTooLong: return fail("chunk data not followed by CRLF");
          case Line::kMore: return Event::kNeedMore;
          case Line::kComplete: break;
        }
        if (!trim(line_).empty()) return fail("chunk data not followed by CRLF");
        line_.clear();
        state_ = State::kChunkSize;
        continue;
      case State::kTrailers:
        switch (takeLine(input, max_head_bytes_)) {
          case Line::kTooLong: return fail("trailer line over the size cap");
          case Line::kMore: return Event::kNeedMore;
          case Line::kComplete: break;
        }
        if (trim(line_).empty()) state_ = State::kDone;
        line_.clear();
        continue;
      case State::kDone:
        return Event::kDone;
      case State::kError:
        return Event::kError;
    }
  }
}

HttpMessageParser::Event HttpMessageParser::eof() {
  switch (state_) {
    case State::kDone:
      return Event::kDone;
    case State::kError:
      return Event::kError;
    case State::kHead:
      if (kind_ == Kind::kRequest) {
        return fail(received_any_ ? "connection closed inside the request head"
                                  : "connection closed before any request byte");
      }
      return fail(received_any_ ? "connection closed inside the response head"
                                : "connection closed before any response byte");
    case State::kBody:
      if (framing_ == Framing::kUntilClose) {
        state_ = State::kDone;
        return Event::kDone;
      }
      return fail("connection closed after " + std::to_string(body_seen_) + " of " +
                  std::to_string(content_length_) + " body bytes");
    default:
      return fail("connection closed inside the chunked body after " +
                  std::to_string(body_seen_) + " body bytes");
  }
}

}  // namespace wx
