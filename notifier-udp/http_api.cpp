#include "notifier-udp/http_api.hpp"

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/clock.hpp"
#include "notifier-udp/event_log.hpp"
#include "notifier-udp/inbox.hpp"
#include "notifier-udp/streams.hpp"
#include "sign/ticket.hpp"

namespace uw::notifier {

namespace {

// The web API's shape (docs/WEB.md "Errors"): {"error":{"code":…,"message":…}}.
http::Response json_error(int status, const std::string& code, const std::string& message) {
  nlohmann::json j{{"error", {{"code", code}, {"message", message}}}};
  return http::Response::json(status, j.dump());
}

// Budgets run on a monotonic clock (a wall-clock step must not refill them).
int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

void HttpApi::cors(const http::Request& req,
                   std::vector<std::pair<std::string, std::string>>& headers) const {
  if (d_.cors_origins.empty()) return;
  // The answer depends on Origin whether or not this one matched: a cache must
  // not hand the unmatched answer (without Allow-Origin) to an allowed origin.
  headers.emplace_back("Vary", "Origin");
  auto origin = req.header("origin");
  if (!origin) return;
  for (const auto& o : d_.cors_origins)
    if (o == *origin || o == "*") {
      headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
      return;
    }
}

void HttpApi::send_error(const http::Request& req, http::Responder& res, http::Response r) const {
  cors(req, r.headers);
  res.send(std::move(r));
}

void HttpApi::handle(http::Request&& req, http::Responder res) {
  if (req.method == "OPTIONS") {
    http::Response r;
    r.status = 204;
    cors(req, r.headers);
    r.set("Access-Control-Allow-Methods", "GET, OPTIONS");
    r.set("Access-Control-Allow-Headers", "Last-Event-ID, Cache-Control");
    r.set("Access-Control-Max-Age", "600");
    res.send(std::move(r));
    return;
  }
  if (req.path == "/ingest" && d_.ingest) {
    if (req.method != "POST") {
      res.send(json_error(405, "method_not_allowed", "POST an envelope here").set("Allow", "POST"));
      return;
    }
    return ingest(req, res);
  }
  if (req.method != "GET" && req.method != "HEAD") {
    send_error(req, res, json_error(405, "method_not_allowed", "only GET here").set("Allow", "GET, OPTIONS"));
    return;
  }
  if (req.path == "/events") return events(req, res);
  if (req.path == "/inbox") return inbox(req, res);
  if (req.path == "/healthz") {
    res.send(http::Response::text(200, "ok\n"));
    return;
  }
  if (req.path == "/metrics") {
    if (!d_.metrics_allow.allows_ip(req.peer_ip)) {
      ++stats_.metrics_refused;
      res.send(json_error(403, "forbidden", "/metrics is served only to --metrics-allow addresses"));
      return;
    }
    auto r = http::Response::text(200, d_.render_metrics());
    r.headers.clear();
    r.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    res.send(std::move(r));
    return;
  }
  send_error(req, res, json_error(404, "not_found", "no such path"));
}

bool HttpApi::check_ticket(const http::Request& req, http::Responder& res, int64_t* user_id) {
  auto t = http::form_value(req.query, "ticket");
  if (!t || t->empty()) {
    send_error(req, res,
               json_error(401, "no_ticket", "open this with ?ticket= from /api/v1/notifications/ticket"));
    ++stats_.tickets_rejected;
    return false;
  }
  const int64_t mono = steady_ms();
  if (!bad_signatures_.available(req.peer_ip, mono)) {
    ++stats_.tickets_shed;
    ++stats_.tickets_rejected;
    log_rejection("shed", req);
    auto r = json_error(429, "too_many_bad_tickets",
                        "too many tickets with a bad signature from this address; wait and get a new ticket");
    r.set("Retry-After", "1");
    send_error(req, res, std::move(r));
    return false;
  }
  sign::Ticket ticket;
  auto err = sign::verify_ticket(*t, *d_.keys, clock::now_s(), &ticket);
  if (err != sign::TicketError::None) {
    ++stats_.tickets_rejected;
    if (err == sign::TicketError::BadSignature) (void)bad_signatures_.take(req.peer_ip, mono);
    log_rejection(sign::ticket_error_name(err), req);
    int status = err == sign::TicketError::Malformed ? 400 : 403;
    send_error(
        req, res,
        json_error(status, std::string("ticket_") + sign::ticket_error_name(err), "the ticket is not valid"));
    return false;
  }
  *user_id = ticket.user_id;
  return true;
}

void HttpApi::log_rejection(const char* reason, const http::Request& req) {
  // Anyone can send bad tickets as fast as they like: these lines share the
  // rejection lines' rate limit (--log-rejects-per-s); the counters count all.
  uint64_t suppressed = 0;
  if (!d_.log->allow_flood_line(static_cast<uint64_t>(clock::now_ms()), &suppressed)) return;
  d_.log->write(LogLevel::Info, "ticket_rejected",
                {{"reason", reason}, {"peer", req.peer_ip}, {"path", req.path}, {"suppressed", suppressed}});
}

void HttpApi::events(const http::Request& req, http::Responder& res) {
  int64_t user = 0;
  if (!check_ticket(req, res, &user)) return;
  if (d_.streams->count() >= d_.max_subscribers) {
    ++stats_.streams_refused_full;
    auto r = json_error(503, "too_many_streams", "try again later");
    r.set("Retry-After", "5");
    send_error(req, res, std::move(r));
    return;
  }
  // One user (one ticket, many tabs or a script) or one address must not take
  // every slot: 429 with the reason, so a page can say "too many open tabs".
  auto refuse = [&](uint64_t* counter, const char* code, const std::string& message) {
    ++*counter;
    auto r = json_error(429, code, message);
    r.set("Retry-After", "10");
    send_error(req, res, std::move(r));
  };
  if (d_.streams->count_for_user(user) >= d_.max_streams_per_user)
    return refuse(&stats_.streams_refused_user, "too_many_streams_for_user",
                  "this account already has " + std::to_string(d_.max_streams_per_user) +
                      " notification streams open; close a tab");
  if (d_.streams->count_for_address(req.peer_ip) >= d_.max_streams_per_address)
    return refuse(&stats_.streams_refused_address, "too_many_streams_for_address",
                  "this address already has " + std::to_string(d_.max_streams_per_address) +
                      " notification streams open");
  // Last-Event-ID (or ?last_event_id=, for a first connect that resumes): the
  // position of the last notification this user's browser saw; every stored
  // one after it is sent first (0 = all of them). Absent: live only. Anything
  // but a decimal number is refused, not read as 0.
  std::optional<std::string_view> last_text = req.header("last-event-id");
  std::optional<std::string> q = http::form_value(req.query, "last_event_id");
  if (!last_text && q) last_text = *q;
  std::optional<uint64_t> last;
  if (last_text) {
    last = parse_u64(*last_text);
    if (!last) {
      send_error(req, res,
                 json_error(400, "bad_last_event_id", "Last-Event-ID must be a decimal notification id"));
      return;
    }
  }

  std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Type", "text/event-stream; charset=utf-8"},
      {"Cache-Control", "no-cache, no-store"},
      {"X-Accel-Buffering", "no"},
  };
  cors(req, headers);
  if (!res.start_stream(200, std::move(headers))) return;
  uint64_t conn = res.conn_id();
  // retry: how long a browser waits before reconnecting after a drop.
  if (!d_.streams->write_one(conn, "retry: 2000\n: connected\n\n")) return;
  if (last) {
    // One write for the whole catch-up, on the loop before the stream is
    // added: nothing delivered meanwhile can come between (or before) them.
    std::string catch_up;
    for (const auto& e : d_.inboxes->after(user, *last)) e.note->append_sse(catch_up, e.pos);
    if (!catch_up.empty() && !d_.streams->write_one(conn, catch_up)) return;
  }
  d_.streams->add(conn, user, req.peer_ip);
  d_.log->write(
      LogLevel::Debug, "subscribe",
      {{"user_id", user}, {"conn", conn}, {"last_event_id", last ? std::to_string(*last) : "none"}});
}

void HttpApi::ingest(const http::Request& req, http::Responder& res) {
  // The body is the envelope, byte for byte; duplicates answer 204 too: a
  // sender that resends after a lost response has nothing more to do.
  std::span<const uint8_t> body(reinterpret_cast<const uint8_t*>(req.body.data()), req.body.size());
  switch (d_.ingest(body, req.peer_ip)) {
    case Verdict::Accepted:
    case Verdict::Duplicate: {
      http::Response r;
      r.status = 204;
      res.send(std::move(r));
      return;
    }
    case Verdict::Disallowed:
      res.send(json_error(403, "forbidden", "this address may not send envelopes (--allow-http)"));
      return;
    case Verdict::Oversized:
      res.send(json_error(413, "too_large", "an envelope is at most 1200 bytes"));
      return;
    case Verdict::Rejected:
      break;
  }
  res.send(json_error(400, "bad_envelope", "the body is not a valid signed envelope"));
}

void HttpApi::inbox(const http::Request& req, http::Responder& res) {
  int64_t user = 0;
  if (!check_ticket(req, res, &user)) return;
  size_t limit = d_.inboxes->capacity();
  if (auto l = http::form_value(req.query, "limit")) {
    auto v = parse_u64(*l);
    if (v && *v > 0 && *v < limit) limit = *v;
  }
  std::string body = "{\"items\":[";
  bool first = true;
  for (const auto& e : d_.inboxes->recent(user, limit)) {
    if (!first) body += ',';
    first = false;
    body += e.note->json_at(e.pos);
  }
  body += "]}";
  auto r = http::Response::json(200, std::move(body));
  r.set("Cache-Control", "no-store");
  cors(req, r.headers);
  res.send(std::move(r));
}

}  // namespace uw::notifier
