// notify-server's HTTP side (DESIGN.md §1, §8 [notify]; RELIABILITY.md invariants 9, 14, 17).
//
// Two HTTP listeners: the public one is our own loop on Poco's sockets (net/http_wire_server.h:
// whole-header deadline, strict request parser), the admin one net/admin_server.h:
//   - `notify.listen` serves only POST `notify.path` (other paths 404, other methods 405), over
//     HTTPS when `notify.tls_cert_file`/`tls_key_file` are set (TLS 1.2+, no client
//     certificate; the handshake counts against the header deadline);
//   - `notify.admin_listen` serves GET /healthz (database reachable) and /metrics (Prometheus).
// A notification request: the body is read up to `notify.max_body_bytes` (a larger
// Content-Length is refused before reading; a chunked body is cut at cap + 1 byte: 413, the
// connection is closed), within a total body deadline; then verified (one hardened parse) on the
// connection's thread, and handed to the store (MySqlNotificationStore::receiveAsync:
// group-committed with the bodies other connections handed in meanwhile, one transaction); the
// group commit's writer thread answers (HttpExchange::defer()), and only after the commit that
// holds the body:
//   SUCCESS (byte-exact WeChat ack) for ACCEPTED, DUPLICATE, UNKNOWN_ORDER, AMOUNT_MISMATCH —
//     genuine and recorded, so WeChat may stop resending;
//   FAIL for BAD_SIGNATURE and MALFORMED (not genuine: a forgery never gets SUCCESS), and for
//     anything that could not be stored (database down: WeChat resends; nothing is lost).
// Unverified bodies are stored up to `notify.max_bad_per_minute` per source address per minute,
// then only counted (metric wxrecon_notify_bad_dropped_total).
// A genuine body for an unfinished order (a byte-identical repeat too) is queued for
// confirmation after the answer is sent, unless `confirmer` is null ([notify] confirm = false).
// remote_addr: the peer, or the last X-Forwarded-For hop when the peer is a trusted proxy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "net/http_wire_server.h"

namespace wx {

class Database;
class MySqlNotificationStore;
class NotifyConfirmer;

struct NotifyServerLimits {
  // The connections' deadlines, head cap, threads and queue (net/http_wire_server.h).
  HttpWireServerLimits http;
  // A body must be complete this long after its headers (slow-body clients).
  int body_deadline_ms = 2000;
};

class NotifyServer {
 public:
  // `confirmer` may be null (no confirmation). References must outlive the server.
  NotifyServer(const Config& config, Database& db, MySqlNotificationStore& store,
               NotifyConfirmer* confirmer, NotifyServerLimits limits = {});
  ~NotifyServer();
  NotifyServer(const NotifyServer&) = delete;
  NotifyServer& operator=(const NotifyServer&) = delete;

  // Binds both addresses (port 0: ephemeral) and starts serving. Throws Poco::Exception when
  // an address cannot be bound.
  void start();
  // Stops accepting, waits up to `grace_ms` for requests in flight, then closes the rest.
  void stop(int grace_ms);

  // The bound addresses, "host:port" (after start()).
  std::string listenAddress() const;
  std::string adminAddress() const;

  // The Prometheus text of /metrics.
  std::string metricsText() const;

  struct Impl;  // in the .cpp (public so its handler classes can reach it)

 private:
  std::unique_ptr<Impl> impl_;
};

// The byte-exact acknowledgements.
const std::string& notifySuccessAck();
std::string notifyFailAck(const std::string& reason);

// True when `address` (IPv4/IPv6 text) is inside one of the CIDRs (or equal to a bare address).
bool addressInCidrs(const std::string& address, const std::vector<std::string>& cidrs);

}  // namespace wx
