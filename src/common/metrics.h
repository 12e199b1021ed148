// Prometheus metrics: counters, gauges and fixed-bucket histograms in named families, rendered
// in the text exposition format 0.0.4 (README "Metrics" lists every name wxrecon exports).
//
//   MetricsRegistry& r = MetricsRegistry::process();
//   Counter& ok = r.counter("wxrecon_x_total", "What it counts.", {"result"}).labels({"ok"});
//   ok.inc();                                   // lock-free; keep the reference on a hot path
//   std::string text = r.render({{"command", "sweep"}});
//
// Updating a metric is one relaxed atomic operation (a histogram: two, plus a CAS loop for its
// sum): no lock. Looking up a child by label values (labels()) takes the family's mutex, so a
// hot path looks its children up once and keeps the references, which stay valid for the
// registry's life. Registering a name again returns the same family when its type, label
// names and buckets are the same; anything else is a programming error (std::logic_error), as
// is an invalid metric or label name or a wrong number of label values. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace wx {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  // For a total kept elsewhere (a monotonic count read when the metrics are rendered).
  void set(std::uint64_t total) noexcept { value_.store(total, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, ascending and finite (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= the count)
    double sum = 0;
  };
  // Consistent by construction: the +Inf bucket and the count are the same sum of buckets.
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // not cumulative; last one: > bounds
  std::atomic<double> sum_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

class MetricFamilyBase {
 public:
  virtual ~MetricFamilyBase() = default;
  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& labelNames() const { return label_names_; }
  // Appends HELP, TYPE and every series (children in label-value order).
  virtual void render(std::string& out, const MetricLabels& constant) const = 0;

 protected:
  MetricFamilyBase(std::string name, std::string help, MetricType type,
                   std::vector<std::string> label_names);
  void checkArity(const std::vector<std::string>& values) const;
  void renderHeader(std::string& out) const;
  // name{constant..., label="value"...[, extra]} with the values escaped.
  std::string series(const std::string& suffix, const MetricLabels& constant,
                     const std::vector<std::string>& values, const std::string& extra) const;
  mutable std::mutex mu_;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

template <class T>
class MetricFamily : public MetricFamilyBase {
 public:
  // The child with these label values (one per label name, in order), created at zero on first
  // use. The reference stays valid for the registry's life.
  T& labels(const std::vector<std::string>& values);
  // The one child of a family without labels.
  T& get() { return labels({}); }
  void render(std::string& out, const MetricLabels& constant) const override;

 private:
  friend class MetricsRegistry;
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names, std::vector<double> bounds = {})
      : MetricFamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        bounds_(std::move(bounds)) {}
  std::vector<double> bounds_;  // histograms
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  MetricFamily<Counter>& counter(const std::string& name, const std::string& help,
                                 const std::vector<std::string>& label_names = {});
  MetricFamily<Gauge>& gauge(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names = {});
  MetricFamily<Histogram>& histogram(const std::string& name, const std::string& help,
                                     const std::vector<std::string>& label_names,
                                     const std::vector<double>& bounds);

  // The text format 0.0.4, families in registration order. `constant` labels come first in
  // every series (e.g. command="sweep", so several commands' files can share one textfile
  // collector directory without colliding).
  std::string render(const MetricLabels& constant = {}) const;

  // The registry of this process (what --metrics-file and GET /metrics show).
  static MetricsRegistry& process();

 private:
  MetricFamilyBase& add(std::unique_ptr<MetricFamilyBase> family,
                        const std::vector<double>& bounds);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamilyBase>> families_;
};

// Helpers shared with the renderer (exposed for tests).
bool validMetricName(const std::string& name);
bool validLabelName(const std::string& name);
std::string escapeLabelValue(const std::string& value);  // backslash, double quote, newline
std::string formatMetricValue(double v);                 // "12", "0.25", "+Inf", "NaN"

}  // namespace wx
