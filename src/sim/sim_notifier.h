// Payment notifications (WECHATPAY_V2.md §4): after a payment, POSTs the signed notification to
// the order's notify_url, then resends on WeChat's schedule 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/
// 3h/3h/3h/6h/6h (16 attempts, 24h4m) measured on the simulator's clock, until an answer is HTTP
// 200 with return_code SUCCESS. Attempt k+1 is due at attempt k's due time plus the interval, so
// advancing the clock by a day runs the whole schedule at once. Every attempt is logged.
//
// Options: lose (nothing is sent), forge (a copy signed with a wrong key is posted first, at the
// first attempt), twice (every attempt posts two copies in parallel, as WeChat's several senders
// do). The body carries no sign_type field and is signed with the algorithm of the order's
// unifiedorder, as real notifications are.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/sim_clock.h"
#include "sim/sim_state.h"
#include "wechat/xml_codec.h"

namespace wx::sim {

enum class NotifyMode { kDeliver, kLose, kForge };

struct NotificationAttempt {
  std::uint64_t id = 0;  // of the notification (one per payment)
  std::string mch_id, out_trade_no, url;
  int attempt = 0;  // 1 = first send, 2..16 = resends
  int copy = 0;     // 1 for the second of "twice"
  bool forged = false;
  TimePoint due_at{}, sent_at{};
  int http_status = 0;  // 0 = no HTTP answer (connection failed, timeout)
  std::string error;
  std::string body_sha256;
  bool ack_valid = false;  // HTTP 200 and return_code=SUCCESS
};

class Notifier {
 public:
  // `ca_file`: trust for https notify_urls (empty: the system store). `timeout_ms` per attempt.
  Notifier(SimState& state, SimClock& clock, int workers, std::string ca_file, int timeout_ms);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // The resend intervals (15 of them).
  static const std::vector<Millis>& resendSchedule();
  // The notification body for a paid order, signed with `key`.
  static FieldMap notificationFields(const SimOrder& o, const std::string& nonce);

  // Queues the notification of a paid order (first attempt due now). Returns its id, or 0 when
  // nothing will be sent (lose, or no notify_url).
  std::uint64_t schedule(const SimOrder& o, NotifyMode mode, bool twice);
  // Waits (real time, at most `max_wait`) until no attempt due at the current simulated time is
  // pending or in flight. False on timeout.
  bool settle(Millis max_wait);
  std::vector<NotificationAttempt> log(const std::string& mch_id,
                                       const std::string& out_trade_no) const;
  std::size_t pending() const;
  void reset();  // drops pending notifications and the log

 private:
  struct Job {
    std::uint64_t id;
    std::string mch_id, out_trade_no, url, body, forged_body;
    bool twice;
    int next = 0;  // index of the next attempt (0..15)
    TimePoint due;
    bool in_flight = false;
  };
  void run();
  void deliver(Job job);  // a copy: the network part runs unlocked
  NotificationAttempt post(const Job& job, const std::string& body, int copy, bool forged);

  SimState& state_;
  SimClock& clock_;
  const std::string ca_file_;
  const int timeout_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::list<Job> jobs_;
  std::vector<NotificationAttempt> log_;
  std::uint64_t next_id_ = 1;
  std::uint64_t generation_ = 0;  // bumped by reset(): results of older jobs are dropped
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace wx::sim
