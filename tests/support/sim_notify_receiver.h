// A notify_url for tests: an HTTP server on 127.0.0.1:<ephemeral> that records every POST and
// answers with a scripted (status, body) per request number (tests only).
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace wx::test {

inline const char* successAck() {
  return "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></"
         "return_msg>"
         "</xml>";
}
inline const char* failAck() {
  return "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[busy]]></return_msg>"
         "</xml>";
}

class NotifyReceiver {
 public:
  // script(n) for the n-th request (0-based) -> (HTTP status, body).
  using Script = std::function<std::pair<int, std::string>(std::size_t)>;

  explicit NotifyReceiver(Script script) : script_(std::move(script)) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
  }
  ~NotifyReceiver() { server_->stopAll(true); }

  std::string url(const std::string& path = "/wxpay/notify") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(NotifyReceiver& r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      std::size_t n;
      {
        std::lock_guard<std::mutex> lock(r_.mu_);
        n = r_.bodies_.size();
        r_.bodies_.push_back(body);
      }
      auto [status, answer] = r_.script_(n);
      resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      resp.setContentType("text/xml");
      resp.setContentLength(static_cast<std::streamsize>(answer.size()));
      resp.send() << answer;
    }

   private:
    NotifyReceiver& r_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(NotifyReceiver& r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r_);
    }

   private:
    NotifyReceiver& r_;
  };

  Script script_;
  mutable std::mutex mu_;
  std::vector<std::string> bodies_;
  int port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace wx::test
