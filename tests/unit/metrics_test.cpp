#include "common/metrics.h"

#include <catch2/catch.hpp>

#include <thread>

#include "support/prom_text_validator.h"

using namespace wx;
using wx::test::PromTextValidator;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("metrics: counters, gauges and histograms render in the text format", "[metrics]") {
  MetricsRegistry r;
  auto& calls = r.counter("wx_calls_total", "Calls made.", {"api", "result"});
  calls.labels({"orderquery", "ok"}).inc(3);
  calls.labels({"closeorder", "system_error"}).inc();
  r.gauge("wx_queue", "Queue depth.").get().set(7);
  auto& h = r.histogram("wx_call_seconds", "Call time.", {"api"}, {0.1, 0.5, 1});
  h.labels({"orderquery"}).observe(0.05);
  h.labels({"orderquery"}).observe(0.5);  // le is inclusive
  h.labels({"orderquery"}).observe(3);

  const std::string text = r.render({{"command", "sweep"}});
  CHECK(text ==
        "# HELP wx_calls_total Calls made.\n"
        "# TYPE wx_calls_total counter\n"
        "wx_calls_total{command=\"sweep\",api=\"closeorder\",result=\"system_error\"} 1\n"
        "wx_calls_total{command=\"sweep\",api=\"orderquery\",result=\"ok\"} 3\n"
        "# HELP wx_queue Queue depth.\n"
        "# TYPE wx_queue gauge\n"
        "wx_queue{command=\"sweep\"} 7\n"
        "# HELP wx_call_seconds Call time.\n"
        "# TYPE wx_call_seconds histogram\n"
        "wx_call_seconds_bucket{command=\"sweep\",api=\"orderquery\",le=\"0.1\"} 1\n"
        "wx_call_seconds_bucket{command=\"sweep\",api=\"orderquery\",le=\"0.5\"} 2\n"
        "wx_call_seconds_bucket{command=\"sweep\",api=\"orderquery\",le=\"1\"} 2\n"
        "wx_call_seconds_bucket{command=\"sweep\",api=\"orderquery\",le=\"+Inf\"} 3\n"
        "wx_call_seconds_sum{command=\"sweep\",api=\"orderquery\"} 3.55\n"
        "wx_call_seconds_count{command=\"sweep\",api=\"orderquery\"} 3\n");
  CHECK(PromTextValidator().check(text).empty());
  CHECK(PromTextValidator().check(r.render()).empty());
}

TEST_CASE("metrics: label values and HELP are escaped", "[metrics]") {
  MetricsRegistry r;
  r.counter("wx_odd_total", "Back\\slash and\nnewline.", {"v"})
      .labels({"a\"b\\c\nd"})
      .inc();
  const std::string text = r.render();
  CHECK(contains(text, "# HELP wx_odd_total Back\\\\slash and\\nnewline.\n"));
  CHECK(contains(text, "wx_odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
  PromTextValidator v;
  CHECK(v.check(text).empty());
  REQUIRE(v.samples().size() == 1);
  CHECK(v.samples()[0].labels.at("v") == "a\"b\\c\nd");  // round trip
}

TEST_CASE("metrics: registering again returns the family: a different shape is a bug",
          "[metrics]") {
  MetricsRegistry r;
  auto& a = r.counter("wx_a_total", "A.", {"x"});
  CHECK(&r.counter("wx_a_total", "A.", {"x"}) == &a);
  CHECK_THROWS_AS(r.counter("wx_a_total", "A.", {"y"}), std::logic_error);
  CHECK_THROWS_AS(r.gauge("wx_a_total", "A."), std::logic_error);
  auto& h = r.histogram("wx_h_seconds", "H.", {}, {1, 2});
  CHECK(&r.histogram("wx_h_seconds", "H.", {}, {1, 2}) == &h);
  CHECK_THROWS_AS(r.histogram("wx_h_seconds", "H.", {}, {1, 3}), std::logic_error);
  CHECK_THROWS_AS(r.counter("wx-bad", "B."), std::logic_error);
  CHECK_THROWS_AS(r.counter("wx_b_total", "B.", {"__x"}), std::logic_error);
  CHECK_THROWS_AS(r.histogram("wx_c_seconds", "C.", {"le"}, {1}), std::logic_error);
  CHECK_THROWS_AS(r.histogram("wx_d_seconds", "D.", {}, {2, 1}), std::logic_error);
  CHECK_THROWS_AS(a.labels({}), std::logic_error);
  CHECK_THROWS_AS(a.labels({"1", "2"}), std::logic_error);
}

TEST_CASE("metrics: values in Go's float syntax", "[metrics]") {
  CHECK(formatMetricValue(0) == "0");
  CHECK(formatMetricValue(12) == "12");
  CHECK(formatMetricValue(0.0025) == "0.0025");
  CHECK(formatMetricValue(1764300000.5) == "1764300000.5");
  CHECK(formatMetricValue(1.0 / 0.0) == "+Inf");
  CHECK(formatMetricValue(-1.0 / 0.0) == "-Inf");
  CHECK(formatMetricValue(0.0 / 0.0) == "NaN");
}

TEST_CASE("metrics: concurrent updates are all counted", "[metrics]") {
  MetricsRegistry r;
  Counter& c = r.counter("wx_n_total", "N.").get();
  Gauge& g = r.gauge("wx_g", "G.").get();
  Histogram& h = r.histogram("wx_t_seconds", "T.", {}, {0.5}).get();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        g.add(1);
        h.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.value() == 40000);
  CHECK(g.value() == 40000);
  const Histogram::Snapshot s = h.snapshot();
  CHECK(s.cumulative == std::vector<std::uint64_t>{20000, 40000});
  CHECK(s.sum == Approx(20000 * 0.25 + 20000 * 1.0));
}

// The validator must fail on each thing it checks, or the integration tests prove nothing.
TEST_CASE("prom text validator: catches each format and lint error", "[metrics]") {
  struct Case {
    const char* why;
    const char* text;
    const char* expect;  // a part of one error
  };
  const Case cases[] = {
      {"sample before TYPE", "# HELP a_total A.\na_total 1\n# TYPE a_total counter\n",
       "before its # TYPE"},
      {"no HELP", "# TYPE a_total counter\na_total 1\n", "before its # HELP"},
      {"two TYPE lines", "# HELP a_total A.\n# TYPE a_total counter\n# TYPE a_total counter\n",
       "second # TYPE"},
      {"bad name", "# HELP a A.\n# TYPE a gauge\n1a 1\n", "invalid metric name"},
      {"bad label name", "# HELP a A.\n# TYPE a gauge\na{__x=\"1\"} 1\n", "invalid label name"},
      {"bad escape", "# HELP a A.\n# TYPE a gauge\na{x=\"\\t\"} 1\n", "bad escape"},
      {"unterminated value", "# HELP a A.\n# TYPE a gauge\na{x=\"1} 1\n", "malformed"},
      {"bad value", "# HELP a A.\n# TYPE a gauge\na 1,5\n", "bad value"},
      {"duplicate series", "# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
       "appears twice"},
      {"family split", "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x=\"2\"} 1\n",
       "not together"},
      {"counter without _total", "# HELP a A.\n# TYPE a counter\na 1\n", "should end in _total"},
      {"gauge with _total", "# HELP a_total A.\n# TYPE a_total gauge\na_total 1\n",
       "only counters"},
      {"non-base unit", "# HELP a_milliseconds A.\n# TYPE a_milliseconds gauge\na_milliseconds 1\n",
       "base units"},
      {"negative counter", "# HELP a_total A.\n# TYPE a_total counter\na_total -1\n",
       "below zero"},
      {"+Inf differs from count",
       "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n"
       "h_count 3\n",
       "differs from _count"},
      {"not cumulative",
       "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\n"
       "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
       "not cumulative"},
      {"no +Inf", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
       "no le=\"+Inf\""},
      {"no final newline", "# HELP a A.\n# TYPE a gauge\na 1", "newline"},
  };
  for (const Case& c : cases) {
    INFO(c.why);
    const auto errors = PromTextValidator().check(c.text);
    bool found = false;
    for (const auto& e : errors) found = found || contains(e, c.expect);
    CHECK(found);
  }
  CHECK(PromTextValidator()
            .check("# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1 1700000000000\n# free comment\n")
            .empty());
  CHECK_FALSE(PromTextValidator()
                  .check("# HELP a_days_total A.\n# TYPE a_days_total counter\na_days_total 1\n")
                  .empty());
}
