#pragma once
// uw::notifier::HttpApi — the notifier's HTTP routes:
//   GET /events?ticket=T[&last_event_id=N]  text/event-stream (Last-Event-ID header too)
//   GET /inbox?ticket=T[&limit=N]           {"items":[...]} newest first
//   GET /healthz                            200 ok
//   GET /metrics                            Prometheus text (--metrics-allow addresses only)
//   POST /ingest                            one signed envelope as the body (the http:// transport):
//                                           204 accepted or already seen, 400 not an envelope,
//                                           403 client outside --allow-http, 413 too large
//   OPTIONS *                               CORS preflight
// A ticket (sign/ticket.hpp) names the user; it is checked with the trusted
// public keys alone. CORS: the request's Origin is reflected only if it is one
// of the configured origins. Errors are {"error":{"code":…,"message":…}}, the
// web API's shape.
// Threading: loop thread only.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/http/server.hpp"
#include "core/rate_limit.hpp"
#include "notifier-udp/allow_list.hpp"
#include "notifier-udp/transport.hpp"

namespace uw::sign {
class KeyRing;
}

namespace uw::notifier {

class EventLog;
class Inboxes;
class Streams;

struct HttpApiStats {
  uint64_t tickets_rejected = 0;
  uint64_t tickets_shed = 0;             // refused unchecked: the address spent its bad-signature budget
  uint64_t streams_refused_full = 0;     // --max-subscribers reached
  uint64_t streams_refused_user = 0;     // the user holds --max-streams-per-user
  uint64_t streams_refused_address = 0;  // the peer address holds --max-streams-per-address
  uint64_t metrics_refused = 0;          // /metrics asked from outside --metrics-allow
};

class HttpApi {
 public:
  struct Deps {
    const sign::KeyRing* keys;
    Inboxes* inboxes;
    Streams* streams;
    EventLog* log;
    std::function<std::string()> render_metrics;
    std::vector<std::string> cors_origins;
    size_t max_subscribers = 10'000;
    size_t max_streams_per_user = 8;
    size_t max_streams_per_address = 64;
    AllowList metrics_allow;  // who may read /metrics (empty = anyone)
    // POST /ingest: Ingest::offer for Transport::Http (unset: 404).
    std::function<Verdict(std::span<const uint8_t> body, const std::string& peer_ip)> ingest;
    // Tickets with a bad signature, per peer address: each costs a full
    // Ed25519 verify, so past this budget an address's tickets are refused
    // (429) without checking until it refills. A real browser never sends one.
    double bad_tickets_per_s = 5;
    int bad_tickets_burst = 20;
  };
  explicit HttpApi(Deps d) : d_(std::move(d)), bad_signatures_(d_.bad_tickets_per_s, d_.bad_tickets_burst) {}
  void handle(http::Request&& req, http::Responder res);
  const HttpApiStats& stats() const { return stats_; }

 private:
  void events(const http::Request& req, http::Responder& res);
  void inbox(const http::Request& req, http::Responder& res);
  void ingest(const http::Request& req, http::Responder& res);
  // Adds `Vary: Origin` whenever origins are configured, and
  // Access-Control-Allow-Origin when the request's Origin is one of them.
  void cors(const http::Request& req, std::vector<std::pair<std::string, std::string>>& headers) const;
  // An error answer with the CORS headers (a page must be able to read why).
  void send_error(const http::Request& req, http::Responder& res, http::Response r) const;
  void log_rejection(const char* reason, const http::Request& req);
  bool check_ticket(const http::Request& req, http::Responder& res, int64_t* user_id);
  Deps d_;
  HttpApiStats stats_;
  RateLimit bad_signatures_;  // by peer address
};

}  // namespace uw::notifier
