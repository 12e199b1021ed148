#include "net/notify_server.h"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/metrics.h"
#include "common/test_hooks.h"
#include "net/admin_server.h"
#include "net/http_wire_server.h"
#include "service/notification_verifier.h"
#include "service/notify_confirmer.h"
#include "service/run_metrics.h"
#include "storage/database.h"
#include "storage/mysql_notification_store.h"

namespace wx {

using Poco::Net::HTTPResponse;
using SteadyClock = std::chrono::steady_clock;

const std::string& notifySuccessAck() {
  static const std::string kAck =
      "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
      "</xml>";
  return kAck;
}

std::string notifyFailAck(const std::string& reason) {
  // `reason` is one of our fixed texts: nothing from the request is echoed.
  return "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[" + reason +
         "]]></return_msg></xml>";
}

bool addressInCidrs(const std::string& address, const std::vector<std::string>& cidrs) {
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(address, ip)) return false;
  for (const auto& cidr : cidrs) {
    const auto slash = cidr.find('/');
    Poco::Net::IPAddress net;
    if (!Poco::Net::IPAddress::tryParse(cidr.substr(0, slash), net)) continue;
    if (net.family() != ip.family()) continue;
    if (slash == std::string::npos) {
      if (net == ip) return true;
      continue;
    }
    const unsigned bits = static_cast<unsigned>(std::stoul(cidr.substr(slash + 1)));
    const Poco::Net::IPAddress mask(bits, net.family());
    if ((net & mask) == (ip & mask)) return true;
  }
  return false;
}

namespace {

constexpr std::array<NotificationVerdict, 6> kVerdicts = {
    NotificationVerdict::kAccepted,     NotificationVerdict::kDuplicate,
    NotificationVerdict::kUnknownOrder, NotificationVerdict::kAmountMismatch,
    NotificationVerdict::kBadSignature, NotificationVerdict::kMalformed};

// notify-server's own metrics, in the process's registry (common/metrics.h) beside the run
// and WeChat call metrics: every child is looked up once here, so a request only does atomic
// increments (no lock on the hot path).
struct Metrics {
  MetricsRegistry& r = MetricsRegistry::process();
  std::array<Counter*, 6> received{};  // by verdict (kVerdicts order)
  Counter& acks = r.counter("wxrecon_notify_acks_total",
                            "Notifications answered SUCCESS (stored and genuine).")
                      .get();
  std::map<std::string, Counter*> fails;  // fixed keys, created up front
  MetricFamily<Counter>& stored = r.counter(
      "wxrecon_notify_stored_total",
      "Bodies stored: a new row, or a byte-identical repeat counted on its row.", {"row"});
  Counter& stored_new = stored.labels({"new"});
  Counter& stored_repeat = stored.labels({"repeat"});
  Counter& bad_dropped = r.counter("wxrecon_notify_bad_dropped_total",
                                   "Unverified bodies over max_bad_per_minute: counted, not stored.")
                             .get();
  Counter& confirm_queued = r.counter("wxrecon_notify_confirm_queued_total",
                                      "Orders queued for a confirming orderquery.")
                                .get();
  Counter& confirm_overflow =
      r.counter("wxrecon_notify_confirm_overflow_total",
                "Orders not queued (queue full or stopping): left due now for the sweep.")
          .get();
  Counter& confirmed = r.counter("wxrecon_notify_confirmed_total",
                                 "Orders the confirmation workers checked with an orderquery.")
                           .get();
  Gauge& confirm_queue =
      r.gauge("wxrecon_notify_confirm_queue", "Orders waiting in the confirmation queue.").get();
  Counter& store_batches = r.counter("wxrecon_notify_store_batches_total",
                                     "Transactions (group commits) that stored bodies.")
                               .get();
  Counter& header_timeouts =
      r.counter("wxrecon_notify_header_timeouts_total",
                "Connections cut because their request headers were not complete in time.")
          .get();
  Histogram& latency =
      r.histogram("wxrecon_notify_ack_seconds",
                  "Time from a notification's headers to its answer (stored bodies and storage "
                  "failures).",
                  {}, {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5})
          .get();

  Metrics() {
    auto& by_verdict = r.counter("wxrecon_notify_received_total",
                                 "Notification bodies received, by verdict.", {"verdict"});
    for (std::size_t i = 0; i < kVerdicts.size(); ++i) {
      received[i] = &by_verdict.labels({notificationVerdictName(kVerdicts[i])});
    }
    auto& by_reason = r.counter("wxrecon_notify_fails_total",
                                "Notifications answered FAIL (or not stored), by reason.",
                                {"reason"});
    for (const char* reason :
         {"not_genuine", "storage", "too_large", "bad_request", "timeout", "rate_limited"}) {
      fails[reason] = &by_reason.labels({reason});
    }
    registerRunMetrics();  // the confirmations' WeChat calls and discrepancies are shown too
  }
  void observe(SteadyClock::duration d) {
    latency.observe(std::chrono::duration<double>(d).count());
  }
};

std::size_t verdictIndex(NotificationVerdict v) {
  for (std::size_t i = 0; i < kVerdicts.size(); ++i) {
    if (kVerdicts[i] == v) return i;
  }
  return kVerdicts.size() - 1;
}

// Unverified bodies stored per source address and wall-clock minute.
class BadBodyLimiter {
 public:
  explicit BadBodyLimiter(int per_minute) : per_minute_(per_minute) {}
  bool allow(const std::string& source) {
    const auto minute = std::chrono::duration_cast<std::chrono::minutes>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    std::lock_guard<std::mutex> lock(mu_);
    if (minute != minute_) {
      minute_ = minute;
      counts_.clear();
    }
    int& n = counts_[source];
    if (n >= per_minute_) return false;
    ++n;
    return true;
  }

 private:
  const int per_minute_;
  std::mutex mu_;
  long long minute_ = -1;
  std::map<std::string, int> counts_;
};

}  // namespace

struct NotifyServer::Impl {
  const Config& config;
  Database& db;
  MySqlNotificationStore& store;
  NotifyConfirmer* confirmer;
  NotifyServerLimits limits;
  Metrics metrics;
  BadBodyLimiter limiter;
  std::unique_ptr<HttpWireServer> server;
  std::unique_ptr<AdminServer> admin;
  std::string listen_address, admin_address;

  Impl(const Config& c, Database& d, MySqlNotificationStore& s, NotifyConfirmer* n,
       NotifyServerLimits l)
      : config(c), db(d), store(s), confirmer(n), limits(l), limiter(c.notify.max_bad_per_minute) {}

  // To an HttpExchange now, or to its PendingReply once the body is stored.
  template <typename Replier>
  static void answer(Replier& r, int status, const std::string& body, bool close = false) {
    r.reply(status, "text/xml; charset=utf-8", body, close);
  }
  template <typename Replier>
  void fail(Replier& r, int status, const char* metric, const std::string& reason,
            bool close = false) {
    metrics.fails.at(metric)->inc();
    answer(r, status, notifyFailAck(reason), close);
  }

  std::string remoteAddr(const HttpExchange& ex) const {
    const std::string peer = ex.peer().host().toString();
    const std::string& xff = ex.request().forwardedFor();
    if (config.notify.trusted_proxies.empty() || xff.empty() ||
        !addressInCidrs(peer, config.notify.trusted_proxies)) {
      return peer;
    }
    const auto comma = xff.rfind(',');
    std::string last = comma == std::string::npos ? xff : xff.substr(comma + 1);
    const auto b = last.find_first_not_of(" \t");
    const auto e = last.find_last_not_of(" \t");
    last = b == std::string::npos ? "" : last.substr(b, e - b + 1);
    Poco::Net::IPAddress ip;
    return Poco::Net::IPAddress::tryParse(last, ip) ? ip.toString() : peer;
  }

  // The public listener's one route: POST notify.path.
  void route(HttpExchange& ex) {
    const HttpRequestParser& req = ex.request();
    if (req.path() != config.notify.path) return ex.reply(404, "text/plain; charset=utf-8", "", true);
    if (req.method() != "POST") {
      return ex.reply(405, "text/plain; charset=utf-8", "", true, "Allow: POST\r\n");
    }
    handleNotification(ex);
  }

  void handleNotification(HttpExchange& ex) {
    const auto started = SteadyClock::now();
    std::string body;
    using Read = HttpExchange::Read;
    const Read r = ex.readBody(body, static_cast<std::size_t>(config.notify.max_body_bytes),
                               started + std::chrono::milliseconds(limits.body_deadline_ms));
    if (r == Read::kTooLarge) {
      return fail(ex, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", "body too large",
                  true);
    }
    if (r == Read::kTimeout) {
      return fail(ex, HTTPResponse::HTTP_REQUEST_TIMEOUT, "timeout", "body too slow", true);
    }
    if (r == Read::kBad) {
      return fail(ex, HTTPResponse::HTTP_BAD_REQUEST, "bad_request", "incomplete body", true);
    }
    if (body.empty()) {
      // No bytes to store: WeChat never sends one.
      return fail(ex, HTTPResponse::HTTP_BAD_REQUEST, "bad_request", "empty body", true);
    }
    ReceivedBody rb;
    rb.remote_addr = remoteAddr(ex);
    rb.verified = verifyNotification(body, config.merchants,
                                     static_cast<std::size_t>(config.notify.max_body_bytes));
    rb.configured_mch = config.findMerchant(rb.verified.mch_id) != nullptr;
    const bool unverified = !rb.verified.sign_ok;
    if (unverified && !limiter.allow(rb.remote_addr)) {
      metrics.bad_dropped.inc();
      metrics.received[verdictIndex(rb.verified.verdict)]->inc();
      return fail(ex, HTTPResponse::HTTP_OK, "rate_limited", "verification failed");
    }
    rb.raw_body = std::move(body);
    if (hooks::broken(hooks::Break::kAckBeforeCommit) && rb.verified.sign_ok) {  // test build only
      // On the wire before the store: a crash now loses an acknowledged body.
      answer(ex, HTTPResponse::HTTP_OK, notifySuccessAck());
      (void)store.receive(rb);
      return;
    }
    // Stored by the group commit's writer thread, which answers once the batch is committed:
    // this thread goes back to the connection (one wake-up per request instead of two).
    std::shared_ptr<PendingReply> reply = ex.defer();
    store.receiveAsync(std::move(rb), [this, reply, started](const ReceivedBody& stored_body,
                                                             Result<ReceiveResult> stored) {
      afterStore(*reply, stored_body, stored, started);
    });
  }

  // After the commit (or its failure), on the group commit's writer thread: must not throw. The
  // answer is the last thing each path does: once it is out, the connection may end and the
  // server stop and be destroyed (NotifyServer::stop() waits for the connections, and each
  // connection for its answer, not for the rest of this function).
  void afterStore(PendingReply& reply, const ReceivedBody& rb, const Result<ReceiveResult>& stored,
               SteadyClock::time_point started) {
    if (!stored) {
      logError("notify.store_failed",
               {{"remote_addr", rb.remote_addr}, {"error", stored.status().message()}});
      metrics.observe(SteadyClock::now() - started);
      return fail(reply, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "storage", "storage unavailable");
    }
    const ReceiveResult& res = *stored;
    metrics.received[verdictIndex(res.verdict)]->inc();
    (res.new_row ? metrics.stored_new : metrics.stored_repeat).inc();
    // The row is the record of every body; the log names the ones that need a look (a line per
    // ordinary ACCEPTED body, at thousands per second, only at debug level).
    logEvent(res.verdict == NotificationVerdict::kAccepted ? LogLevel::kDebug
                                                           : LogLevel::kInformation,
             "notify.received",
             {{"verdict", notificationVerdictName(res.verdict)},
              {"id", std::to_string(res.id)},
              {"times_received", std::to_string(res.times_received)},
              {"remote_addr", rb.remote_addr},
              {"reason", rb.verified.reason.substr(0, 160)}});
    if (!isGenuineVerdict(res.verdict)) {
      metrics.observe(SteadyClock::now() - started);
      return fail(
          reply, HTTPResponse::HTTP_OK, "not_genuine",
          res.verdict == NotificationVerdict::kMalformed ? "malformed" : "verification failed");
    }
    // Committed: queue the confirmation (it never blocks), then acknowledge (invariant 9).
    if (confirmer != nullptr && res.order && isUnfinished(res.order->state) &&
        res.verdict != NotificationVerdict::kUnknownOrder) {
      const auto q = confirmer->enqueue(res.order->mch_id, res.order->out_trade_no);
      if (q == NotifyConfirmer::Enqueued::kQueued) metrics.confirm_queued.inc();
      // Full (or stopped): the confirmer leaves the order due now for the sweep.
      if (q == NotifyConfirmer::Enqueued::kFull || q == NotifyConfirmer::Enqueued::kStopped) {
        metrics.confirm_overflow.inc();
      }
    }
    hooks::crashPoint("notify.before_ack");
    metrics.acks.inc();
    metrics.observe(SteadyClock::now() - started);
    answer(reply, HTTPResponse::HTTP_OK, notifySuccessAck());  // last: see above
  }

  // GET /healthz on the admin listener: the database answers.
  std::string unhealthyReason() {
    Status st = db.run("healthz",
                       [](Poco::Data::Session& s) {
                         int one = 0;
                         s << "SELECT 1", Poco::Data::Keywords::into(one),
                             Poco::Data::Keywords::now;
                       },
                       {false, 1});
    return st.isOk() ? "" : "database unreachable";
  }

  // The process's metrics, with the totals kept elsewhere read now.
  std::string metricsText() {
    metrics.store_batches.set(store.batchesWritten());
    metrics.header_timeouts.set(server ? server->headerTimeouts() : 0);
    if (confirmer != nullptr) {
      metrics.confirmed.set(confirmer->stats().confirmed);
      metrics.confirm_queue.set(static_cast<double>(confirmer->queued()));
    }
    return MetricsRegistry::process().render();
  }
};

namespace {

std::string hostPort(const Poco::Net::SocketAddress& a) {
  return a.host().toString() + ":" + std::to_string(a.port());
}

}  // namespace

NotifyServer::NotifyServer(const Config& config, Database& db, MySqlNotificationStore& store,
                           NotifyConfirmer* confirmer, NotifyServerLimits limits)
    : impl_(std::make_unique<Impl>(config, db, store, confirmer, limits)) {}

NotifyServer::~NotifyServer() { stop(0); }

void NotifyServer::start() {
  Impl& m = *impl_;
  const Poco::Net::SocketAddress listen(m.config.notify.listen);
  Poco::Net::ServerSocket socket;
  if (m.config.notify.tls_cert_file.empty()) {
    socket = Poco::Net::ServerSocket(listen, 1024);
  } else {
    // The server does not ask for client certificates (WeChat sends none). The TLS handshake
    // runs in the connection's thread on its first read, under the header deadline, so a
    // client that stalls the handshake is cut like a slow header.
    Poco::Net::Context::Ptr tls = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, m.config.notify.tls_key_file,
        m.config.notify.tls_cert_file, "", Poco::Net::Context::VERIFY_NONE);
    tls->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                          Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
    socket = Poco::Net::SecureServerSocket(listen, 1024, tls);
  }
  m.listen_address = hostPort(socket.address());

  m.server = std::make_unique<HttpWireServer>([&m](HttpExchange& ex) { m.route(ex); }, socket,
                                              m.limits.http);
  m.admin = std::make_unique<AdminServer>(
      m.config.notify.admin_listen,
      AdminHandlers{[&m] { return m.unhealthyReason(); }, [&m] { return m.metricsText(); }});
  m.admin->start();  // binds: throws before the public listener serves
  m.admin_address = m.admin->address();
  m.server->start();
}

void NotifyServer::stop(int grace_ms) {
  Impl& m = *impl_;
  if (m.server) {
    m.server->stop();  // stop accepting; idle connections are closed
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(grace_ms);
    while (m.server->currentConnections() > 0 && SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    m.server.reset();  // closes the rest, waits for their threads
  }
  if (m.admin) {
    m.admin->stop();
    m.admin.reset();
  }
}

std::string NotifyServer::listenAddress() const { return impl_->listen_address; }
std::string NotifyServer::adminAddress() const { return impl_->admin_address; }
std::string NotifyServer::metricsText() const { return impl_->metricsText(); }

}  // namespace wx
