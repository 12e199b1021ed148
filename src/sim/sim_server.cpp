#include "sim/sim_server.h"

#include <Poco/DeflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <deque>
#include <mutex>

#include "common/clock.h"

#include <sstream>
#include <thread>

namespace wx::sim {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// Reads the body, at most `cap` bytes; false when it is larger.
bool readBody(HTTPServerRequest& req, std::size_t cap, std::string& out) {
  std::istream& in = req.stream();
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > cap) return false;
  }
  return true;
}

// Takes the connection away from Poco so it is never answered, and closes it: with linger 0
// the peer gets a RST ("connection reset"), otherwise a plain FIN after `hold_ms`.
void abortConnection(HTTPServerRequest& req, HTTPServerResponse& resp, bool reset, int hold_ms) {
  resp.setKeepAlive(false);
  Poco::Net::StreamSocket s = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).detachSocket();
  if (!reset && hold_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  try {
    if (reset) s.setLinger(true, 0);
    s.close();
  } catch (const Poco::Exception&) {
  }
}

// The request log behind GET /sim/requests: the last kMax /pay/ requests (wall time UTC,
// endpoint, HTTP status, injected transport fault, latency added, answer bytes). Cleared by
// POST /sim/reset.
class RequestLog {
 public:
  static constexpr std::size_t kMax = 10000;
  void add(const std::string& endpoint, const PayResponse& r) {
    std::string e =
        "{\"at\":\"" + formatIso8601Utc(SystemClock::instance().now()) + "\",\"endpoint\":\"" +
        jsonSafe(endpoint) + "\",\"status\":" + std::to_string(r.status) + ",\"fault\":\"" +
        faultKindName(r.transport) + "\",\"latency_ms\":" + std::to_string(r.latency_ms) +
        ",\"bytes\":" + std::to_string(r.body.size()) + "}";
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(std::move(e));
    if (entries_.size() > kMax) entries_.pop_front();
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.clear();
  }
  std::string json(std::size_t limit) const {
    std::lock_guard<std::mutex> lock(mu_);
    const std::size_t n = std::min(limit, entries_.size());
    std::string out = "{\"requests\":[";
    for (std::size_t i = entries_.size() - n; i < entries_.size(); ++i) {
      if (i != entries_.size() - n) out += ",";
      out += entries_[i];
    }
    return out + "]}";
  }

 private:
  static std::string jsonSafe(const std::string& v) {
    std::string o;
    for (char c : v) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') o += c;
    }
    return o;
  }
  mutable std::mutex mu_;
  std::deque<std::string> entries_;
};

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(PayApi& pay, ControlApi& control, std::size_t cap, RequestLog& log)
      : pay_(pay), control_(control), cap_(cap), log_(log) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    std::string body;
    if (!readBody(req, cap_, body)) {
      resp.setStatusAndReason(HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
      resp.setKeepAlive(false);
      resp.setContentLength(0);
      resp.send();
      return;
    }
    Poco::URI uri(req.getURI());
    const std::string path = uri.getPath();
    if (path.rfind("/pay/", 0) == 0) {
      PayResponse r = pay_.handle(path.substr(5), req.getMethod(), body);
      log_.add(path.substr(5), r);
      servePay(req, resp, std::move(r));
      return;
    }
    std::map<std::string, std::string> query;
    for (const auto& [k, v] : uri.getQueryParameters()) query[k] = v;
    if (path == "/sim/requests" && req.getMethod() == "GET") {
      std::size_t limit = RequestLog::kMax;
      if (query.count("limit")) {
        std::string digits;
        for (char c : query["limit"]) {
          if (c >= '0' && c <= '9' && digits.size() < 9) digits += c;
        }
        limit = static_cast<std::size_t>(std::stoul("0" + digits));
      }
      const std::string json = log_.json(limit);
      resp.setContentType("application/json");
      resp.setContentLength(static_cast<std::streamsize>(json.size()));
      resp.send() << json;
      return;
    }
    if (path == "/sim/reset" && req.getMethod() == "POST") log_.clear();
    ControlResponse r = control_.handle(req.getMethod(), path, query, body);
    resp.setStatus(static_cast<HTTPResponse::HTTPStatus>(r.status));
    resp.setContentType(r.content_type);
    if (r.stream) {
      resp.setChunkedTransferEncoding(true);
      std::ostream& os = resp.send();
      r.stream(os);
      return;
    }
    resp.setContentLength(static_cast<std::streamsize>(r.body.size()));
    resp.send() << r.body;
  }

 private:
  void servePay(HTTPServerRequest& req, HTTPServerResponse& resp, PayResponse r) {
    if (r.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(r.latency_ms));
    if (r.transport == FaultKind::kTimeout || r.transport == FaultKind::kReset) {
      abortConnection(req, resp, r.transport == FaultKind::kReset, r.hold_ms);
      return;
    }
    resp.setStatus(static_cast<HTTPResponse::HTTPStatus>(r.status));
    resp.setContentType(r.content_type);
    if (!r.stream) {
      resp.setContentLength(static_cast<std::streamsize>(r.body.size()));
      resp.send() << r.body;
      return;
    }
    if (r.truncate) {
      // The whole bill is announced, half of it arrives, then the connection drops.
      std::ostringstream full;
      if (r.gzip) {
        Poco::DeflatingOutputStream gz(full, Poco::DeflatingStreamBuf::STREAM_GZIP);
        r.stream(gz);
        gz.close();
      } else {
        r.stream(full);
      }
      const std::string bytes = full.str();
      resp.setContentLength(static_cast<std::streamsize>(bytes.size()));
      resp.setKeepAlive(false);
      std::ostream& os = resp.send();
      os.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
      os.flush();
      abortConnection(req, resp, true, 0);
      return;
    }
    resp.setChunkedTransferEncoding(true);
    std::ostream& os = resp.send();
    if (r.gzip) {
      Poco::DeflatingOutputStream gz(os, Poco::DeflatingStreamBuf::STREAM_GZIP, 1);
      r.stream(gz);
      gz.close();
    } else {
      r.stream(os);
    }
  }

  PayApi& pay_;
  ControlApi& control_;
  std::size_t cap_;
  RequestLog& log_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(PayApi& pay, ControlApi& control, std::size_t cap)
      : pay_(pay), control_(control), cap_(cap) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(pay_, control_, cap_, log_);
  }

 private:
  PayApi& pay_;
  ControlApi& control_;
  std::size_t cap_;
  RequestLog log_;
};

}  // namespace

SimServer::SimServer(PayApi& pay, ControlApi& control, ServerOptions options)
    : pay_(pay), control_(control), options_(std::move(options)) {}

SimServer::~SimServer() { stop(); }

void SimServer::start() {
  Poco::Net::SocketAddress addr(options_.host, static_cast<Poco::UInt16>(options_.port));
  const bool tls = !options_.tls_cert.empty();
  Poco::Net::ServerSocket socket;
  if (tls) {
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, options_.tls_key, options_.tls_cert, "",
        Poco::Net::Context::VERIFY_NONE, 9, false, "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
    socket = Poco::Net::SecureServerSocket(addr, 256, ctx);
  } else {
    socket = Poco::Net::ServerSocket(addr, 256);
  }
  bound_port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options_.threads);
  params->setMaxQueued(1024);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setTimeout(Poco::Timespan(60, 0));
  pool_ = std::make_unique<Poco::ThreadPool>(2, options_.threads + 4, 60);
  server_ = std::make_unique<Poco::Net::HTTPServer>(
      new Factory(pay_, control_, options_.max_body_bytes), *pool_, socket, params);
  server_->start();
}

void SimServer::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
  if (pool_) {
    pool_->joinAll();
    pool_.reset();
  }
}

std::string SimServer::url() const {
  return std::string(options_.tls_cert.empty() ? "http" : "https") + "://" + options_.host + ":" +
         std::to_string(bound_port_);
}

}  // namespace wx::sim
