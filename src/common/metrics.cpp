#include "common/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wx {

namespace {

bool nameChar(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (alpha || (colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

const char* typeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text: backslash and newline escaped (the format's rule for HELP lines).
std::string escapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

bool validMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!nameChar(name[i], i == 0, true)) return false;
  }
  return true;
}

bool validLabelName(const std::string& name) {
  if (name.empty() || name.rfind("__", 0) == 0) return false;  // __ is reserved
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!nameChar(name[i], i == 0, false)) return false;
  }
  return true;
}

std::string escapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string formatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip form ("12", "0.25", "1.7e+09"): Go's ParseFloat reads all of them.
  return fmt::format("{}", v);
}

void Gauge::add(double d) noexcept {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i - 1] < bounds_[i]))) {
      throw std::logic_error("histogram bounds must be finite and ascending");
    }
  }
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) noexcept {
  const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[static_cast<std::size_t>(at)].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(total);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

MetricFamilyBase::MetricFamilyBase(std::string name, std::string help, MetricType type,
                                   std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type),
      label_names_(std::move(label_names)) {
  if (!validMetricName(name_)) throw std::logic_error("invalid metric name '" + name_ + "'");
  for (const auto& l : label_names_) {
    if (!validLabelName(l) || (type_ == MetricType::kHistogram && l == "le")) {
      throw std::logic_error("invalid label name '" + l + "' for " + name_);
    }
  }
}

void MetricFamilyBase::checkArity(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size()) {
    throw std::logic_error(name_ + ": " + std::to_string(label_names_.size()) +
                           " label values expected, got " + std::to_string(values.size()));
  }
}

void MetricFamilyBase::renderHeader(std::string& out) const {
  out += "# HELP " + name_ + " " + escapeHelp(help_) + "\n";
  out += "# TYPE " + name_ + " " + typeName(type_) + "\n";
}

std::string MetricFamilyBase::series(const std::string& suffix, const MetricLabels& constant,
                                     const std::vector<std::string>& values,
                                     const std::string& extra) const {
  std::string s = name_ + suffix;
  std::string labels;
  auto add = [&labels](const std::string& k, const std::string& v) {
    labels += (labels.empty() ? "" : ",") + k + "=\"" + escapeLabelValue(v) + "\"";
  };
  for (const auto& [k, v] : constant) add(k, v);
  for (std::size_t i = 0; i < values.size(); ++i) add(label_names_[i], values[i]);
  if (!extra.empty()) labels += (labels.empty() ? "" : ",") + extra;
  if (!labels.empty()) s += "{" + labels + "}";
  return s;
}

template <class T>
T& MetricFamily<T>::labels(const std::vector<std::string>& values) {
  checkArity(values);
  std::lock_guard<std::mutex> lock(mu_);
  auto& child = children_[values];
  if (!child) {
    if constexpr (std::is_same_v<T, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<T>();
    }
  }
  return *child;
}

template <class T>
void MetricFamily<T>::render(std::string& out, const MetricLabels& constant) const {
  renderHeader(out);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      const Histogram::Snapshot s = child->snapshot();
      for (std::size_t i = 0; i < bounds_.size(); ++i) {
        out += series("_bucket", constant, values,
                      "le=\"" + formatMetricValue(bounds_[i]) + "\"") +
               " " + std::to_string(s.cumulative[i]) + "\n";
      }
      const std::string count = std::to_string(s.cumulative.back());
      out += series("_bucket", constant, values, "le=\"+Inf\"") + " " + count + "\n";
      out += series("_sum", constant, values, "") + " " + formatMetricValue(s.sum) + "\n";
      out += series("_count", constant, values, "") + " " + count + "\n";
    } else if constexpr (std::is_same_v<T, Counter>) {
      out += series("", constant, values, "") + " " + std::to_string(child->value()) + "\n";
    } else {
      out += series("", constant, values, "") + " " + formatMetricValue(child->value()) + "\n";
    }
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

MetricFamilyBase& MetricsRegistry::add(std::unique_ptr<MetricFamilyBase> family,
                                       const std::vector<double>& bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& f : families_) {
    if (f->name() != family->name()) continue;
    bool same = f->type() == family->type() && f->labelNames() == family->labelNames();
    if (same && f->type() == MetricType::kHistogram) {
      same = static_cast<MetricFamily<Histogram>&>(*f).bounds_ == bounds;
    }
    if (!same) throw std::logic_error("metric " + f->name() + " registered twice, differently");
    return *f;
  }
  families_.push_back(std::move(family));
  return *families_.back();
}

MetricFamily<Counter>& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                                const std::vector<std::string>& label_names) {
  std::unique_ptr<MetricFamilyBase> f(
      new MetricFamily<Counter>(name, help, MetricType::kCounter, label_names));
  return static_cast<MetricFamily<Counter>&>(add(std::move(f), {}));
}

MetricFamily<Gauge>& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                            const std::vector<std::string>& label_names) {
  std::unique_ptr<MetricFamilyBase> f(
      new MetricFamily<Gauge>(name, help, MetricType::kGauge, label_names));
  return static_cast<MetricFamily<Gauge>&>(add(std::move(f), {}));
}

MetricFamily<Histogram>& MetricsRegistry::histogram(const std::string& name,
                                                    const std::string& help,
                                                    const std::vector<std::string>& label_names,
                                                    const std::vector<double>& bounds) {
  Histogram check(bounds);  // throws on bad bounds before anything is registered
  (void)check;
  std::unique_ptr<MetricFamilyBase> f(
      new MetricFamily<Histogram>(name, help, MetricType::kHistogram, label_names, bounds));
  return static_cast<MetricFamily<Histogram>&>(add(std::move(f), bounds));
}

std::string MetricsRegistry::render(const MetricLabels& constant) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) f->render(out, constant);
  return out;
}

MetricsRegistry& MetricsRegistry::process() {
  static MetricsRegistry registry;
  return registry;
}

}  // namespace wx
