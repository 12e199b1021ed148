// HTTP/1.1 client framing for PocoHttpTransport's keep-alive connections: the request head
// written as one buffer, and a small incremental response parser. Pure: no sockets, no Poco.
//
// Why not Poco's HTTPRequest/HTTPResponse: per exchange they build two MessageHeader name-value
// lists, an ostream and an istream with their buffers, read the head character by character
// through the stream, and send head and body in two writes. At the sweep's ~1,000 calls/s that
// was a large part of its user CPU. Poco still connects, does TLS and owns the socket.
//
// The parser accepts what servers send: status line "HTTP/1.x NNN reason", headers (LF or CRLF
// line ends), 1xx interim answers skipped, a body framed by Content-Length, chunked transfer
// coding (extensions and trailers ignored) or the connection's close. It rejects (kError, with
// a reason) a head over `max_head_bytes`, a bad status line, a malformed or contradictory
// Content-Length, a bad chunk size line. Not thread-safe (one per exchange).
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

class HttpResponseParser {
 public:
  enum class Event {
    kNeedMore,  // the input is used up: read more and call next() again
    kHead,      // status and headers are known (status(), contentLength(), ...)
    kBody,      // `body` holds the next body bytes (a view into the input)
    kDone,      // the message is complete; what is left of the input is not part of it
    kError,     // malformed; error() says why. Nothing more can be parsed.
  };

  explicit HttpResponseParser(std::size_t max_head_bytes = 16 * 1024)
      : max_head_bytes_(max_head_bytes) {}

  // Consumes from the front of `input` and reports the next event. kBody's `body` points into
  // the input given to this call.
  Event next(std::string_view& input, std::string_view& body);
  // The peer closed the connection: kDone when the body was close-delimited, else kError
  // ("closed after N of M body bytes", "closed before the response head", ...).
  Event eof();

  int status() const { return status_; }
  const std::string& contentType() const { return content_type_; }
  // The body's length: -1 when the head declared none (chunked or close-delimited); 0 for
  // 204 and 304, which have no body whatever their Content-Length says.
  std::int64_t contentLength() const { return content_length_; }
  // The connection may carry another exchange after kDone.
  bool keepAlive() const { return keep_alive_ && framing_ != Framing::kUntilClose; }
  const std::string& error() const { return error_; }

 private:
  enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers, kDone, kError };
  enum class Framing { kNone, kLength, kChunked, kUntilClose };

  Event fail(std::string why);
  Event parseHead(std::string_view head);  // one complete head, blank line included
  enum class Line { kMore, kComplete, kTooLong };
  // Appends input up to and including the next LF to line_: kComplete when the line ended,
  // kTooLong once it holds more than `cap` bytes before its LF, however the reads split it.
  Line takeLine(std::string_view& input, std::size_t cap);

  std::size_t max_head_bytes_;
  State state_ = State::kHead;
  Framing framing_ = Framing::kNone;
  std::string head_;  // a head that spans reads, gathered
  std::string line_;
  std::string error_;
  std::string content_type_;
  int status_ = 0;
  bool keep_alive_ = false;
  bool received_any_ = false;
  std::int64_t content_length_ = -1;
  std::uint64_t remaining_ = 0;  // bytes left of the Content-Length body or the current chunk
  std::uint64_t body_seen_ = 0;
};

}  // namespace wx
