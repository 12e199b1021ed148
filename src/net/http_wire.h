// HTTP/1.1 framing on Poco's sockets: for PocoHttpTransport's keep-alive connections the request
// head written as one buffer and an incremental response parser; for notify-server's
// connections (net/http_connection_server.h) an incremental request parser. Pure: no sockets,
// no Poco.
//
// Why not Poco's HTTPRequest/HTTPResponse: per exchange they build two MessageHeader name-value
// lists, an ostream and an istream with their buffers, read the head character by character
// through the stream, and send head and body in two writes. At the sweep's ~1,000 calls/s that
// was a large part of its user CPU. Poco still connects, does TLS and owns the socket.
//
// The response parser accepts what servers send: status line "HTTP/1.x NNN reason", headers (LF or CRLF
// line ends), 1xx interim answers skipped, a body framed by Content-Length, chunked transfer
// coding (extensions and trailers ignored) or the connection's close. It rejects (kError, with
// a reason) a head over `max_head_bytes`, a bad status line, a malformed or contradictory
// Content-Length, a bad chunk size line. The request parser is stricter (below). Not
// thread-safe: one per connection, reset() between messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wx {

// "METHOD PATH HTTP/1.1" with Host (":port" unless 80/443; an IPv6 address in brackets),
// Connection: Keep-Alive, Content-Type and Content-Length when `with_body`, the extra headers,
// and the blank line. Returns false (and leaves `out` unspecified) when a header name or value
// holds CR, LF or NUL, or a name is empty or holds ':' (no header injection).
bool formatRequestHead(std::string& out, std::string_view method, std::string_view host,
                       std::uint16_t port, std::string_view path_and_query, bool with_body,
                       std::string_view content_type, std::size_t content_length,
                       const std::vector<std::pair<std::string, std::string>>& headers);

// An incremental HTTP/1.1 message parser: the transport's responses (HttpResponseParser) and
// notify-server's requests (HttpRequestParser) share the framing (Content-Length, chunked) and
// the limits; only the start line and the default framing differ.
class HttpMessageParser {
 public:
  enum class Event {
    kNeedMore,  // the input is used up: read more and call next() again
    kHead,      // the start line and headers are known (status()/method(), contentLength(), ...)
    kBody,      // `body` holds the next body bytes (a view into the input)
    kDone,      // the message is complete; what is left of the input is not part of it
    kError,     // malformed; error() says why. Nothing more can be parsed.
  };

  // Consumes from the front of `input` and reports the next event. kBody's `body` points into
  // the input given to this call.
  Event next(std::string_view& input, std::string_view& body);
  // The peer closed the connection: kDone when the body was close-delimited, else kError
  // ("closed after N of M body bytes", "closed before the response head", ...).
  Event eof();
  // Ready for the next message on the same connection (keeps its buffers' capacity).
  void reset();

  // The body's length: -1 when the head declared none (chunked or close-delimited); 0 for
  // 204 and 304 answers and for requests without a body.
  std::int64_t contentLength() const { return content_length_; }
  bool chunked() const { return framing_ == Framing::kChunked; }
  // The connection may carry another exchange after kDone.
  bool keepAlive() const { return keep_alive_ && framing_ != Framing::kUntilClose; }
  // Some bytes of this message were given to next().
  bool started() const { return received_any_; }
  const std::string& error() const { return error_; }

 protected:
  enum class Kind { kResponse, kRequest };
  HttpMessageParser(Kind kind, std::size_t max_head_bytes)
      : kind_(kind), max_head_bytes_(max_head_bytes) {}

  // Response: "HTTP/1.x NNN reason".
  int status_ = 0;
  std::string content_type_;
  // Request: "METHOD target HTTP/1.x".
  std::string method_, target_;
  std::string forwarded_for_;  // every X-Forwarded-For header, joined with ", "
  bool expect_continue_ = false;

 private:
  enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers, kDone, kError };
  enum class Framing { kNone, kLength, kChunked, kUntilClose };

  Event fail(std::string why);
  Event parseHead(std::string_view head);  // one complete head, blank line included
  bool parseStartLine(std::string_view line);
  Event headTooLarge();
  enum class Line { kMore, kComplete, kTooLong };
  // Appends input up to and including the next LF to line_: kComplete when the line ended,
  // kTooLong once it holds more than `cap` bytes before its LF, however the reads split it.
  Line takeLine(std::string_view& input, std::size_t cap);

  const Kind kind_;
  std::size_t max_head_bytes_;
  State state_ = State::kHead;
  Framing framing_ = Framing::kNone;
  std::string head_;  // a head that spans reads, gathered
  std::string line_;
  std::string error_;
  bool keep_alive_ = false;
  bool received_any_ = false;
  std::int64_t content_length_ = -1;
  std::uint64_t remaining_ = 0;  // bytes left of the Content-Length body or the current chunk
  std::uint64_t body_seen_ = 0;
};

// A server's answer: 1xx interim answers skipped (101 refused), a body framed by
// Content-Length, chunked coding or the connection's close.
class HttpResponseParser : public HttpMessageParser {
 public:
  explicit HttpResponseParser(std::size_t max_head_bytes = 16 * 1024)
      : HttpMessageParser(Kind::kResponse, max_head_bytes) {}
  int status() const { return status_; }
  const std::string& contentType() const { return content_type_; }
};

// A client's request, for a server that must not be fooled (RELIABILITY.md invariant 17):
// the request line must be "TOKEN SP target SP HTTP/1.0|1.1" (no control characters, target
// not empty); the body is framed by Content-Length or chunked coding, else empty (requests are
// never close-delimited). Refused, as request smuggling defences (RFC 9112 6.1, 6.3): a
// Transfer-Encoding other than a final "chunked", Transfer-Encoding together with
// Content-Length, conflicting Content-Lengths. Folded header lines and a head over the cap are
// refused too. HTTP/1.1 keeps the connection unless "Connection: close"; 1.0 closes it unless
// "Connection: keep-alive".
class HttpRequestParser : public HttpMessageParser {
 public:
  explicit HttpRequestParser(std::size_t max_head_bytes = 16 * 1024)
      : HttpMessageParser(Kind::kRequest, max_head_bytes) {}
  const std::string& method() const { return method_; }
  // The request target as sent (origin form: path and query).
  const std::string& target() const { return target_; }
  // The target without its query.
  std::string_view path() const {
    return std::string_view(target_).substr(0, target_.find('?'));
  }
  const std::string& forwardedFor() const { return forwarded_for_; }
  // "Expect: 100-continue": the client waits for "100 Continue" before sending the body.
  bool expectContinue() const { return expect_continue_; }
};

}  // namespace wx
