// Helper for tests/bench/sweep.sh (the sweep benchmark; the script does the orchestration).
//
//   bench_sweep seed-unpaid SIM_URL MCH_ID APPID N_OPEN N_EXPIRED OUT.csv
//     Creates N_OPEN open unpaid orders (created 10 min ago, expiring in 2 h) and N_EXPIRED
//     expired unpaid ones (created 2 h ago, expired 30 min ago) at the simulator over ONE
//     keep-alive connection (POST /sim/orders), and writes the same orders as CSV for
//     LOAD DATA (the columns of GET /sim/orders.csv, one header line). Prints its own rate.
//
//   bench_sweep claim HOST PORT USER DATABASE[,DATABASE...] PASSWORD_ENV MCH_ID BATCH ORDERS ROUNDS
//     Times MySqlOrderStore::claimDue (the sweep's claim + load) through the real store code:
//     per round, every NOTPAY order is made due and unleased, then ORDERS orders are claimed
//     in batches of BATCH. With several databases (the same orders, with and without history)
//     the rounds are interleaved A B B A ..., so that whatever else the machine does at the
//     time (other builds, InnoDB flushing) weighs on every database alike. One warm-up round
//     per database is not counted. Prints, per database, "DATABASE MEDIAN MIN" in milliseconds
//     per 1,000 orders claimed.
#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/time.h"
#include "storage/database.h"
#include "storage/mysql_stores.h"

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int seedUnpaid(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: bench_sweep seed-unpaid SIM_URL MCH_ID APPID N_OPEN N_EXPIRED OUT.csv\n";
    return 2;
  }
  const Poco::URI uri(argv[2]);
  const std::string mch = argv[3], appid = argv[4];
  const long n_open = std::atol(argv[5]), n_expired = std::atol(argv[6]);
  std::ofstream csv(argv[7]);
  csv << "mch_id,appid,out_trade_no,total_fee,fee_type,trade_type,state,transaction_id,paid_at,"
         "created_at,expire_at\n";
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setKeepAlive(true);
  session.setTimeout(Poco::Timespan(30, 0));
  const auto now = std::chrono::time_point_cast<wx::Millis>(std::chrono::system_clock::now());
  const auto t0 = Clock::now();
  for (long i = 0; i < n_open + n_expired; ++i) {
    const bool open = i < n_open;
    const std::string no = (open ? "BOPEN" : "BEXP") + std::to_string(i);
    const auto created = now - std::chrono::minutes(open ? 10 : 120);
    const auto expire = open ? now + std::chrono::hours(2) : now - std::chrono::minutes(30);
    const std::int64_t fee = 100 + i % 9900;
    const std::string body = R"({"mch_id":")" + mch + R"(","appid":")" + appid +
                             R"(","out_trade_no":")" + no + R"(","total_fee":)" +
                             std::to_string(fee) + R"(,"created_at":")" +
                             wx::formatIso8601Utc(created) + R"(","time_expire":")" +
                             wx::formatIso8601Utc(expire) + R"("})";
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/sim/orders",
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    std::string answer;
    Poco::StreamCopier::copyToString(in, answer);
    if (resp.getStatus() / 100 != 2) {
      std::cerr << "POST /sim/orders " << no << ": " << resp.getStatus() << " " << answer << "\n";
      return 1;
    }
    csv << mch << ',' << appid << ',' << no << ',' << fee << ",CNY,JSAPI,NOTPAY,\\N,\\N,"
        << wx::formatUtcSql(created) << ',' << wx::formatUtcSql(expire) << '\n';
  }
  const double secs = secondsSince(t0);
  std::printf("seed_sim_orders_rate %.0f orders/s\n", (n_open + n_expired) / secs);
  return csv.good() ? 0 : 1;
}

// One database under test: its store, and an admin session that makes the orders due again.
struct ClaimTarget {
  std::string name;
  std::unique_ptr<wx::Database> db;
  std::unique_ptr<wx::MySqlOrderStore> store;
  std::unique_ptr<Poco::Data::Session> admin;
  std::vector<double> per_1000;
};

// One round on one database: ORDERS orders claimed in batches of BATCH; milliseconds per 1,000.
double claimRound(ClaimTarget& t, const std::string& mch, int batch, int orders, int round) {
  *t.admin << "UPDATE merchant_order SET next_check_at = NULL, lease_owner = NULL, "
              "lease_until = NULL WHERE state = 'NOTPAY'",
      Poco::Data::Keywords::now;
  wx::ClaimRequest req;
  req.owner = "bench:" + std::to_string(round);
  req.lease_s = 300;
  req.mch_ids = {mch};
  int claimed = 0;
  const auto t0 = Clock::now();
  while (claimed < orders) {
    req.limit = std::min(batch, orders - claimed);
    auto got = t.store->claimDue(req);
    if (!got.isOk()) throw std::runtime_error(t.name + ": claimDue: " + got.status().message());
    if (got->empty()) break;
    claimed += static_cast<int>(got->size());
  }
  const double ms = secondsSince(t0) * 1000.0;
  if (claimed < orders) {
    throw std::runtime_error(t.name + ": only " + std::to_string(claimed) +
                             " due orders to claim");
  }
  return ms * 1000.0 / claimed;
}

int claim(int argc, char** argv) {
  if (argc != 11) {
    std::cerr << "usage: bench_sweep claim HOST PORT USER DATABASE[,DATABASE...] PASSWORD_ENV "
                 "MCH_ID BATCH ORDERS ROUNDS\n";
    return 2;
  }
  const char* pw = std::getenv(argv[6]);
  const std::string mch = argv[7];
  const int batch = std::atoi(argv[8]), orders = std::atoi(argv[9]), rounds = std::atoi(argv[10]);
  Poco::Data::MySQL::Connector::registerConnector();
  std::vector<ClaimTarget> targets;
  std::stringstream names(argv[5]);
  for (std::string name; std::getline(names, name, ',');) {
    wx::DbConfig c;
    c.host = argv[2];
    c.port = std::atoi(argv[3]);
    c.user = argv[4];
    c.database = name;
    c.password = wx::Secret(pw ? pw : "");
    c.pool_size = 2;
    auto db = wx::Database::open(c);
    if (!db.isOk()) {
      std::cerr << "open " << name << ": " << db.status().message() << "\n";
      return 1;
    }
    ClaimTarget t;
    t.name = name;
    t.db = std::move(*db);
    t.store = std::make_unique<wx::MySqlOrderStore>(*t.db);
    t.admin = std::make_unique<Poco::Data::Session>(
        "MySQL",
        "host=" + c.host + ";port=" + std::to_string(c.port) + ";user=" + c.user +
            ";password=" + (pw ? pw : "") + ";db=" + name + ";character-set=utf8mb4",
        5);
    targets.push_back(std::move(t));
  }
  for (auto& t : targets) claimRound(t, mch, batch, orders, 0);  // warm-up
  for (int round = 1; round <= rounds; ++round) {
    // A B, then B A: a drift in the machine's load favours no database.
    const bool reverse = round % 2 == 0;
    for (std::size_t k = 0; k < targets.size(); ++k) {
      ClaimTarget& t = targets[reverse ? targets.size() - 1 - k : k];
      t.per_1000.push_back(claimRound(t, mch, batch, orders, round));
    }
  }
  for (auto& t : targets) {
    *t.admin << "UPDATE merchant_order SET lease_owner = NULL, lease_until = NULL",
        Poco::Data::Keywords::now;
    std::sort(t.per_1000.begin(), t.per_1000.end());
    std::printf("%s %.2f %.2f\n", t.name.c_str(), t.per_1000[t.per_1000.size() / 2],
                t.per_1000.front());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "seed-unpaid") return seedUnpaid(argc, argv);
    if (mode == "claim") return claim(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_sweep " << mode << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: bench_sweep seed-unpaid ... | claim ...  (driven by tests/bench/sweep.sh)\n";
  return 2;
}
