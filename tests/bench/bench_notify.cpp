// notify-server benchmark (issue 6 "Benchmark"): the load generator tests/bench/notify.sh runs
// against the real `wxrecon notify-server`.
//
//   bench_notify load URL MCH_ID APPID KEY_ENV PREFIX FIRST COUNT SECONDS THREADS SLOW LABEL
//     THREADS keep-alive connections POST valid MD5-signed notifications for distinct orders
//     PREFIX<n> (n from FIRST, at most COUNT of them; total_fee 100) for SECONDS. The requests
//     are signed and rendered before the clock starts, and each is written with one send() and
//     its answer read into a fixed buffer: the generator shares the cores with the server and
//     MariaDB, so it does as little per request as it can (Poco's HTTPClientSession allocated
//     a request, a response and their streams per request, and signing cost more than sending).
//     SLOW > 0: that many slow connections (partial header, one byte every ~300 ms, reopened
//     when the server cuts them) are opened 2 s before the genuine clients start and held
//     until they finish. Prints "<LABEL>_<figure> <value> <unit>" lines.
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/secret.h"
#include "common/time.h"
#include "wechat/signer.h"
#include "wechat/xml_codec.h"

namespace {

using Clock = std::chrono::steady_clock;

// Slow-loris connections: each sends a partial request header, then one byte every ~300 ms;
// a connection the server closes (or answers) is reopened, so `n` stay open.
class SlowAttack {
 public:
  SlowAttack(std::string host, int port, int n) : host_(std::move(host)), port_(port), n_(n) {}
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long long reopened() const { return reopened_; }
  long long bytesSent() const { return bytes_; }

 private:
  int open() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    ::inet_pton(AF_INET, host_.c_str(), &a.sin_addr);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // EINPROGRESS
    return fd;
  }
  void run() {
    std::vector<int> fds(static_cast<std::size_t>(n_), -1);
    std::vector<std::size_t> sent(fds.size(), 0);  // bytes of the prefix sent
    const std::string prefix =
        "POST /wxpay/notify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nX-Slow: ";
    for (auto& fd : fds) fd = open();
    while (!stop_) {
      const auto tick = Clock::now();
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i] < 0) {
          fds[i] = open();
          sent[i] = 0;
          continue;
        }
        // Closed or answered by the server: reopen.
        pollfd p{fds[i], POLLIN, 0};
        if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
          ::close(fds[i]);
          fds[i] = open();
          sent[i] = 0;
          ++reopened_;
          continue;
        }
        ssize_t r;
        if (sent[i] < prefix.size()) {
          r = ::send(fds[i], prefix.data() + sent[i], prefix.size() - sent[i], MSG_NOSIGNAL);
          if (r > 0) sent[i] += static_cast<std::size_t>(r);
        } else {
          r = ::send(fds[i], "a", 1, MSG_NOSIGNAL);
        }
        if (r > 0) {
          bytes_ += r;
        } else if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN) {
          ::close(fds[i]);
          fds[i] = open();
          sent[i] = 0;
          ++reopened_;
        }
      }
      std::this_thread::sleep_until(tick + std::chrono::milliseconds(300));
    }
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }

  std::string host_;
  int port_;
  int n_;
  std::atomic<bool> stop_{false};
  std::atomic<long long> reopened_{0}, bytes_{0};
  std::thread thread_;
};

double percentile(const std::vector<long>& sorted_us, double p) {
  if (sorted_us.empty()) return 0;
  const std::size_t i = std::min(sorted_us.size() - 1,
                                 static_cast<std::size_t>(p * static_cast<double>(sorted_us.size())));
  return static_cast<double>(sorted_us[i]) / 1000.0;
}

int load(char** a) {
  const Poco::URI url(a[0]);
  const std::string mch = a[1], appid = a[2];
  const char* key_text = std::getenv(a[3]);
  if (key_text == nullptr) {
    std::cerr << "bench_notify load: $" << a[3] << " is not set\n";
    return 2;
  }
  const wx::Secret key{std::string(key_text)};
  const std::string prefix = a[4];
  const long first = std::atol(a[5]), count = std::atol(a[6]);
  const int seconds = std::atoi(a[7]), threads = std::atoi(a[8]), slow = std::atoi(a[9]);
  const std::string label = a[10];
  const std::string ack =
      "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></"
      "return_msg></xml>";

  // Every request, rendered up front: header and body in one buffer, one after the other.
  const std::string time_end = wx::formatBeijingCompact(
      std::chrono::time_point_cast<wx::Millis>(std::chrono::system_clock::now()));
  std::string arena;
  std::vector<std::size_t> offsets{0};
  for (long i = 0; i < count; ++i) {
    const std::string no = prefix + std::to_string(first + i);
    wx::FieldMap f{{"return_code", "SUCCESS"},
                   {"return_msg", "OK"},
                   {"appid", appid},
                   {"mch_id", mch},
                   {"nonce_str", "N" + no},
                   {"result_code", "SUCCESS"},
                   {"openid", "oUser_bench"},
                   {"is_subscribe", "N"},
                   {"trade_type", "JSAPI"},
                   {"bank_type", "CFT"},
                   {"total_fee", "100"},
                   {"fee_type", "CNY"},
                   {"cash_fee", "100"},
                   {"transaction_id", "42" + std::to_string(first + i + 1000000000000L)},
                   {"out_trade_no", no},
                   {"time_end", time_end}};
    f["sign"] = wx::computeSign(f, wx::SignType::kMd5, key);
    const std::string body = wx::writeXmlFields(f);
    arena += "POST " + url.getPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" +
             std::to_string(url.getPort()) +
             "\r\nContent-Type: text/xml\r\nConnection: keep-alive\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    offsets.push_back(arena.size());
  }

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(url.getPort()));
  ::inet_pton(AF_INET, url.getHost().c_str(), &addr.sin_addr);
  auto connectOne = [&addr]() -> int {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  };

  SlowAttack attack(url.getHost(), url.getPort(), slow);
  if (slow > 0) {
    attack.start();
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }

  std::atomic<long> next{0}, acked{0}, errors{0}, exhausted{0};
  std::mutex mu;
  std::vector<long> all_us;
  std::string first_error;
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::seconds(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::vector<long> us;
      us.reserve(200000);
      std::string my_error;
      char buf[8192];
      int fd = -1;
      // One answer: status line, headers, Content-Length bytes of body. Returns "" when it is
      // the byte-exact SUCCESS acknowledgement with status 200, else what was wrong.
      auto exchange = [&](const char* req, std::size_t len, bool& keep) -> std::string {
        std::size_t sent = 0;
        while (sent < len) {
          const ssize_t w = ::send(fd, req + sent, len - sent, MSG_NOSIGNAL);
          if (w <= 0) return std::string("send: ") + std::strerror(errno);
          sent += static_cast<std::size_t>(w);
        }
        std::size_t have = 0, header_end = 0, total = 0;
        for (;;) {
          if (have == sizeof buf) return "answer larger than the buffer";
          const ssize_t r = ::recv(fd, buf + have, sizeof buf - have, 0);
          if (r <= 0) return r == 0 ? "connection closed" : std::string("recv: ") + std::strerror(errno);
          have += static_cast<std::size_t>(r);
          if (header_end == 0) {
            const std::string_view v(buf, have);
            const auto e = v.find("\r\n\r\n");
            if (e == std::string_view::npos) continue;
            header_end = e + 4;
            const std::string_view head = v.substr(0, header_end);
            const auto cl = head.find("Content-Length: ");
            if (cl == std::string_view::npos) return "no Content-Length";
            total = header_end + static_cast<std::size_t>(std::atol(buf + cl + 16));
            keep = head.find("Connection: close") == std::string_view::npos;
            if (head.substr(0, 12) != "HTTP/1.1 200") {
              return std::string(head.substr(0, 12));
            }
          }
          if (have >= total) break;
        }
        if (std::string_view(buf + header_end, total - header_end) != ack) {
          return std::string(buf + header_end, total - header_end);
        }
        return "";
      };
      while (Clock::now() < deadline) {
        const long i = next++;
        if (i >= count) {
          ++exhausted;
          break;
        }
        if (fd < 0 && (fd = connectOne()) < 0) {
          ++errors;
          if (my_error.empty()) my_error = std::string("connect: ") + std::strerror(errno);
          continue;
        }
        const auto s = Clock::now();
        bool keep = false;
        const std::string err =
            exchange(arena.data() + offsets[static_cast<std::size_t>(i)],
                     offsets[static_cast<std::size_t>(i) + 1] - offsets[static_cast<std::size_t>(i)],
                     keep);
        const auto e = Clock::now();
        if (err.empty()) {
          ++acked;
          us.push_back(static_cast<long>(
              std::chrono::duration_cast<std::chrono::microseconds>(e - s).count()));
        } else {
          ++errors;
          if (my_error.empty()) my_error = err;
        }
        if (!err.empty() || !keep) {
          ::close(fd);
          fd = -1;
        }
      }
      if (fd >= 0) ::close(fd);
      std::lock_guard<std::mutex> lock(mu);
      all_us.insert(all_us.end(), us.begin(), us.end());
      if (first_error.empty()) first_error = my_error;
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  if (slow > 0) attack.stop();
  std::sort(all_us.begin(), all_us.end());
  std::printf("%s_acknowledged %ld notifications\n", label.c_str(), acked.load());
  std::printf("%s_duration %.1f s\n", label.c_str(), elapsed);
  std::printf("%s_throughput %.0f notifications/s\n", label.c_str(),
              static_cast<double>(acked.load()) / elapsed);
  std::printf("%s_latency_p50 %.1f ms\n", label.c_str(), percentile(all_us, 0.50));
  std::printf("%s_latency_p99 %.1f ms\n", label.c_str(), percentile(all_us, 0.99));
  std::printf("%s_latency_max %.1f ms\n", label.c_str(),
              all_us.empty() ? 0.0 : static_cast<double>(all_us.back()) / 1000.0);
  std::printf("%s_errors %ld answers\n", label.c_str(), errors.load());
  if (!first_error.empty()) std::fprintf(stderr, "%s first error: %s\n", label.c_str(), first_error.c_str());
  if (exhausted.load() > 0) {
    std::fprintf(stderr, "%s: ran out of orders (%ld): raise the order count\n", label.c_str(),
                 count);
  }
  if (slow > 0) {
    std::printf("%s_slow_connections %d held\n", label.c_str(), slow);
    std::printf("%s_slow_connections_cut_by_server %lld reconnects\n", label.c_str(),
                attack.reopened());
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "load" && argc == 13) return load(argv + 2);
  } catch (const std::exception& e) {
    std::cerr << "bench_notify: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: bench_notify load URL MCH_ID APPID KEY_ENV PREFIX FIRST COUNT SECONDS "
               "THREADS SLOW LABEL\n";
  return 2;
}
