// A tiny in-process HTTP/1.1 server (plain or TLS) on 127.0.0.1, for transport tests and the
// transport benchmark, plus test certificates made with the openssl CLI at test time.
// It misbehaves on request: never answer, reset before or in the middle of the answer, close a
// keep-alive connection right after answering. It counts accepted connections.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wx::test {

// Certificates for TLS tests, generated once per process in a temporary directory.
//   ca.pem                     the test CA the client trusts
//   good.{pem,key}             CA-signed, SAN DNS:localhost,IP:127.0.0.1
//   selfsigned.{pem,key}       self-signed, same SAN
//   expired.{pem,key}          CA-signed, same SAN, valid 2020-01-01..2020-01-02
//   wronghost.{pem,key}        CA-signed, SAN DNS:wrong-host.invalid only
//   untrusted.{pem,key}        signed by another CA the client does not trust, same SAN
class TestCerts {
 public:
  static const TestCerts& instance() {
    static const TestCerts certs;
    return certs;
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& dir() const { return dir_; }
  ~TestCerts() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  TestCerts() {
    char tmpl[] = "/tmp/wxrecon-tls-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    const std::string d = dir_;
    write("san.ext",
          "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
          "extendedKeyUsage=serverAuth\n");
    write("wrong.ext",
          "subjectAltName=DNS:wrong-host.invalid\nbasicConstraints=CA:FALSE\n"
          "extendedKeyUsage=serverAuth\n");
    write("ca.cnf", "[ca]\ndefault_ca=tca\n[tca]\ndir=" + d + "\ndatabase=" + d +
                        "/index.txt\nnew_certs_dir=" + d + "\nserial=" + d +
                        "/serial\ndefault_md=sha256\npolicy=pol\n"
                        "[pol]\ncommonName=supplied\n");
    write("index.txt", "");
    write("serial", "1000\n");
    const std::string q = " >/dev/null 2>&1";
    auto ca = [&](const std::string& name) {
      run("openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj /CN=" + name + " -keyout " + d +
          "/" + name + ".key -out " + d + "/" + name +
          ".pem -addext basicConstraints=critical,CA:TRUE"
          " -addext keyUsage=critical,keyCertSign,cRLSign" +
          q);
    };
    auto csr = [&](const std::string& name) {
      run("openssl req -new -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + d + "/" + name +
          ".key -out " + d + "/" + name + ".csr" + q);
    };
    auto sign = [&](const std::string& name, const std::string& ca_name, const std::string& ext) {
      run("openssl x509 -req -days 3 -in " + d + "/" + name + ".csr -CA " + d + "/" + ca_name +
          ".pem -CAkey " + d + "/" + ca_name + ".key -CAcreateserial -out " + d + "/" + name +
          ".pem -extfile " + d + "/" + ext + q);
    };
    ca("ca");
    ca("otherca");
    csr("good");
    sign("good", "ca", "san.ext");
    csr("wronghost");
    sign("wronghost", "ca", "wrong.ext");
    csr("untrusted");
    sign("untrusted", "otherca", "san.ext");
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj /CN=localhost -keyout " + d +
        "/selfsigned.key -out " + d +
        "/selfsigned.pem -addext subjectAltName=DNS:localhost,IP:127.0.0.1" + q);
    // `openssl x509 -req` cannot backdate; `openssl ca` can.
    csr("expired");
    run("openssl ca -batch -notext -config " + d + "/ca.cnf -cert " + d + "/ca.pem -keyfile " + d +
        "/ca.key -in " + d + "/expired.csr -out " + d +
        "/expired.pem -startdate 20200101000000Z -enddate 20200102000000Z -extfile " + d +
        "/san.ext" + q);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ + "/" + name) << text;
  }
  static void run(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  }
  std::string dir_;
};

class TestHttpServer {
 public:
  enum class Mode {
    kAnswer,             // answer every request, keep the connection alive
    kSilent,             // read the request, never answer
    kResetBeforeAnswer,  // read the request, then RST
    kResetMidBody,       // send headers with Content-Length and half the body, then RST
    kCloseAfterAnswer,   // answer (claiming keep-alive), then close the connection
  };

  // `cert` is a TestCerts name ("good", "expired"...) or empty for plain HTTP.
  TestHttpServer(const std::string& cert, Mode mode, std::string body = "<xml>ok</xml>")
      : mode_(mode), body_(std::move(body)) {
    const Poco::Net::SocketAddress addr("127.0.0.1", 0);
    if (cert.empty()) {
      server_ = Poco::Net::ServerSocket(addr, 64);
    } else {
      const auto& c = TestCerts::instance();
      // The server does not ask for client certificates that it could verify.
      ctx_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, c.path(cert + ".key"),
                                    c.path(cert + ".pem"), "", Poco::Net::Context::VERIFY_RELAXED);
      server_ = Poco::Net::SecureServerSocket(addr, 64, ctx_);
    }
    port_ = server_.address().port();
    acceptor_ = std::thread([this] { acceptLoop(); });
  }

  ~TestHttpServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    acceptor_.join();
    for (auto& t : workers_) t.join();
  }

  Poco::UInt16 port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }
  std::string url(const std::string& path = "/pay/orderquery") const {
    return std::string(ctx_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string lastRequestBody() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_body_;
  }

 private:
  bool stopping() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_;
  }

  void acceptLoop() {
    while (!stopping()) {
      try {
        if (!server_.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ)) continue;
        // The worker owns the only copy: a copy here, released after the worker's, would
        // free the socket on this thread through Poco's reference count, which
        // ThreadSanitizer cannot see (Poco is not instrumented).
        auto s = std::make_shared<Poco::Net::StreamSocket>(server_.acceptConnection());
        accepted_.fetch_add(1);
        std::lock_guard<std::mutex> lock(mu_);
        workers_.emplace_back([this, s = std::move(s)]() { serve(*s); });
      } catch (const std::exception&) {
        // a failed handshake or accept: keep serving
      }
    }
    server_.close();
  }

  void rst(Poco::Net::StreamSocket& s) {
    s.setLinger(true, 0);
    if (ctx_) {
      Poco::Net::SecureStreamSocket(s).abort();  // no close_notify
    }
    s.close();
  }

  // Reads one request; false on EOF/error.
  bool readRequest(Poco::Net::StreamSocket& s, std::string& buffer) {
    std::size_t header_end;
    char tmp[16384];
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      // Poll, so that an idle keep-alive connection does not delay the server's shutdown.
      if (!s.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ)) {
        if (stopping()) return false;
        continue;
      }
      int n = s.receiveBytes(tmp, sizeof tmp);
      if (n <= 0) return false;
      buffer.append(tmp, static_cast<std::size_t>(n));
    }
    std::size_t length = 0;
    const std::string headers = Poco::toLower(buffer.substr(0, header_end));
    const auto cl = headers.find("content-length:");
    if (cl != std::string::npos) length = std::stoul(headers.substr(cl + 15));
    while (buffer.size() < header_end + 4 + length) {
      int n = s.receiveBytes(tmp, sizeof tmp);
      if (n <= 0) return false;
      buffer.append(tmp, static_cast<std::size_t>(n));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_body_ = buffer.substr(header_end + 4, length);
    }
    buffer.erase(0, header_end + 4 + length);
    requests_.fetch_add(1);
    return true;
  }

  void sendAll(Poco::Net::StreamSocket& s, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      int n = s.sendBytes(data.data() + off, static_cast<int>(data.size() - off));
      if (n <= 0) throw std::runtime_error("send failed");
      off += static_cast<std::size_t>(n);
    }
  }

  void serve(Poco::Net::StreamSocket s) {
    try {
      s.setReceiveTimeout(Poco::Timespan(10, 0));
      std::string buffer;
      while (!stopping() && readRequest(s, buffer)) {
        const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
                                 std::to_string(body_.size()) +
                                 "\r\nConnection: keep-alive\r\n\r\n";
        switch (mode_) {
          case Mode::kAnswer:
            sendAll(s, head + body_);
            break;
          case Mode::kSilent: {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [this] { return stop_; });
            return;
          }
          case Mode::kResetBeforeAnswer:
            rst(s);
            return;
          case Mode::kResetMidBody:
            sendAll(s, head + body_.substr(0, body_.size() / 2));
            rst(s);
            return;
          case Mode::kCloseAfterAnswer:
            sendAll(s, head + body_);
            s.close();
            return;
        }
      }
    } catch (const std::exception&) {
      // the client went away or the handshake failed
    }
  }

  Mode mode_;
  std::string body_;
  Poco::Net::Context::Ptr ctx_;
  Poco::Net::ServerSocket server_;
  Poco::UInt16 port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
  std::string last_body_;
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
};

}  // namespace wx::test
