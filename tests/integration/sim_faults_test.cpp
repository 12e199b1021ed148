// wxpay-sim faults: each kind observable on the wire, per-endpoint selection, QPS cap, stats,
// determinism from --seed; and the HTTPS listener with a test CA made at test time.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>

#include "support/sim_expect.h"
#include "support/sim_process.h"

using wx::FieldMap;
using wx::test::SimProcess;
using wx::test::xmlValue;

namespace {

const char kKey[] = "192006250b4c09247ec02edce69f6a2d";

void order(const SimProcess& sim, const std::string& no) {
  sim.controlJson("POST", "/sim/orders",
                  R"({"mch_id":"10000100","out_trade_no":")" + no + R"(","total_fee":10})");
}

wx::test::HttpResult query(const SimProcess& sim, const std::string& no, int timeout_ms = 30000) {
  return sim.pay("orderquery", {{"out_trade_no", no}}, 0, wx::SignType::kMd5, timeout_ms);
}

void setFaults(const SimProcess& sim, const std::string& json) {
  sim.controlJson("POST", "/sim/faults", json);
}

}  // namespace

TEST_CASE("sim: each fault kind shows on the wire as specified", "[integration][sim]") {
  SimProcess sim;
  order(sim, "FLT000001");
  const std::string reset_all =
      R"({"timeout":0,"reset":0,"http500":0,"http502":0,"systemerror":0,"bad_sign":0,)"
      R"("malformed":0,"truncated":0,"wrong_order":0,"qps_cap":0,"latency_mean_ms":0,)"
      R"("latency_jitter_ms":0,"endpoints":[]})";
  auto with = [&](const std::string& kv) {
    setFaults(sim, reset_all);
    setFaults(sim, "{" + kv + "}");
  };

  // Control: without faults the answer is a valid, signed NOTPAY.
  auto clean = query(sim, "FLT000001");
  auto clean_fields = wx::parseXmlFields(clean.body);
  REQUIRE(clean_fields.ok());
  CHECK(wx::verifySign(clean_fields.fields, {wx::SignType::kMd5}, wx::Secret(kKey)).ok());

  with(R"("http500":1)");
  CHECK(query(sim, "FLT000001").status == 500);
  with(R"("http502":1)");
  CHECK(query(sim, "FLT000001").status == 502);

  with(R"("systemerror":1)");
  auto se = query(sim, "FLT000001");
  auto se_fields = wx::parseXmlFields(se.body);
  REQUIRE(se_fields.ok());
  CHECK(se_fields.fields["return_code"] == "SUCCESS");
  CHECK(se_fields.fields["result_code"] == "FAIL");
  CHECK(se_fields.fields["err_code"] == "SYSTEMERROR");
  CHECK(wx::verifySign(se_fields.fields, {wx::SignType::kMd5}, wx::Secret(kKey)).ok());

  with(R"("bad_sign":1)");
  auto bs = wx::parseXmlFields(query(sim, "FLT000001").body);
  REQUIRE(bs.ok());
  CHECK(bs.fields["trade_state"] == "NOTPAY");
  CHECK(wx::verifySign(bs.fields, {wx::SignType::kMd5}, wx::Secret(kKey)).check ==
        wx::SignCheck::kMismatch);

  with(R"("malformed":1)");
  auto mf = query(sim, "FLT000001");
  CHECK(mf.status == 200);
  CHECK_FALSE(wx::parseXmlFields(mf.body).ok());

  with(R"("truncated":1)");
  auto tr = query(sim, "FLT000001");
  CHECK(tr.body.size() < clean.body.size());
  CHECK(tr.body.size() > 10);
  CHECK_FALSE(wx::parseXmlFields(tr.body).ok());

  with(R"("wrong_order":1)");
  auto wo = wx::parseXmlFields(query(sim, "FLT000001").body);
  REQUIRE(wo.ok());
  CHECK(wo.fields["out_trade_no"] != "FLT000001");
  CHECK(wx::verifySign(wo.fields, {wx::SignType::kMd5}, wx::Secret(kKey)).ok());

  with(R"("reset":1)");
  CHECK_THROWS_AS(query(sim, "FLT000001"), Poco::Exception);

  with(R"("timeout":1,"timeout_hold_ms":2000)");
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(query(sim, "FLT000001", 300), Poco::TimeoutException);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1500));

  with(R"("latency_mean_ms":150,"latency_jitter_ms":20)");
  const auto t1 = std::chrono::steady_clock::now();
  CHECK(query(sim, "FLT000001").status == 200);
  CHECK(std::chrono::steady_clock::now() - t1 >= std::chrono::milliseconds(130));

  // Only the endpoints named.
  with(R"("http500":1,"endpoints":["closeorder"])");
  CHECK(query(sim, "FLT000001").status == 200);
  CHECK(sim.pay("closeorder", {{"out_trade_no", "FLT000001"}}).status == 500);

  // A QPS cap: a burst above it gets signed FREQUENCY_LIMITED answers.
  with(R"("qps_cap":3)");
  int limited = 0, ok = 0;
  for (int i = 0; i < 12; ++i) {
    auto f = wx::parseXmlFields(query(sim, "FLT000001").body);
    REQUIRE(f.ok());
    if (f.fields["err_code"] == "FREQUENCY_LIMITED") {
      ++limited;
      CHECK(wx::verifySign(f.fields, {wx::SignType::kMd5}, wx::Secret(kKey)).ok());
    } else if (f.fields["trade_state"] == "NOTPAY") {
      ++ok;
    }
  }
  CHECK(ok >= 3);
  CHECK(limited >= 1);

  // Control-API validation and stats.
  CHECK(sim.control("POST", "/sim/faults", R"({"timeout":2})").status == 400);
  CHECK(sim.control("POST", "/sim/faults", R"({"explode":1})").status == 400);
  auto stats = sim.controlJson("GET", "/sim/stats")->getObject("endpoints");
  auto oq = stats->getObject("orderquery");
  CHECK(oq->getObject("faults")->getValue<int>("http500") >= 1);
  CHECK(oq->getObject("faults")->getValue<int>("reset") == 1);
  CHECK(oq->getValue<int>("requests") >= 20);
  CHECK(stats->getObject("closeorder")->getValue<int>("http_error") == 1);
}

TEST_CASE("sim: the same seed gives the same answers: another seed does not",
          "[integration][sim]") {
  const std::string faults =
      R"({"systemerror":0.2,"bad_sign":0.1,"wrong_order":0.1,"malformed":0.1,"http500":0.1})";
  auto run = [&](std::uint64_t seed) {
    SimProcess::Options o;
    o.seed = seed;
    o.extra_args = {"--faults", faults};
    SimProcess sim(o);
    std::vector<std::string> out;
    for (const char* no : {"DET000001", "DET000002", "DET000003"}) order(sim, no);
    sim.controlJson("POST", "/sim/orders/DET000002/pay", R"({"notify":"lose"})");
    for (int round = 0; round < 10; ++round) {
      for (const char* no : {"DET000001", "DET000002", "DET000003", "DET000404"}) {
        auto r = query(sim, no);
        out.push_back(std::to_string(r.status) + " " + r.body);
      }
    }
    return out;
  };
  const auto a = run(7), b = run(7), c = run(8);
  CHECK(a == b);
  CHECK(a != c);
  // The faults really fired (otherwise determinism would be trivial).
  int faulty = 0;
  for (const auto& s : a) {
    faulty += s.rfind("500 ", 0) == 0 || s.find("SYSTEMERROR") != std::string::npos;
  }
  CHECK(faulty >= 3);
}

TEST_CASE("sim: HTTPS with a test CA generated at test time", "[integration][sim]") {
  char tmpl[] = "/tmp/wxsim-tls-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  SimProcess::Options o;
  o.extra_args = {"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"};
  SimProcess sim(o);
  REQUIRE(sim.url().rfind("https://127.0.0.1:", 0) == 0);

  Poco::Net::initializeSSL();
  {
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", dir + "/cert.pem",
                               Poco::Net::Context::VERIFY_STRICT, 9, false);
    Poco::URI uri(sim.url());
    Poco::Net::HTTPSClientSession s(uri.getHost(), uri.getPort(), ctx);
    FieldMap f{{"appid", "wxd930ea5d5a258f4f"},
               {"mch_id", "10000100"},
               {"nonce_str", "x"},
               {"out_trade_no", "TLS000001"}};
    wx::signRequest(f, wx::SignType::kMd5, wx::Secret(kKey));
    const std::string body = wx::writeXmlFields(f);
    for (int i = 0; i < 3; ++i) {  // keep-alive: three requests on one TLS session
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/pay/orderquery",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      req.setContentLength(static_cast<std::streamsize>(body.size()));
      s.sendRequest(req) << body;
      Poco::Net::HTTPResponse resp;
      std::ostringstream os;
      os << s.receiveResponse(resp).rdbuf();
      CHECK(resp.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);
      CHECK(xmlValue(os.str(), "err_code") == "ORDERNOTEXIST");
    }
  }
  Poco::Net::uninitializeSSL();
  sim.stop();
  std::system(("rm -rf " + dir).c_str());
}
