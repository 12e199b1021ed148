#include "net/admin_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

namespace wx {

namespace {

using Poco::Net::HTTPResponse;

class AdminHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit AdminHandler(const AdminHandlers& handlers) : handlers_(handlers) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    const std::string path = Poco::URI(req.getURI()).getPath();
    resp.setKeepAlive(false);
    resp.setContentType("text/plain; charset=utf-8");
    if (req.getMethod() != "GET") {
      resp.setStatus(HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
      resp.set("Allow", "GET");
      resp.send() << "GET only\n";
    } else if (path == "/healthz") {
      const std::string reason = handlers_.unhealthy_reason ? handlers_.unhealthy_reason() : "";
      resp.setStatus(reason.empty() ? HTTPResponse::HTTP_OK
                                    : HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      resp.send() << (reason.empty() ? "ok" : reason) << "\n";
    } else if (path == "/metrics" && handlers_.metrics) {
      const std::string text = handlers_.metrics();
      resp.setContentType("text/plain; version=0.0.4");
      resp.setContentLength(static_cast<std::streamsize>(text.size()));
      resp.send() << text;
    } else {
      resp.setStatus(HTTPResponse::HTTP_NOT_FOUND);
      resp.send() << "not found\n";
    }
  }

 private:
  const AdminHandlers& handlers_;
};

class AdminFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit AdminFactory(const AdminHandlers& handlers) : handlers_(handlers) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new AdminHandler(handlers_);
  }

 private:
  const AdminHandlers& handlers_;
};

}  // namespace

AdminServer::AdminServer(std::string listen, AdminHandlers handlers)
    : listen_(std::move(listen)), handlers_(std::move(handlers)) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
  Poco::Net::ServerSocket socket{Poco::Net::SocketAddress(listen_), 64};
  address_ = socket.address().host().toString() + ":" + std::to_string(socket.address().port());
  auto* params = new Poco::Net::HTTPServerParams;
  params->setTimeout(Poco::Timespan(2, 0));
  params->setKeepAlive(false);
  params->setMaxThreads(4);
  params->setMaxQueued(64);
  pool_ = std::make_unique<Poco::ThreadPool>(1, 4, 60);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new AdminFactory(handlers_), *pool_, socket,
                                                    params);
  server_->start();
}

void AdminServer::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
  if (pool_) {
    pool_->joinAll();
    pool_.reset();
  }
}

}  // namespace wx
