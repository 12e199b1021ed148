#include "sim/sim_notifier.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <algorithm>
#include <memory>

#include "common/hash.h"
#include "sim/sim_faults.h"
#include "wechat/signer.h"

namespace wx::sim {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// A key WeChat never issued: forged copies are signed with it.
const char kForgeKey[] = "F0rgedF0rgedF0rgedF0rgedF0rged00";

}  // namespace

const std::vector<Millis>& Notifier::resendSchedule() {
  static const std::vector<Millis> kSchedule = {seconds(15), seconds(15), seconds(30), minutes(3),
                                                minutes(10), minutes(20), minutes(30), minutes(30),
                                                minutes(30), minutes(60), hours(3),    hours(3),
                                                hours(3),    hours(6),    hours(6)};
  return kSchedule;
}

FieldMap Notifier::notificationFields(const SimOrder& o, const std::string& nonce) {
  FieldMap f{{"return_code", "SUCCESS"},
             {"return_msg", "OK"},
             {"appid", o.appid},
             {"mch_id", o.mch_id},
             {"nonce_str", nonce},
             {"result_code", "SUCCESS"},
             {"openid", o.openid},
             {"is_subscribe", "N"},
             {"trade_type", o.trade_type},
             {"bank_type", o.bank_type},
             {"total_fee", std::to_string(o.paid_fee)},
             {"fee_type", "CNY"},
             {"cash_fee", std::to_string(o.paid_fee)},
             {"transaction_id", o.transaction_id},
             {"out_trade_no", o.out_trade_no},
             {"time_end", formatBeijingCompact(*o.paid_at)}};
  if (!o.attach.empty()) f["attach"] = o.attach;
  return f;
}

Notifier::Notifier(SimState& state, SimClock& clock, int workers, std::string ca_file,
                   int timeout_ms)
    : state_(state), clock_(clock), ca_file_(std::move(ca_file)), timeout_ms_(timeout_ms) {
  clock_.onChange([this] {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  });
  for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { run(); });
}

Notifier::~Notifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

std::uint64_t Notifier::schedule(const SimOrder& o, NotifyMode mode, bool twice) {
  if (mode == NotifyMode::kLose || o.notify_url.empty() || !o.paid_at) return 0;
  const MerchantConfig* m = state_.merchant(o.mch_id);
  if (m == nullptr) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  Job job;
  job.id = next_id_++;
  job.mch_id = o.mch_id;
  job.out_trade_no = o.out_trade_no;
  job.url = o.notify_url;
  job.twice = twice;
  job.due = clock_.now();
  FieldMap f = notificationFields(o, nonceFrom(hashString(job.id, o.out_trade_no)));
  f["sign"] = computeSign(f, o.sign_type, m->api_key);
  job.body = writeXmlFields(f);
  if (mode == NotifyMode::kForge) {
    f.erase("sign");
    f["sign"] = computeSign(f, o.sign_type, Secret(kForgeKey));
    job.forged_body = writeXmlFields(f);
  }
  jobs_.push_back(std::move(job));
  cv_.notify_all();
  return jobs_.back().id;
}

void Notifier::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const TimePoint now = clock_.now();
    Job* due = nullptr;
    for (auto& j : jobs_) {
      if (!j.in_flight && j.due <= now && (due == nullptr || j.due < due->due)) due = &j;
    }
    if (due == nullptr) {
      // Real-time mode needs a periodic look; clock changes and new jobs wake us at once.
      cv_.wait_for(lock, std::chrono::milliseconds(50));
      continue;
    }
    due->in_flight = true;
    Job copy = *due;
    const std::uint64_t generation = generation_;
    lock.unlock();
    std::vector<NotificationAttempt> attempts;
    if (copy.next == 0 && !copy.forged_body.empty()) {
      attempts.push_back(post(copy, copy.forged_body, 0, true));
    }
    if (copy.twice) {
      NotificationAttempt second;
      std::thread t([&] { second = post(copy, copy.body, 1, false); });
      attempts.push_back(post(copy, copy.body, 0, false));
      t.join();
      attempts.push_back(second);
    } else {
      attempts.push_back(post(copy, copy.body, 0, false));
    }
    lock.lock();
    if (generation != generation_) continue;  // reset while we were sending
    bool acked = false;
    for (auto& a : attempts) {
      acked = acked || (a.ack_valid && !a.forged);
      log_.push_back(std::move(a));
    }
    auto it =
        std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) { return j.id == copy.id; });
    if (it != jobs_.end()) {
      const auto& sched = resendSchedule();
      if (acked || it->next >= static_cast<int>(sched.size())) {
        jobs_.erase(it);
      } else {
        it->due += sched[static_cast<std::size_t>(it->next)];
        ++it->next;
        it->in_flight = false;
      }
    }
    cv_.notify_all();
  }
}

NotificationAttempt Notifier::post(const Job& job, const std::string& body, int copy, bool forged) {
  NotificationAttempt a;
  a.id = job.id;
  a.mch_id = job.mch_id;
  a.out_trade_no = job.out_trade_no;
  a.url = job.url;
  a.attempt = job.next + 1;
  a.copy = copy;
  a.forged = forged;
  a.due_at = job.due;
  a.sent_at = clock_.now();
  a.body_sha256 = sha256Hex(body);
  try {
    Poco::URI uri(job.url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file_, Poco::Net::Context::VERIFY_RELAXED,
          9, ca_file_.empty(), "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(static_cast<long>(timeout_ms_) * 1000));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathEtc(),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("text/xml");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session->sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    a.http_status = static_cast<int>(resp.getStatus());
    std::string answer;
    char buf[4096];
    while (in && answer.size() < 65536) {
      in.read(buf, sizeof buf);
      answer.append(buf, static_cast<std::size_t>(in.gcount()));
    }
    if (a.http_status == 200) {
      auto parsed = parseXmlFields(answer);
      auto it = parsed.fields.find("return_code");
      a.ack_valid = parsed.ok() && it != parsed.fields.end() && it->second == "SUCCESS";
      if (!a.ack_valid) a.error = parsed.ok() ? "answer is not a SUCCESS ack" : parsed.error;
    } else {
      a.error = "HTTP " + std::to_string(a.http_status);
    }
  } catch (const Poco::Exception& e) {
    a.error = e.displayText();
  } catch (const std::exception& e) {
    a.error = e.what();
  }
  return a;
}

bool Notifier::settle(Millis max_wait) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, max_wait, [&] {
    const TimePoint now = clock_.now();
    for (const auto& j : jobs_) {
      if (j.in_flight || j.due <= now) return false;
    }
    return true;
  });
}

std::vector<NotificationAttempt> Notifier::log(const std::string& mch_id,
                                               const std::string& out_trade_no) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NotificationAttempt> out;
  for (const auto& a : log_) {
    if (!mch_id.empty() && a.mch_id != mch_id) continue;
    if (!out_trade_no.empty() && a.out_trade_no != out_trade_no) continue;
    out.push_back(a);
  }
  return out;
}

std::size_t Notifier::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

void Notifier::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_.clear();
  log_.clear();
  ++generation_;
  cv_.notify_all();
}

}  // namespace wx::sim
