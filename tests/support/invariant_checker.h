// The invariant checker (issue 8; RELIABILITY.md invariants 1, 3–5, 7, 9, 11, 12): reads the
// database — and, when given, wxpay-sim's ground truth and delivery log through its control API,
// and a reports directory — after any run, and returns every violation it finds as one line of
// text. Used by the chaos tests after crashes and faults, and proven by the broken variants
// (WXRECON_TEST_BREAK, src/common/test_hooks.h) each of which it must catch
// (tests/chaos/broken_variants_test.cpp).
//
//   InvariantChecker checker(db.session());
//   checker.withSim(sim.url()).withReportsDir(dir);
//   auto v = checker.check();          // empty: no violation
//
// What it checks:
//   - every order's transitions form one chain from its initial state (NOTPAY, or the state a
//     test seeded with seedState()) to its current state: a state change without its
//     order_transition row shows as a broken chain (invariant 5);
//   - every transition is in DESIGN.md §5's table (isAllowedTransition), so a terminal order
//     moved anywhere but REVIEW is caught (invariant 4);
//   - SUCCESS only with evidence: a verified answer saying SUCCESS/REFUND with the order's
//     total_fee, or a notification when `notification_is_evidence` (invariant 1), and never
//     an amount that differs from the order's;
//   - with the simulator: every order SUCCESS/REFUND locally is paid at WeChat with the order's
//     amount and transaction_id (invariants 1–3); no order is CLOSED locally while WeChat has it
//     paid or open (invariant 7); every notification the simulator saw acknowledged is stored,
//     byte for byte by its SHA-256 (invariant 9);
//   - with the merchants (withMerchants): every notification stored as verified (sign_ok = 1)
//     verifies again from its raw bytes with the merchant's configured algorithm and key — an
//     MD5 sign accepted where HMAC-SHA256 is configured is a downgrade (invariant 15);
//   - no duplicate discrepancy (same kind, merchant, order and bill date);
//   - with a reports directory: every CSV starts with the BOM and ends with CRLF, every HTML
//     page ends with </html> (invariant 11: report files are renamed whole), and no temp file is
//     left — unless tolerateReportTemps() (right after a crash between write and rename: a temp
//     file is no half report, and the next write of that report removes it).
#pragma once

#include <Poco/Data/LOB.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Path.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/config.h"
#include "domain/order.h"
#include "service/notification_verifier.h"
#include "support/sim_process.h"

namespace wx::test {

class InvariantChecker {
 public:
  explicit InvariantChecker(Poco::Data::Session session) : session_(std::move(session)) {}

  // Compare with wxpay-sim's ground truth and notification log at this control URL.
  InvariantChecker& withSim(std::string url) {
    sim_url_ = std::move(url);
    return *this;
  }
  InvariantChecker& withReportsDir(std::string dir) {
    reports_dir_ = std::move(dir);
    return *this;
  }
  // Re-verify stored notifications with these merchants' keys and sign types (each accepts
  // notifications signed with its sign_type only, like notify_sign_types' default).
  InvariantChecker& withMerchants(const std::vector<SimMerchantSpec>& specs) {
    for (const auto& spec : specs) {
      MerchantConfig m;
      m.name = spec.name;
      m.mch_id = spec.mch_id;
      for (std::size_t p = 0, q; p <= spec.appids.size(); p = q + 1) {
        q = spec.appids.find(',', p);
        if (q == std::string::npos) q = spec.appids.size();
        m.appids.push_back(spec.appids.substr(p, q - p));
      }
      m.api_key = Secret(spec.key);
      m.sign_type = *parseSignType(spec.sign_type);
      m.notify_sign_types = {m.sign_type};
      merchants_.push_back(std::move(m));
    }
    return *this;
  }
  InvariantChecker& tolerateReportTemps() {
    tolerate_report_temps_ = true;
    return *this;
  }
  InvariantChecker& notificationIsEvidence(bool v) {
    notification_is_evidence_ = v;
    return *this;
  }
  // An order the test inserted in another state than NOTPAY.
  InvariantChecker& seedState(const std::string& mch_id, const std::string& out_trade_no,
                              OrderState s) {
    seeded_[{mch_id, out_trade_no}] = s;
    return *this;
  }

  // Every table is read in one consistent snapshot: a process still committing (a confirmer,
  // a sweep) cannot show an order before its transition and the transition after it. The sim's
  // acknowledgements are read before it (a body acknowledged by then was committed by then), its
  // ground truth after it (WeChat's states only move on: paid stays paid).
  std::vector<std::string> check() {
    using Poco::Data::Keywords::now;
    std::vector<std::string> v;
    Poco::JSON::Array::Ptr acked;
    if (!sim_url_.empty()) acked = simGet("/sim/notifications")->getArray("notifications");
    session_ << "START TRANSACTION WITH CONSISTENT SNAPSHOT", now;
    try {
      const auto orders = loadOrders();
      checkTransitions(orders, v);
      checkDuplicateDiscrepancies(v);
      if (!sim_url_.empty()) {
        checkAgainstSim(orders, v);
        checkAcknowledgedStored(acked, v);
      }
      if (!merchants_.empty()) checkStoredSignatures(v);
      session_ << "COMMIT", now;
    } catch (...) {
      session_ << "ROLLBACK", now;
      throw;
    }
    if (!reports_dir_.empty()) checkReports(reports_dir_, v);
    return v;
  }

  // All violations as one text (for a REQUIRE message).
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += x + "\n";
    return s;
  }

 private:
  using Key = std::pair<std::string, std::string>;  // (mch_id, out_trade_no)

  struct Row {
    std::int64_t id = 0;
    std::string mch_id, out_trade_no, state, transaction_id;
    std::int64_t total_fee = 0;
  };
  struct Tr {
    std::string from, to, source, evidence;
  };

  std::map<std::int64_t, Row> loadOrders() {
    std::map<std::int64_t, Row> out;
    Poco::Data::Statement st(session_);
    st << "SELECT id, mch_id, out_trade_no, state, COALESCE(transaction_id, ''), total_fee "
          "FROM merchant_order";
    st.execute();
    Poco::Data::RecordSet rs(st);
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
      Row r;
      r.id = rs[0].convert<std::int64_t>();
      r.mch_id = rs[1].convert<std::string>();
      r.out_trade_no = rs[2].convert<std::string>();
      r.state = rs[3].convert<std::string>();
      r.transaction_id = rs[4].convert<std::string>();
      r.total_fee = rs[5].convert<std::int64_t>();
      out[r.id] = r;
    }
    return out;
  }

  static std::string orderName(const Row& o) { return o.mch_id + "/" + o.out_trade_no; }

  static std::optional<std::int64_t> evidenceFee(const std::string& evidence) {
    const auto p = evidence.find("total_fee=");
    if (p == std::string::npos) return std::nullopt;
    try {
      return std::stoll(evidence.substr(p + 10));
    } catch (...) {
      return std::nullopt;
    }
  }

  void checkTransitions(const std::map<std::int64_t, Row>& orders, std::vector<std::string>& v) {
    std::map<std::int64_t, std::vector<Tr>> chains;
    Poco::Data::Statement st(session_);
    st << "SELECT order_id, from_state, to_state, source, COALESCE(evidence, '') "
          "FROM order_transition ORDER BY order_id, id";
    st.execute();
    Poco::Data::RecordSet rs(st);
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
      const auto id = rs[0].convert<std::int64_t>();
      if (!orders.count(id)) {
        v.push_back("order_transition for order id " + std::to_string(id) +
                    " which does not exist");
        continue;
      }
      chains[id].push_back({rs[1].convert<std::string>(), rs[2].convert<std::string>(),
                            rs[3].convert<std::string>(), rs[4].convert<std::string>()});
    }
    for (const auto& [id, o] : orders) {
      auto seeded = seeded_.find({o.mch_id, o.out_trade_no});
      std::string state =
          seeded == seeded_.end() ? std::string("NOTPAY") : orderStateName(seeded->second);
      for (const auto& t : chains[id]) {
        if (t.from != state) {
          v.push_back(orderName(o) + ": transition " + t.from + "->" + t.to + " but the order was " +
                      state + " (a state change without its order_transition row)");
        }
        auto from = parseOrderState(t.from);
        auto to = parseOrderState(t.to);
        auto source = sourceOf(t.source);
        if (!from || !to || !source) {
          v.push_back(orderName(o) + ": unreadable transition " + t.from + "->" + t.to + " by " +
                      t.source);
        } else if (!isAllowedTransition(*from, *to, *source)) {
          v.push_back(orderName(o) + ": transition " + t.from + "->" + t.to + " by " + t.source +
                      " is not in DESIGN.md §5's table");
        } else if (*to == OrderState::kSuccess && *source != TransitionSource::kManual) {
          checkSuccessEvidence(o, t, v);
        }
        state = t.to;
      }
      if (state != o.state) {
        v.push_back(orderName(o) + ": state " + o.state + " but its last logged state is " + state +
                    " (a state change without its order_transition row)");
      }
    }
  }

  void checkSuccessEvidence(const Row& o, const Tr& t, std::vector<std::string>& v) const {
    const bool by_answer = t.evidence.rfind("trade_state=SUCCESS", 0) == 0 ||
                           t.evidence.rfind("trade_state=REFUND", 0) == 0;
    const bool by_notification = t.evidence.rfind("notification body_sha256=", 0) == 0;
    if (!by_answer && !(by_notification && notification_is_evidence_)) {
      v.push_back(orderName(o) + ": SUCCESS without the evidence the policy requires (evidence '" +
                  t.evidence + "')");
      return;
    }
    const auto fee = evidenceFee(t.evidence);
    if (fee && *fee != o.total_fee) {
      v.push_back(orderName(o) + ": SUCCESS with total_fee=" + std::to_string(*fee) +
                  " in its evidence, the order's is " + std::to_string(o.total_fee) +
                  " (an amount mismatch accepted)");
    }
  }

  static std::optional<TransitionSource> sourceOf(const std::string& s) {
    for (auto src : {TransitionSource::kQuery, TransitionSource::kNotify, TransitionSource::kClose,
                     TransitionSource::kBill, TransitionSource::kManual}) {
      if (s == transitionSourceName(src)) return src;
    }
    return std::nullopt;
  }

  void checkDuplicateDiscrepancies(std::vector<std::string>& v) {
    Poco::Data::Statement st(session_);
    st << "SELECT kind, mch_id, COALESCE(out_trade_no, ''), "
          "COALESCE(DATE_FORMAT(bill_date, '%Y-%m-%d'), ''), COUNT(*) FROM discrepancy "
          "GROUP BY kind, mch_id, out_trade_no_key, bill_date_key HAVING COUNT(*) > 1";
    st.execute();
    Poco::Data::RecordSet rs(st);
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
      v.push_back("discrepancy " + rs[0].convert<std::string>() + " for " +
                  rs[1].convert<std::string>() + "/" + rs[2].convert<std::string>() + " day '" +
                  rs[3].convert<std::string>() + "' stored " + rs[4].convert<std::string>() +
                  " times");
    }
  }

  Poco::JSON::Object::Ptr simGet(const std::string& path) const {
    HttpResult r = httpExchange(sim_url_, "GET", path, "", 10000);
    if (r.status != 200) throw std::runtime_error("sim " + path + ": HTTP " + std::to_string(r.status));
    return parseJson(r.body);
  }

  void checkAgainstSim(const std::map<std::int64_t, Row>& orders, std::vector<std::string>& v) {
    std::map<Key, Poco::JSON::Object::Ptr> truth;
    auto all = simGet("/sim/orders");
    auto list = all->getArray("orders");
    for (std::size_t i = 0; list && i < list->size(); ++i) {
      auto o = list->getObject(static_cast<unsigned>(i));
      truth[{o->getValue<std::string>("mch_id"), o->getValue<std::string>("out_trade_no")}] = o;
    }
    for (const auto& [id, o] : orders) {
      auto it = truth.find({o.mch_id, o.out_trade_no});
      if (it == truth.end() && o.state != "NOTPAY" && o.state != "USERPAYING") {
        // A row of a generated day (/sim/generate) is not listed: ask for it.
        const HttpResult one = httpExchange(
            sim_url_, "GET", "/sim/orders/" + o.out_trade_no + "?mch_id=" + o.mch_id, "", 10000);
        if (one.status == 200) it = truth.emplace(Key{o.mch_id, o.out_trade_no}, parseJson(one.body)).first;
      }
      const std::string remote =
          it == truth.end() ? std::string("(absent)") : it->second->getValue<std::string>("state");
      const bool remote_paid = remote == "SUCCESS" || remote == "REFUND";
      if (o.state == "SUCCESS" || o.state == "REFUND") {
        if (!remote_paid) {
          v.push_back(orderName(o) + ": " + o.state + " locally, WeChat says " + remote);
          continue;
        }
        const auto paid_fee = it->second->getValue<std::int64_t>("paid_fee");
        if (paid_fee != o.total_fee) {
          v.push_back(orderName(o) + ": " + o.state + " locally for " +
                      std::to_string(o.total_fee) + " fen, WeChat was paid " +
                      std::to_string(paid_fee));
        }
        const auto tid = it->second->getValue<std::string>("transaction_id");
        if (tid != o.transaction_id) {
          v.push_back(orderName(o) + ": transaction_id " + o.transaction_id +
                      " locally, WeChat's is " + tid);
        }
      }
      if (o.state == "CLOSED" && remote != "CLOSED" && remote != "(absent)") {
        v.push_back(orderName(o) + ": CLOSED locally while WeChat says " + remote);
      }
    }
  }

  void checkAcknowledgedStored(const Poco::JSON::Array::Ptr& log, std::vector<std::string>& v) {
    std::set<std::string> stored;
    Poco::Data::Statement st(session_);
    st << "SELECT body_sha256 FROM payment_notification";
    st.execute();
    Poco::Data::RecordSet rs(st);
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
      stored.insert(rs[0].convert<std::string>());
    }
    for (std::size_t i = 0; log && i < log->size(); ++i) {
      auto a = log->getObject(static_cast<unsigned>(i));
      if (!a->getValue<bool>("ack_valid")) continue;
      const auto sha = a->getValue<std::string>("body_sha256");
      if (!stored.count(sha)) {
        v.push_back("notification for " + a->getValue<std::string>("mch_id") + "/" +
                    a->getValue<std::string>("out_trade_no") + " (attempt " +
                    a->getValue<std::string>("attempt") + ", body " + sha +
                    ") was acknowledged but is not stored");
      }
    }
  }

  void checkStoredSignatures(std::vector<std::string>& v) {
    using namespace Poco::Data::Keywords;
    std::vector<std::int64_t> ids;
    std::vector<std::string> mchs, nos;
    std::vector<Poco::Data::BLOB> bodies;
    session_ << "SELECT id, COALESCE(mch_id, ''), COALESCE(out_trade_no, ''), raw_body "
                "FROM payment_notification WHERE sign_ok = 1",
        into(ids), into(mchs), into(nos), into(bodies), now;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto& raw = bodies[i].content();
      const auto again = verifyNotification(
          std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), merchants_);
      if (!again.sign_ok) {
        v.push_back("notification " + std::to_string(ids[i]) + " for " + mchs[i] + "/" + nos[i] +
                    " stored as verified but does not verify with its merchant's configured "
                    "algorithm: " +
                    again.reason);
      }
    }
  }

  void checkReports(const std::string& dir, std::vector<std::string>& v) const {
    if (!Poco::File(dir).exists()) return;
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
      const std::string name = it.name();
      if (it->isDirectory()) {
        checkReports(it->path(), v);
        continue;
      }
      const std::string path = it->path();
      if (name.empty() || name[0] == '.' || name.find(".tmp") != std::string::npos) {
        if (!tolerate_report_temps_) v.push_back("report temp file left behind: " + path);
        continue;
      }
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string body = ss.str();
      auto endsWith = [&](const std::string& tail) {
        return body.size() >= tail.size() &&
               body.compare(body.size() - tail.size(), tail.size(), tail) == 0;
      };
      if (name.size() > 4 && name.substr(name.size() - 4) == ".csv" &&
          (body.rfind("\xEF\xBB\xBF", 0) != 0 || !endsWith("\r\n"))) {
        v.push_back("report half written (CSV without BOM or final CRLF): " + path);
      }
      if (name.size() > 5 && name.substr(name.size() - 5) == ".html" &&
          !endsWith("</html>\n") && !endsWith("</html>")) {
        v.push_back("report half written (HTML without </html>): " + path);
      }
    }
  }

  Poco::Data::Session session_;
  std::string sim_url_;
  std::string reports_dir_;
  bool notification_is_evidence_ = false;
  bool tolerate_report_temps_ = false;
  std::map<Key, OrderState> seeded_;
  std::vector<MerchantConfig> merchants_;
};

}  // namespace wx::test
