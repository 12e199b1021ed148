// `wxrecon parse-bill FILE [--json]` in-process (DESIGN.md §1): the JSON keys and values for
// the T12 corpus, and the exit codes 0 (summary matches), 1 (rejected), 2 (usage).
#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <sstream>

#include "app/cli.h"

using namespace wx;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run cli(std::vector<std::string> args) {
  std::vector<const char*> argv{"wxrecon"};
  for (auto& a : args) argv.push_back(a.c_str());
  std::istringstream in;
  std::ostringstream out, err;
  const int code = runCli(static_cast<int>(argv.size()), argv.data(), in, out, err);
  return {code, out.str(), err.str()};
}

std::string fixture(const std::string& name) {
  return std::string(WX_SOURCE_DIR) + "/tests/fixtures/bills/" + name;
}

Poco::JSON::Object::Ptr json(const Run& r) {
  // Exactly one JSON object on one line.
  REQUIRE(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  Poco::JSON::Parser p;
  return p.parse(r.out).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("parse-bill --json prints the §1 keys for the synthetic ALL bill", "[parse-bill]") {
  const Run r = cli({"parse-bill", fixture("all_synthetic.csv"), "--json"});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  auto o = json(r);
  CHECK(o->getValue<int>("rows") == 5);
  CHECK(o->getValue<std::string>("layout") == "ALL");
  CHECK(o->getValue<int>("trade_count") == 5);
  CHECK(o->getValue<Poco::Int64>("settlement_total_fen") == 950);
  CHECK(o->getValue<Poco::Int64>("refund_total_fen") == 100);
  CHECK(o->getValue<Poco::Int64>("coupon_refund_total_fen") == 0);
  CHECK(o->get("fee_total").isString());
  CHECK(o->getValue<std::string>("fee_total") == "0.05000");
  CHECK(o->getValue<Poco::Int64>("order_total_fen") == 950);
  CHECK(o->getValue<Poco::Int64>("refund_applied_total_fen") == 100);
  CHECK(o->getValue<bool>("summary_ok") == true);
  CHECK_FALSE(o->has("error"));
  CHECK(o->size() == 10);
}

TEST_CASE("parse-bill --json maps the legacy summary and nulls what it lacks", "[parse-bill]") {
  const Run r = cli({"parse-bill", "--json", fixture("legacy_all.csv")});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  auto o = json(r);
  CHECK(o->getValue<std::string>("layout") == "ALL_LEGACY");
  CHECK(o->getValue<Poco::Int64>("order_total_fen") == 950);   // 总交易额
  CHECK(o->getValue<Poco::Int64>("refund_total_fen") == 100);  // 总退款金额
  CHECK(o->getValue<Poco::Int64>("coupon_refund_total_fen") == 0);
  CHECK(o->isNull("settlement_total_fen"));
  CHECK(o->isNull("refund_applied_total_fen"));
  CHECK(o->getValue<std::string>("fee_total") == "0.05000");
}

TEST_CASE("parse-bill exit codes and errors over the corpus", "[parse-bill]") {
  struct Case {
    const char* file;
    int code;
    const char* error;  // substring of "error", "" when accepted
  };
  const Case cases[] = {
      {"all_synthetic.csv.gz", 0, ""},
      {"all_crlf.csv", 0, ""},
      {"all_bom.csv", 0, ""},
      {"success.csv", 0, ""},
      {"refund.csv", 0, ""},
      {"empty_day.csv", 0, ""},
      {"body_backtick_comma.csv", 0, ""},
      {"mismatch_fee.csv", 1, "手续费总金额: summary 0.06000"},
      {"mismatch_refund_applied.csv", 1, "申请退款总金额"},
      {"truncated.csv.gz", 1, "reading the bill failed"},
      {"corrupt.csv.gz", 1, "reading the bill failed"},
      {"missing_summary.csv", 1, "without the summary"},
      {"no_bill_exist.xml", 1, "No Bill Exist"},
      {"bill_creating.xml", 1, "not generated yet"},
      {"does_not_exist.csv", 1, "cannot open"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    const Run r = cli({"parse-bill", fixture(c.file), "--json"});
    INFO(r.out << r.err);
    CHECK(r.code == c.code);
    auto o = json(r);
    CHECK(o->getValue<bool>("summary_ok") == (c.code == 0));
    if (c.code == 0) {
      CHECK_FALSE(o->has("error"));
    } else {
      CHECK_THAT(o->getValue<std::string>("error"), Catch::Contains(c.error));
    }
  }
  // A mismatch still reports the totals computed from the rows.
  auto m = json(cli({"parse-bill", fixture("mismatch_fee.csv"), "--json"}));
  CHECK(m->getValue<Poco::Int64>("settlement_total_fen") == 950);
  CHECK(m->getValue<std::string>("fee_total") == "0.05000");
  // A file cut short has no totals to report.
  auto t = json(cli({"parse-bill", fixture("missing_summary.csv"), "--json"}));
  CHECK(t->getValue<int>("rows") == 5);
  CHECK(t->isNull("settlement_total_fen"));
  CHECK(t->isNull("fee_total"));
}

TEST_CASE("parse-bill without --json prints a human summary", "[parse-bill]") {
  const Run ok = cli({"parse-bill", fixture("all_synthetic.csv")});
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains("layout ALL, 5 detail rows (1 refund rows)"));
  CHECK_THAT(ok.out, Catch::Contains("应结订单总金额  rows 9.50  summary 9.50"));
  CHECK_THAT(ok.out, Catch::Contains("总交易单数 counts refund rows"));
  CHECK_THAT(ok.out, Catch::Contains("OK: the summary row matches the rows"));

  const Run bad = cli({"parse-bill", fixture("mismatch_order.csv")});
  CHECK(bad.code == 1);
  CHECK_THAT(bad.out, Catch::Contains("订单总金额  rows 9.50  summary 9.40  <-- differs"));
  CHECK_THAT(bad.out, Catch::Contains("REJECTED: the summary row does not match the rows"));
}

TEST_CASE("parse-bill without FILE is a usage error", "[parse-bill]") {
  const Run r = cli({"parse-bill", "--json"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("missing FILE"));
  CHECK(r.out.empty());
}
