#include "net/poco_http_transport.h"

#include <openssl/ssl.h>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "net/http_wire.h"

namespace wx {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// reconnect() is protected in HTTPClientSession; exposing it lets us connect in a phase of our
// own, so a failure there is known to have happened before any byte of the request was sent.
class PlainSession final : public Poco::Net::HTTPClientSession {
 public:
  using HTTPClientSession::HTTPClientSession;
  void open() { reconnect(); }
};

class TlsSession final : public Poco::Net::HTTPSClientSession {
 public:
  using HTTPSClientSession::HTTPSClientSession;
  void open() { reconnect(); }
};

struct Conn {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  bool tls = false;
  SteadyTime idle_since{};
  // The send/receive timeout the socket has now: a reused connection skips the two setsockopt
  // calls when the next request wants the same (every sweep request does).
  Millis socket_timeout{-1};
  void open() {
    if (tls) {
      static_cast<TlsSession&>(*session).open();
    } else {
      static_cast<PlainSession&>(*session).open();
    }
  }
};

struct Target {
  bool tls = false;
  std::string host;
  Poco::UInt16 port = 0;
  std::string path_and_query;
  std::string pool_key;
};

// OpenSSL's own chain verdict, untouched. Poco's default callback routes failures through
// SSLManager's ClientVerificationError event, where any AcceptCertificateHandler registered
// anywhere in the process would turn them into successes.
// The first chain error of this thread's current handshake, for the failure's detail.
thread_local std::string t_verify_error;

int keepOpenSslVerdict(int preverify_ok, X509_STORE_CTX* store) {
  if (!preverify_ok && t_verify_error.empty()) {
    t_verify_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
  }
  return preverify_ok;
}

Poco::Timespan toSpan(Millis m) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(std::max<Millis::rep>(m.count(), 1)) *
                        1000);
}

Result<Target> parseTarget(const std::string& url) {
  Target t;
  try {
    Poco::URI uri(url);
    const std::string scheme = Poco::toLower(uri.getScheme());
    if (scheme != "http" && scheme != "https") {
      return Status::invalidArgument("URL scheme must be http or https: " + url);
    }
    if (uri.getHost().empty()) return Status::invalidArgument("URL has no host: " + url);
    if (!uri.getUserInfo().empty()) return Status::invalidArgument("URL with user info refused");
    t.tls = scheme == "https";
    t.host = uri.getHost();
    t.port = uri.getPort();
    t.path_and_query = uri.getPathAndQuery();
    if (t.path_and_query.empty()) t.path_and_query = "/";
    t.pool_key = scheme + "://" + t.host + ":" + std::to_string(t.port);
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument("bad URL: " + e.displayText());
  }
  if (!t.tls && !isLoopbackUrlHost(t.host)) {
    return Status::invalidArgument("plain http is allowed only to loopback hosts, not " + t.host);
  }
  return t;
}

// The URL this thread sent to last, parsed (valid until this thread's next call): a sweep sends
// every request to the same URL, and parsing it with Poco::URI each time was ~1% of its CPU.
const Result<Target>& targetFor(const std::string& url) {
  thread_local std::string last_url;
  thread_local std::optional<Result<Target>> last;
  if (!last || url != last_url) {
    last = parseTarget(url);
    last_url = url;
  }
  return *last;
}

HttpResult failure(TransportOutcome outcome, std::string detail, HttpResponse response = {}) {
  HttpResult r;
  r.outcome = outcome;
  r.detail = std::move(detail);
  r.response = std::move(response);
  return r;
}

}  // namespace

bool isLoopbackUrlHost(const std::string& host) {
  std::string h = Poco::toLower(host);
  if (h == "localhost") return true;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  Poco::Net::IPAddress ip;
  return Poco::Net::IPAddress::tryParse(h, ip) && ip.isLoopback();
}

struct PocoHttpTransport::Impl {
  PocoHttpTransportOptions options;
  Poco::Net::Context::Ptr context;
  std::mutex mu;
  std::map<std::string, std::vector<Conn>> idle;  // guarded by mu

  Conn checkout(const Target& t, bool* reused) {
    std::vector<Conn> stale;  // destroyed after the lock is released
    {
      std::lock_guard<std::mutex> lock(mu);
      auto& list = idle[t.pool_key];
      const SteadyTime now = std::chrono::steady_clock::now();
      while (!list.empty()) {
        Conn c = std::move(list.back());
        list.pop_back();
        if (now - c.idle_since <= options.keep_alive_idle && c.session->connected()) {
          *reused = true;
          return c;
        }
        stale.push_back(std::move(c));
      }
    }
    *reused = false;
    Conn c;
    c.tls = t.tls;
    if (t.tls) {
      c.session = std::make_unique<TlsSession>(t.host, t.port, context);
    } else {
      c.session = std::make_unique<PlainSession>(t.host, t.port);
    }
    c.session->setKeepAlive(true);
    // We drop idle sessions ourselves (keep_alive_idle); Poco must never reconnect silently
    // inside sendRequest, where a connect failure would look like a failure after sending.
    c.session->setKeepAliveTimeout(Poco::Timespan(24 * 3600, 0));
    return c;
  }

  void checkin(const Target& t, Conn c) {
    c.idle_since = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu);
    auto& list = idle[t.pool_key];
    if (list.size() < options.max_idle_per_host) list.push_back(std::move(c));
  }
};

PocoHttpTransport::PocoHttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PocoHttpTransport::~PocoHttpTransport() {
  impl_.reset();
  Poco::Net::uninitializeSSL();
}

Result<std::unique_ptr<PocoHttpTransport>> PocoHttpTransport::create(
    const PocoHttpTransportOptions& options) {
  using Poco::Net::Context;
  if (!options.ca_file.empty()) {
    std::ifstream probe(options.ca_file);
    if (!probe) {
      return Status::invalidArgument("wechat.ca_file '" + options.ca_file + "' cannot be read");
    }
  }
  Poco::Net::initializeSSL();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    Context::Params params;
    params.verificationMode = Context::VERIFY_STRICT;
    params.verificationDepth = 9;
    params.caLocation = options.ca_file;
    params.loadDefaultCAs = options.ca_file.empty();  // STACK_NOTES: false by default
    impl->context = new Context(Context::TLS_CLIENT_USE, params);
    impl->context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
    impl->context->enableExtendedCertificateVerification(true);  // the host name check
    SSL_CTX_set_verify(impl->context->sslContext(),
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &keepOpenSslVerdict);
  } catch (const Poco::Exception& e) {
    impl.reset();
    Poco::Net::uninitializeSSL();
    return Status::invalidArgument("TLS context (wechat.ca_file '" + options.ca_file +
                                   "'): " + e.displayText());
  }
  return std::unique_ptr<PocoHttpTransport>(new PocoHttpTransport(std::move(impl)));
}

void PocoHttpTransport::closeIdle() {
  std::map<std::string, std::vector<Conn>> drop;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    drop.swap(impl_->idle);
  }
}

namespace {

// One request on one connection. `reusable` tells whether the connection may go back to the pool.
HttpResult exchange(Conn& conn, const Target& target, const HttpRequest& request, bool* reusable,
                    std::atomic<std::uint64_t>* opened) {
  *reusable = false;
  // The request in one write; the answer read straight from the socket through our own parser
  // (net/http_wire.h). Poco's HTTPSession would send and receive through these same socket
  // calls, so timeouts and TLS behave as before.
  std::string wire;
  const bool with_body = request.method == HttpMethod::kPost || !request.body.empty();
  wire.reserve(256 + request.body.size());
  if (!formatRequestHead(wire, request.method == HttpMethod::kPost ? "POST" : "GET", target.host,
                         target.port, target.path_and_query, with_body, request.content_type,
                         request.body.size(), request.headers)) {
    return failure(TransportOutcome::kInvalidRequest,
                   "CR, LF or NUL in a request header, the content type or the URL, or a bad "
                   "header name");
  }
  wire.append(request.body);

  Poco::Net::HTTPClientSession& s = *conn.session;
  const Millis socket_read = target.tls ? request.read_timeout / 2 : request.read_timeout;
  const Poco::Timespan rt = toSpan(socket_read);

  if (!s.connected()) {
    // Poco gives a new socket the session's timeouts when it connects.
    s.setTimeout(toSpan(request.connect_timeout), rt, rt);
    t_verify_error.clear();
    try {
      conn.open();
      conn.socket_timeout = socket_read;
      opened->fetch_add(1);
    } catch (const Poco::Net::SSLException& e) {
      std::string detail = e.displayText();
      if (!t_verify_error.empty()) detail += " (" + t_verify_error + ")";
      return failure(TransportOutcome::kTlsFailure, detail);
    } catch (const Poco::Exception& e) {
      return failure(TransportOutcome::kConnectFailed, e.displayText());
    } catch (const std::exception& e) {
      return failure(TransportOutcome::kConnectFailed, e.what());
    }
  } else if (conn.socket_timeout != socket_read) {
    s.setTimeout(toSpan(request.connect_timeout), rt, rt);
    s.socket().setReceiveTimeout(rt);
    s.socket().setSendTimeout(rt);
    conn.socket_timeout = socket_read;
  }

  HttpResponse out;
  HttpResponseParser parser;
  try {
    Poco::Net::StreamSocket& socket = s.socket();
    for (std::size_t sent = 0; sent < wire.size();) {
      const int n = socket.sendBytes(wire.data() + sent, static_cast<int>(wire.size() - sent));
      if (n <= 0) return failure(TransportOutcome::kReset, "connection closed while sending");
      sent += static_cast<std::size_t>(n);
    }
    bool to_sink = false;
    std::uint64_t cap = request.max_body_bytes;
    // On the stack: a zero-filled 64 KiB heap buffer per request was 3% of the sweep's CPU
    // (the memset, and glibc consolidating its heap on every free of a chunk that size).
    char buf[16 * 1024];
    std::string_view input;
    for (;;) {
      std::string_view body;
      HttpResponseParser::Event e = parser.next(input, body);
      if (e == HttpResponseParser::Event::kNeedMore) {
        const int n = socket.receiveBytes(buf, static_cast<int>(sizeof buf));
        if (n > 0) {
          input = std::string_view(buf, static_cast<std::size_t>(n));
          continue;
        }
        e = parser.eof();
      }
      if (e == HttpResponseParser::Event::kError) {
        return failure(TransportOutcome::kReset, parser.error(), out);
      }
      if (e == HttpResponseParser::Event::kHead) {
        out.status = parser.status();
        out.content_type = parser.contentType();
        to_sink = request.sink && out.status >= 200 && out.status < 300;
        out.streamed = to_sink;
        cap = to_sink ? request.max_streamed_bytes : request.max_body_bytes;
        const std::int64_t declared = parser.contentLength();
        if (declared >= 0 && static_cast<std::uint64_t>(declared) > cap) {
          return failure(TransportOutcome::kBodyTooLarge,
                         "Content-Length " + std::to_string(declared) + " over the cap", out);
        }
        if (!to_sink && declared > 0) out.body.reserve(static_cast<std::size_t>(declared));
        continue;
      }
      if (e == HttpResponseParser::Event::kDone) {
        // Bytes after the answer (the server sent more than one) make the connection unusable.
        *reusable = parser.keepAlive() && input.empty();
        break;
      }
      // kBody
      out.body_bytes += body.size();
      if (out.body_bytes > cap) {
        return failure(TransportOutcome::kBodyTooLarge,
                       "body over the cap of " + std::to_string(cap) + " bytes", out);
      }
      if (to_sink) {
        if (out.body.size() < request.keep_prefix_bytes) {
          out.body.append(body.substr(0, request.keep_prefix_bytes - out.body.size()));
        }
        if (!request.sink(body)) {
          return failure(TransportOutcome::kSinkFailed, "the body sink refused a chunk", out);
        }
      } else {
        out.body.append(body);
      }
    }
  } catch (const Poco::TimeoutException& e) {
    return failure(TransportOutcome::kTimedOut, e.displayText(), out);
  } catch (const Poco::Exception& e) {
    // After the handshake, TLS errors (OpenSSL 3 reports an EOF without close_notify as one)
    // mean the connection broke, not that the certificate is bad.
    return failure(TransportOutcome::kReset, e.displayText(), out);
  } catch (const std::exception& e) {
    return failure(TransportOutcome::kReset, e.what(), out);
  }
  HttpResult ok;
  ok.response = std::move(out);
  return ok;
}

}  // namespace

HttpResult PocoHttpTransport::send(const HttpRequest& request) {
  const Result<Target>& target = targetFor(request.url);
  if (!target) return failure(TransportOutcome::kInvalidRequest, target.status().message());

  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    Conn conn = impl_->checkout(*target, &reused);
    bool reusable = false;
    HttpResult r = exchange(conn, *target, request, &reusable, &connections_opened_);
    // A pooled connection the server closed while idle fails before any answer byte: send once
    // more on a fresh connection (all our calls are idempotent).
    const bool stale =
        reused && attempt == 0 && r.outcome == TransportOutcome::kReset && r.response.status == 0;
    if (stale) continue;
    if (r.ok() && reusable) impl_->checkin(*target, std::move(conn));
    return r;
  }
}

}  // namespace wx
