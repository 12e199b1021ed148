// A checker of the Prometheus text exposition format 0.0.4 (what `promtool check metrics`
// checks, and the naming lint it applies), for tests: feed it a metrics file or a /metrics
// answer, get every problem as a sentence naming the line. Empty: valid.
//
// Format: `# HELP` / `# TYPE` at most once per family and before its samples; a family's lines
// together; names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not __*), label
// values quoted with only \\ \" \n escapes, no label twice in a series, no series twice; values
// Go floats (+Inf, -Inf, NaN); counters >= 0; histograms: for each label set ascending `le`
// buckets, cumulative, a le="+Inf" bucket equal to _count, and _sum. Lint (promtool's):
// counters end in _total and nothing else does, HELP present, no upper case in names, base
// units (no _milliseconds etc.).
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace wx::test {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

class PromTextValidator {
 public:
  std::vector<std::string> check(const std::string& text) {
    errors_.clear();
    families_.clear();
    series_.clear();
    samples_.clear();
    std::istringstream in(text);
    std::string line;
    int n = 0;
    std::string current;  // family of the previous line
    std::set<std::string> closed;
    if (!text.empty() && text.back() != '\n') err(0, "the text does not end with a newline");
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      std::string family;
      if (line[0] == '#') {
        family = comment(n, line);
        if (family.empty()) continue;
      } else {
        PromSample s;
        if (!sample(n, line, s)) continue;
        family = familyOf(s.name);
        Family& f = families_[family];
        if (!f.typed) err(n, "sample " + s.name + " before its # TYPE line");
        if (!f.helped) err(n, "sample " + s.name + " before its # HELP line");
        f.samples.push_back(s);
        samples_.push_back(s);
        std::string key = s.name + "{";
        for (const auto& [k, v] : s.labels) key += k + "=\"" + v + "\",";
        if (!series_.insert(key).second) err(n, "series " + key + "} appears twice");
      }
      if (family != current) {
        if (closed.count(family)) err(n, "the lines of family " + family + " are not together");
        if (!current.empty()) closed.insert(current);
        current = family;
      }
    }
    for (const auto& [name, f] : families_) finish(name, f);
    return errors_;
  }

  const std::vector<PromSample>& samples() const { return samples_; }

 private:
  struct Family {
    std::string type = "untyped";
    bool typed = false, helped = false;
    std::vector<PromSample> samples;
  };

  void err(int line, const std::string& what) {
    errors_.push_back((line > 0 ? "line " + std::to_string(line) + ": " : "") + what);
  }

  static bool nameOk(const std::string& s, bool colon) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                      (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
      if (!ok) return false;
    }
    return true;
  }

  // The family a sample belongs to: a histogram's _bucket/_sum/_count series belong to it.
  std::string familyOf(const std::string& name) const {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string sfx = suffix;
      if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
        const std::string base = name.substr(0, name.size() - sfx.size());
        auto it = families_.find(base);
        if (it != families_.end() && it->second.type == "histogram") return base;
      }
    }
    return name;
  }

  std::string comment(int n, const std::string& line) {
    std::istringstream ls(line.substr(1));
    std::string kw, name;
    ls >> kw >> name;
    if (kw != "HELP" && kw != "TYPE") return "";  // any other comment is free text
    if (!nameOk(name, true)) {
      err(n, "# " + kw + " of an invalid metric name '" + name + "'");
      return "";
    }
    Family& f = families_[name];
    if (kw == "TYPE") {
      std::string type, rest;
      ls >> type >> rest;
      if (f.typed) err(n, "a second # TYPE line for " + name);
      if (!f.samples.empty()) err(n, "# TYPE of " + name + " after its samples");
      static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                   "untyped"};
      if (!kTypes.count(type) || !rest.empty()) err(n, "bad # TYPE line: " + line);
      f.type = type;
      f.typed = true;
    } else {
      if (f.helped) err(n, "a second # HELP line for " + name);
      const std::size_t at = line.find(name) + name.size();
      const std::string help = at < line.size() ? line.substr(at + 1) : "";
      for (std::size_t i = 0; i < help.size(); ++i) {
        if (help[i] == '\\' && (i + 1 >= help.size() || (help[i + 1] != '\\' && help[i + 1] != 'n'))) {
          err(n, "bad escape in the HELP of " + name);
        }
        if (help[i] == '\\') ++i;
      }
      if (help.empty()) err(n, "empty HELP for " + name);
      f.helped = true;
    }
    return name;
  }

  bool sample(int n, const std::string& line, PromSample& s) {
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!nameOk(s.name, true)) {
      err(n, "invalid metric name '" + s.name + "'");
      return false;
    }
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find('=', i);
        if (eq == std::string::npos) return bad(n, line);
        const std::string label = line.substr(i, eq - i);
        if (!nameOk(label, false) || label.rfind("__", 0) == 0) {
          err(n, "invalid label name '" + label + "'");
        }
        if (eq + 1 >= line.size() || line[eq + 1] != '"') return bad(n, line);
        std::string value;
        std::size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            if (j + 1 >= line.size()) return bad(n, line);
            const char e = line[++j];
            if (e == '\\' || e == '"') {
              value += e;
            } else if (e == 'n') {
              value += '\n';
            } else {
              err(n, std::string("bad escape \\") + e + " in label " + label);
            }
          } else {
            value += line[j];
          }
        }
        if (j >= line.size()) return bad(n, line);
        if (s.labels.count(label)) err(n, "label " + label + " twice in one series");
        s.labels[label] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return bad(n, line);
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') return bad(n, line);
    std::istringstream rest(line.substr(i + 1));
    std::string value, timestamp, extra;
    rest >> value >> timestamp >> extra;
    if (!parseValue(value, s.value)) {
      err(n, "bad value '" + value + "' of " + s.name);
      return false;
    }
    if (!extra.empty()) return bad(n, line);
    return true;
  }

  bool bad(int n, const std::string& line) {
    err(n, "malformed sample line: " + line);
    return false;
  }

  static bool parseValue(const std::string& v, double& out) {
    if (v == "+Inf" || v == "Inf") {
      out = HUGE_VAL;
      return true;
    }
    if (v == "-Inf") {
      out = -HUGE_VAL;
      return true;
    }
    if (v == "NaN") {
      out = NAN;
      return true;
    }
    if (v.empty()) return false;
    char* end = nullptr;
    out = std::strtod(v.c_str(), &end);
    return end == v.c_str() + v.size() && v.find_first_of("xXpP") == std::string::npos &&
           v != "inf" && v != "nan";
  }

  void finish(const std::string& name, const Family& f) {
    // Lint (promtool check metrics).
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') {
        err(0, name + ": metric names should be snake_case");
        break;
      }
    }
    const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    if (f.type == "counter" && !total) err(0, name + ": counter metrics should end in _total");
    if (f.type != "counter" && total) err(0, name + ": only counters should end in _total");
    if (!f.helped) err(0, name + ": no HELP");
    // Like promlint, any underscore-separated word of the name that is a non-base unit.
    std::istringstream words(name);
    for (std::string w; std::getline(words, w, '_');) {
      static const std::set<std::string> kNonBase = {
          "milliseconds", "microseconds", "nanoseconds", "minutes", "hours",    "days",
          "weeks",        "kilobytes",    "megabytes",   "gigabytes", "percent", "ms"};
      if (kNonBase.count(w)) err(0, name + ": use base units, not " + w);
    }
    if (f.type == "counter") {
      for (const auto& s : f.samples) {
        if (!(s.value >= 0)) err(0, name + ": a counter below zero or NaN");
      }
    }
    if (f.type == "histogram") checkHistogram(name, f);
  }

  void checkHistogram(const std::string& name, const Family& f) {
    struct Series {
      std::vector<std::pair<double, double>> buckets;  // le, value, in file order
      bool has_inf = false, has_sum = false, has_count = false;
      double inf = 0, count = 0;
    };
    std::map<std::string, Series> by_labels;
    for (const auto& s : f.samples) {
      std::map<std::string, std::string> rest = s.labels;
      std::string le;
      if (auto it = rest.find("le"); it != rest.end()) {
        le = it->second;
        rest.erase(it);
      }
      std::string key;
      for (const auto& [k, v] : rest) key += k + "=" + v + ",";
      Series& ser = by_labels[key];
      if (s.name == name + "_bucket") {
        double bound = 0;
        if (!parseValue(le, bound)) {
          err(0, name + "{" + key + "}: bucket without a valid le");
          continue;
        }
        if (std::isinf(bound) && bound > 0) {
          ser.has_inf = true;
          ser.inf = s.value;
        }
        ser.buckets.emplace_back(bound, s.value);
      } else if (s.name == name + "_sum") {
        ser.has_sum = true;
      } else if (s.name == name + "_count") {
        ser.has_count = true;
        ser.count = s.value;
      } else {
        err(0, name + ": sample " + s.name + " is not _bucket, _sum or _count");
      }
    }
    for (const auto& [key, ser] : by_labels) {
      const std::string what = name + "{" + key + "}";
      if (!ser.has_inf) err(0, what + ": no le=\"+Inf\" bucket");
      if (!ser.has_count) err(0, what + ": no _count");
      if (!ser.has_sum) err(0, what + ": no _sum");
      if (ser.has_inf && ser.has_count && ser.inf != ser.count) {
        err(0, what + ": le=\"+Inf\" bucket differs from _count");
      }
      for (std::size_t i = 1; i < ser.buckets.size(); ++i) {
        if (!(ser.buckets[i - 1].first < ser.buckets[i].first)) {
          err(0, what + ": buckets not in ascending le order");
        }
        if (ser.buckets[i].second < ser.buckets[i - 1].second) {
          err(0, what + ": buckets not cumulative");
        }
      }
    }
  }

  std::vector<std::string> errors_;
  std::map<std::string, Family> families_;
  std::set<std::string> series_;
  std::vector<PromSample> samples_;
};

}  // namespace wx::test
