// wxpay-sim benchmark: orderquery/s over keep-alive HTTP with 16 client threads and no injected
// latency, and the time to generate a 1,000,000-row bill. Prints "<name> <value> <unit>" lines.
// The simulator runs in this process (same libraries as the wxpay-sim executable).
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <streambuf>
#include <thread>
#include <vector>

#include "sim/sim_api.h"
#include "sim/sim_bill.h"
#include "sim/sim_clock.h"
#include "sim/sim_control.h"
#include "sim/sim_faults.h"
#include "sim/sim_notifier.h"
#include "sim/sim_server.h"
#include "sim/sim_state.h"
#include "wechat/signer.h"

namespace {

struct NullBuf : std::streambuf {
  std::size_t n = 0;
  std::streamsize xsputn(const char*, std::streamsize k) override {
    n += static_cast<std::size_t>(k);
    return k;
  }
  int overflow(int c) override {
    ++n;
    return c;
  }
};

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main() {
  using namespace wx;
  MerchantConfig m;
  m.name = "bench";
  m.mch_id = "10000100";
  m.appids = {"wxd930ea5d5a258f4f"};
  m.api_key = Secret("192006250b4c09247ec02edce69f6a2d");
  sim::SimClock clock;
  clock.set(*parseIso8601Utc("2024-05-01T00:00:00Z"));
  sim::SimState state({m});
  sim::FaultInjector faults(1);
  sim::PayStats stats;
  sim::Notifier notifier(state, clock, 1, "", 1000);
  sim::PayApi pay(state, clock, faults, stats);
  sim::ControlApi control(state, clock, faults, stats, notifier);
  sim::ServerOptions options;
  options.threads = 64;
  sim::SimServer server(pay, control, options);
  server.start();

  // 1000 orders, half paid; requests signed up front (client signing is not the sim's cost).
  std::vector<std::string> bodies;
  for (int i = 0; i < 1000; ++i) {
    sim::NewOrder n;
    n.mch_id = m.mch_id;
    n.appid = m.appids[0];
    n.out_trade_no = "BENCH" + std::to_string(100000 + i);
    n.total_fee = 100 + i;
    (void)state.create(n, clock.now());
    if (i % 2 == 0) (void)state.pay(m.mch_id, n.out_trade_no, std::nullopt, clock.now());
    FieldMap f{{"appid", n.appid},
               {"mch_id", m.mch_id},
               {"nonce_str", "n" + std::to_string(i)},
               {"out_trade_no", n.out_trade_no}};
    signRequest(f, SignType::kMd5, m.api_key);
    bodies.push_back(writeXmlFields(f));
  }

  const Poco::URI uri(server.url());
  constexpr int kThreads = 16;
  const auto kDuration = std::chrono::seconds(5);
  std::atomic<long> ok{0}, bad{0};
  std::vector<std::thread> clients;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      Poco::Net::HTTPClientSession s(uri.getHost(), uri.getPort());
      s.setKeepAlive(true);
      std::size_t i = static_cast<std::size_t>(t);
      std::string answer;
      while (std::chrono::steady_clock::now() - start < kDuration) {
        const std::string& body = bodies[i++ % bodies.size()];
        try {
          Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/pay/orderquery",
                                     Poco::Net::HTTPMessage::HTTP_1_1);
          req.setKeepAlive(true);
          req.setContentLength(static_cast<std::streamsize>(body.size()));
          s.sendRequest(req) << body;
          Poco::Net::HTTPResponse resp;
          std::istream& in = s.receiveResponse(resp);
          answer.assign(std::istreambuf_iterator<char>(in), {});
          (resp.getStatus() == 200 && answer.find("trade_state") != std::string::npos ? ok : bad)++;
        } catch (const Poco::Exception&) {
          ++bad;
          s.reset();
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  const double elapsed = seconds(std::chrono::steady_clock::now() - start);
  std::printf("sim_orderquery_rate %.0f req/s\n", static_cast<double>(ok.load()) / elapsed);
  std::printf("sim_orderquery_errors %ld count\n", bad.load());
  server.stop();

  // 1,000,000 paid rows (5% refunded) on one day: generation, then the whole bill text.
  sim::GenerateSpec spec;
  spec.mch_id = m.mch_id;
  spec.date = CivilDate{2024, 4, 30};
  spec.rows = 1000000;
  spec.seed = 7;
  spec.refund_ppm = 50000;
  auto t0 = std::chrono::steady_clock::now();
  (void)state.generate(spec);
  std::printf("sim_generate_1m_rows %.3f s\n", seconds(std::chrono::steady_clock::now() - t0));
  t0 = std::chrono::steady_clock::now();
  NullBuf nb;
  std::ostream null_out(&nb);
  auto totals = sim::writeBill(null_out, state.billSource(m.mch_id, spec.date), spec.date,
                               sim::BillType::kAll);
  std::printf("sim_bill_1m_rows %.3f s\n", seconds(std::chrono::steady_clock::now() - t0));
  std::printf("sim_bill_1m_rows_lines %llu rows\n", static_cast<unsigned long long>(totals.rows));
  std::printf("sim_bill_1m_rows_bytes %zu bytes\n", nb.n);
  return 0;
}
