#include "notifier-udp/daemon.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "core/clock.hpp"
#include "core/http/server.hpp"
#include "core/metrics.hpp"
#include "core/store/store.hpp"
#include "notifier-udp/amqp_consumer.hpp"
#include "notifier-udp/delivery.hpp"
#include "notifier-udp/event_log.hpp"
#include "notifier-udp/http_api.hpp"
#include "notifier-udp/inbox.hpp"
#include "notifier-udp/ingest.hpp"
#include "notifier-udp/note.hpp"
#include "notifier-udp/streams.hpp"
#include "notifier-udp/tcp_ingest.hpp"
#include "notifier-udp/trust.hpp"
#include "sign/keys.hpp"

namespace uw::notifier {

struct Daemon::Impl {
  uv_loop_t* loop;
  Config cfg;
  EventLog log;
  TrustStore trust;
  Inboxes inboxes;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<Streams> streams;
  std::unique_ptr<Delivery> delivery;
  std::unique_ptr<Ingest> ingest;
  std::unique_ptr<TcpIngest> tcp;      // with --listen-tcp
  std::unique_ptr<AmqpConsumer> amqp;  // with --amqp
  std::unique_ptr<HttpApi> api;
  uv_signal_t sig_term{}, sig_int{}, sig_hup{};
  uv_timer_t tick{};  // 4 times a second: gap timeouts; every 4th: trust-file changes, kernel drops
  uint64_t ticks = 0;
  bool signals = false, tick_open = false, shutting_down = false;
  uint64_t next_note_id;
  uint64_t logged_kernel_drops = 0;  // the tick logs what grew since
  size_t last_key_count = 0;
  uint64_t last_key_look_ms = 0;

  Impl(uv_loop_t* l, Config c)
      : loop(l), cfg(std::move(c)), trust(cfg.trust_files), inboxes(cfg.inbox, clock_us()) {
    next_note_id = clock_us();
  }
  // Ids and inbox positions increase across restarts too (a reconnecting
  // browser's Last-Event-ID from an earlier run is then older than anything
  // new): they start at the clock in microseconds.
  static uint64_t clock_us() {
    uv_timeval64_t tv;
    uv_gettimeofday(&tv);
    return static_cast<uint64_t>(tv.tv_sec) * 1000000 + static_cast<uint64_t>(tv.tv_usec);
  }

  void on_event(const sign::EventView& ev, uint64_t received_ns) {
    auto note = make_note(next_note_id++, ev, received_ns);
    delivery->deliver(std::move(note));
  }

  void load_keys(const char* why) {
    std::vector<std::string> problems;
    size_t n = trust.reload(&problems);
    for (const auto& p : problems) log.write(LogLevel::Warn, "keys", {{"problem", p}});
    std::string ids;
    for (const auto& id : trust.ring().ids()) {
      if (!ids.empty()) ids += ',';
      ids += sign::hex(id);
    }
    log.write(LogLevel::Info, "keys", {{"event", why}, {"trusted", static_cast<uint64_t>(n)}, {"ids", ids}});
    last_key_count = n;
  }

  // Prometheus text format 0.0.4 (core/metrics.hpp's TextWriter): every figure
  // is read from the component that owns it at scrape time, so there is
  // nothing to keep in sync.
  std::string render_metrics() {
    const auto& is = ingest->stats();
    const auto& vs = ingest->verifier_stats();
    const auto& ds = delivery->stats();
    const auto& ss = streams->stats();
    metrics::TextWriter p;
    p.counter("uwitter_notifier_received_total",
              "Envelopes received on every transport (datagrams read from the UDP socket, TCP frames, POST "
              "/ingest bodies)",
              is.received);
    p.counter("uwitter_notifier_verified_total", "Envelopes that passed every check", is.verified);
    // The same path, per transport (notifier-udp/transport.hpp).
    auto per = [&](const char* name, const char* help, uint64_t TransportStats::*field) {
      p.family(name, help, "counter");
      for (size_t t = 0; t < kTransports; ++t)
        p.sample(name, {{"transport", transport_name(static_cast<Transport>(t))}},
                 uint64_t{is.by_transport[t].*field});
    };
    per("uwitter_notifier_transport_received_total", "Envelopes received, by transport",
        &TransportStats::received);
    per("uwitter_notifier_transport_verified_total", "Envelopes that passed every check, by transport",
        &TransportStats::verified);
    per("uwitter_notifier_transport_duplicates_total",
        "Envelopes already seen (copies, resends after a reconnect), by transport",
        &TransportStats::duplicates);
    per("uwitter_notifier_transport_rejected_total",
        "Envelopes rejected for any other reason (allow-list, size, framing, verification), by transport",
        &TransportStats::rejected);
    if (amqp) {
      const auto as = amqp->stats();
      p.counter("uwitter_notifier_amqp_deliveries_total", "Messages the broker delivered", as.deliveries);
      p.counter("uwitter_notifier_amqp_redelivered_total",
                "Deliveries the broker flagged as redelivered (their duplicates are counted by transport)",
                as.redelivered);
      p.counter("uwitter_notifier_amqp_acks_total", "Deliveries acknowledged after they were offered",
                as.acked);
      p.counter("uwitter_notifier_amqp_reconnects_total", "Broker connections refused or lost",
                as.reconnects);
      p.gauge("uwitter_notifier_amqp_unacked", "Deliveries not yet acknowledged (at most --amqp-prefetch)",
              static_cast<double>(as.unacked));
      p.gauge("uwitter_notifier_amqp_connected", "1 while consuming from the broker",
              as.connected ? 1.0 : 0.0);
    }
    if (tcp) {
      const auto& ts = tcp->stats();
      p.counter("uwitter_notifier_tcp_accepted_total", "TCP ingest connections taken", ts.accepted);
      p.counter("uwitter_notifier_tcp_frames_total", "Complete length-prefixed frames read", ts.frames);
      p.counter("uwitter_notifier_tcp_bytes_total", "Bytes read from TCP ingest connections", ts.bytes);
      p.family("uwitter_notifier_tcp_closed_total", "TCP ingest connections closed by us, by reason",
               "counter");
      p.sample("uwitter_notifier_tcp_closed_total", {{"reason", "bad_length"}}, ts.bad_length);
      p.sample("uwitter_notifier_tcp_closed_total", {{"reason", "idle"}}, ts.idle_closed);
      p.sample("uwitter_notifier_tcp_closed_total", {{"reason", "acks_unread"}}, ts.slow_readers);
      p.sample("uwitter_notifier_tcp_closed_total", {{"reason", "too_many_connections"}}, ts.refused_full);
      p.gauge("uwitter_notifier_tcp_connections", "Open TCP ingest connections",
              static_cast<double>(tcp->connections()));
      p.gauge("uwitter_notifier_tcp_queued_bytes", "Bytes of partial frames held over every TCP connection",
              static_cast<double>(tcp->buffered_bytes()));
    }
    p.counter("uwitter_notifier_events_total", "Events in verified datagrams", is.events);
    p.family("uwitter_notifier_rejected_total", "Datagrams rejected, by reason", "counter");
    for (size_t r = 1; r < static_cast<size_t>(sign::Reject::Count_); ++r)
      p.sample("uwitter_notifier_rejected_total",
               {{"reason", sign::reject_name(static_cast<sign::Reject>(r))}}, uint64_t{vs.rejected[r]});
    for (size_t r = 0; r < static_cast<size_t>(IngestReject::Count_); ++r)
      p.sample("uwitter_notifier_rejected_total",
               {{"reason", ingest_reject_name(static_cast<IngestReject>(r))}}, uint64_t{is.own_rejects[r]});
    // The flood's share (docs/RELIABILITY.md "Forged floods"): UDP datagrams
    // that passed the cheap checks but were not worth a verify.
    const auto& vq = ingest->verify_queue();
    p.family("uwitter_notifier_shed_total",
             "UDP datagrams shed before their signature check (a forged flood's share), by reason",
             "counter");
    for (size_t r = 0; r < kShedReasons; ++r)
      p.sample("uwitter_notifier_shed_total", {{"reason", shed_name(static_cast<Shed>(r))}},
               uint64_t{vq.stats().shed[r]});
    p.counter("uwitter_notifier_verifies_total", "Signature checks paid for (every transport)", vs.verifies);
    p.gauge("uwitter_notifier_verify_queue", "UDP datagrams waiting for their signature check",
            static_cast<double>(vq.size()));
    p.gauge("uwitter_notifier_verify_sources", "UDP sources (address and port) the verify queue remembers",
            static_cast<double>(vq.sources()));
    p.counter("uwitter_notifier_udp_read_pauses_total",
              "Times UDP reading paused because the verify queue had no room for a batch", is.read_pauses);
    p.counter("uwitter_notifier_duplicates_total", "Duplicate datagrams dropped (extra copies, replays)",
              vs.rejected[static_cast<size_t>(sign::Reject::Duplicate)]);
    p.counter("uwitter_notifier_lost_total", "Sequence numbers never received (gaps and settled sessions)",
              vs.lost);
    p.counter("uwitter_notifier_before_start_total",
              "Sequence numbers of sessions already running at our start, sent before it (unknown, not lost)",
              vs.before_start);
    p.counter(
        "uwitter_notifier_late_total",
        "Sequence numbers counted lost after --gap-timeout-ms that arrived after all (and were delivered)",
        vs.late);
    p.gauge("uwitter_notifier_open_gaps",
            "Sequence numbers missing below the highest accepted and not yet counted lost",
            static_cast<double>(ingest->open_gaps()));
    p.counter("uwitter_notifier_heartbeats_total", "Sender heartbeat datagrams accepted (no events)",
              vs.heartbeats);
    p.counter("uwitter_notifier_sender_sessions_total", "Sender sessions seen", vs.sessions);
    p.counter("uwitter_notifier_kernel_drops_total",
              "Datagrams the kernel dropped on our socket (SO_RXQ_OVFL; seen with the next datagram queued)",
              ingest->kernel_drops());
    p.counter("uwitter_notifier_fanouts_total", "Post fan-outs completed", ds.fanouts);
    p.counter("uwitter_notifier_fanout_errors_total", "Fan-outs that failed (no database, ...)",
              ds.fanout_errors);
    p.counter("uwitter_notifier_notifications_delivered_total", "Notifications put in a user's inbox",
              ds.delivered);
    p.family("uwitter_notifier_suppressed_total",
             "Notifications not sent because the recipient had (or was getting) one for the same thing",
             "counter");
    p.sample("uwitter_notifier_suppressed_total", {{"reason", "mentioned"}}, ds.suppressed_mentioned);
    p.sample("uwitter_notifier_suppressed_total", {{"reason", "late_mention"}}, ds.suppressed_late_mention);
    p.sample("uwitter_notifier_suppressed_total", {{"reason", "repeat_follow"}}, ds.suppressed_repeat_follow);
    p.counter("uwitter_notifier_metrics_refused_total", "/metrics requests from outside --metrics-allow",
              api->stats().metrics_refused);
    p.counter("uwitter_notifier_sse_events_sent_total", "SSE events written to streams", ss.events_sent);
    p.counter("uwitter_notifier_sse_streams_opened_total", "SSE streams opened", ss.opened);
    p.counter("uwitter_notifier_sse_slow_cutoffs_total", "Streams cut off for a full backlog", ss.cut_slow);
    p.family("uwitter_notifier_sse_streams_refused_total",
             "SSE streams refused, by the limit that refused them", "counter");
    p.sample("uwitter_notifier_sse_streams_refused_total", {{"reason", "full"}},
             api->stats().streams_refused_full);
    p.sample("uwitter_notifier_sse_streams_refused_total", {{"reason", "user"}},
             api->stats().streams_refused_user);
    p.sample("uwitter_notifier_sse_streams_refused_total", {{"reason", "address"}},
             api->stats().streams_refused_address);
    p.counter("uwitter_notifier_tickets_rejected_total", "Requests with a missing or bad ticket",
              api->stats().tickets_rejected);
    p.counter("uwitter_notifier_tickets_shed_total",
              "Tickets refused unchecked: their address spent its bad-signature budget",
              api->stats().tickets_shed);
    p.gauge("uwitter_notifier_subscribers", "Open SSE streams", static_cast<double>(streams->count()));
    p.gauge("uwitter_notifier_inbox_bytes", "Approximate memory of inboxes and the notes they hold",
            static_cast<double>(inboxes.bytes() + live_note_bytes()));
    p.gauge("uwitter_notifier_inbox_users", "Users with an inbox", static_cast<double>(inboxes.users()));
    p.gauge("uwitter_notifier_fanout_pending", "Recipients fetched but not yet delivered",
            static_cast<double>(ds.pending_ids));
    p.gauge("uwitter_notifier_fanout_active_jobs", "Notifications being fanned out",
            static_cast<double>(ds.active_jobs));
    p.gauge("uwitter_notifier_rcvbuf_bytes", "UDP receive buffer granted by the kernel",
            static_cast<double>(ingest->rcvbuf_bytes()));
    p.gauge("uwitter_notifier_trusted_keys", "Trusted public keys", static_cast<double>(trust.ring().size()));
    p.counter("uwitter_notifier_log_dropped_bytes_total",
              "Log bytes dropped because the disk fell behind (the log is written off the loop)",
              log.dropped_bytes());
    p.counter("uwitter_notifier_log_lost_bytes_total",
              "Log bytes that may not have reached the file (failed writes, a deleted file)",
              log.lost_bytes());
    p.counter("uwitter_notifier_log_errors_total",
              "Log file failures: failed writes or flushes, deletion noticed, failed reopens", log.errors());
    p.gauge("uwitter_notifier_log_ok", "1 while log writes reach a live file, 0 while they fail",
            log.ok() ? 1.0 : 0.0);
    p.gauge("uwitter_notifier_log_pending_bytes",
            "Log bytes queued for the log writer thread and not yet in the file",
            static_cast<double>(log.pending_bytes()));
    return p.take();
  }

  void on_tick() {
    ingest->expire_gaps();
    if (tcp) tcp->sweep();
    if (++ticks % 4 != 0) return;
    if (trust.changed()) load_keys("changed");
    uint64_t kd = ingest->kernel_drops();
    if (kd > logged_kernel_drops) {
      log.write(LogLevel::Warn, "kernel_drops", {{"dropped", kd - logged_kernel_drops}, {"total", kd}});
      logged_kernel_drops = kd;
    }
  }
};

Daemon::Daemon(uv_loop_t* loop, Config cfg) : impl_(std::make_unique<Impl>(loop, std::move(cfg))) {}
Daemon::~Daemon() = default;

uint16_t Daemon::udp_port() const { return impl_->ingest ? impl_->ingest->port() : 0; }
uint16_t Daemon::http_port() const { return impl_->server ? impl_->server->port() : 0; }

Result<Unit> Daemon::start() {
  Impl& m = *impl_;
  if (auto r = m.log.open(m.cfg.log_file, m.cfg.log_format, m.cfg.log_level); !r) return r.error();
  m.log.set_flood_rate(m.cfg.reject_log_per_s);
  if (!sign::init()) return Error{500, "libsodium", "libsodium failed to start"};
  if (m.cfg.trust_files.empty())
    return Error{500, "no_trust", "no --trust key file: nothing could ever verify"};
  m.load_keys("loaded");
  if (is_postgres_target(m.cfg.db_path)) {
    // A SQLite file may appear later (the web app creates it); a PostgreSQL
    // server that cannot be reached at all is a configuration error worth
    // stopping for. A database the web app has not migrated yet is fine.
    Store::Options o;
    o.read_only = true;
    if (auto s = Store::open(m.cfg.db_path, o); !s && s.error().code == "db_unavailable") return s.error();
  }

  http::Limits limits;
  // Streams enforces --sse-backlog on what is left unsent after each write; the
  // server's own cap (checked before a write) only has to stop a runaway.
  limits.max_stream_backlog_bytes = std::max<uint64_t>(m.cfg.sse_backlog, 64u << 20);
  limits.max_connections = m.cfg.max_subscribers + 256;
  m.server = std::make_unique<http::Server>(m.loop, limits, [&m](http::Request&& req, http::Responder res) {
    m.api->handle(std::move(req), std::move(res));
  });
  m.streams = std::make_unique<Streams>(m.loop, *m.server, m.cfg.heartbeat_ms, m.cfg.sse_backlog);
  m.server->on_close([&m](uint64_t conn) { m.streams->remove(conn); });
  m.streams->on_cut([&m](uint64_t conn, int64_t user, size_t queued) {
    m.log.write(LogLevel::Warn, "slow_stream",
                {{"event", "cut_off"},
                 {"user_id", user},
                 {"conn", conn},
                 {"queued", static_cast<uint64_t>(queued)},
                 {"limit", m.cfg.sse_backlog}});
  });

  FanoutWorker::Options wo;
  wo.db_path = m.cfg.db_path;
  wo.chunk = m.cfg.fanout_chunk;
  wo.max_outstanding = std::max<size_t>(m.cfg.fanout_chunk * 16, 65536);
  Delivery::Options dopt;
  dopt.per_turn = m.cfg.deliveries_per_turn;
  dopt.repeats.follow_window_ms = m.cfg.follow_repeat_s * 1000;
  m.delivery = std::make_unique<Delivery>(m.loop, dopt, wo, m.inboxes, *m.streams, m.log);

  Ingest::Options io;
  io.host = m.cfg.udp.host;
  io.port = m.cfg.udp.port;
  io.rcvbuf = m.cfg.rcvbuf;
  io.allow = m.cfg.allow;
  io.allow_tcp = m.cfg.allow_tcp ? *m.cfg.allow_tcp : m.cfg.allow;
  io.allow_http = m.cfg.allow_http ? *m.cfg.allow_http : m.cfg.allow;
  io.verify.max_age_ms = m.cfg.max_age_ms;
  io.verify.max_future_ms = m.cfg.max_future_ms;
  io.verify.gap_timeout_ms = static_cast<int64_t>(m.cfg.gap_timeout_ms);
  io.verify.started_ms = clock::now_ms();
  io.verify_budget_us = m.cfg.verify_budget_us;
  io.queue.slots = m.cfg.verify_queue;
  io.queue.source_new_per_s = static_cast<double>(m.cfg.session_starts_per_s);
  io.queue.source_new_burst = 4.0 * static_cast<double>(m.cfg.session_starts_per_s);
  io.queue.new_per_s = static_cast<double>(m.cfg.session_starts_total_per_s);
  io.queue.new_burst = 2.0 * static_cast<double>(m.cfg.session_starts_total_per_s);
  m.ingest = std::make_unique<Ingest>(m.loop, m.trust.ring(), io, m.log,
                                      [&m](const sign::EventView& ev, uint64_t ns) { m.on_event(ev, ns); });
  // An unknown key may be a key file that changed a moment ago: look (at most
  // every 100 ms, so a flood of unknown keys cannot turn into a flood of stats).
  m.ingest->on_unknown_key([&m] {
    uint64_t now = uv_now(m.loop);
    if (now - m.last_key_look_ms < 100) return false;
    m.last_key_look_ms = now;
    if (!m.trust.changed()) return false;
    m.load_keys("changed");
    return true;
  });
  HttpApi::Deps deps{&m.trust.ring(),
                     &m.inboxes,
                     m.streams.get(),
                     &m.log,
                     [&m] { return m.render_metrics(); },
                     m.cfg.cors_origins,
                     m.cfg.max_subscribers,
                     m.cfg.max_streams_per_user,
                     m.cfg.max_streams_per_address,
                     m.cfg.metrics_allow,
                     [&m](std::span<const uint8_t> body, const std::string& ip) {
                       return m.ingest->offer(Transport::Http, body, nullptr, ip);
                     }};
  m.api = std::make_unique<HttpApi>(std::move(deps));
  if (m.cfg.tcp) {
    TcpIngest::Options to;
    to.host = m.cfg.tcp->host;
    to.port = m.cfg.tcp->port;
    to.max_connections = m.cfg.tcp_max_connections;
    to.idle_ms = m.cfg.tcp_idle_ms;
    m.tcp = std::make_unique<TcpIngest>(m.loop, to, *m.ingest, m.log);
  }

  if (m.cfg.amqp) {
    AmqpConsumer::Options ao;
    ao.url = *m.cfg.amqp;
    ao.prefetch = m.cfg.amqp_prefetch;
    m.amqp = std::make_unique<AmqpConsumer>(m.loop, ao, m.log, [&m](std::span<const uint8_t> body, bool) {
      (void)m.ingest->offer(Transport::Amqp, body, nullptr, m.cfg.amqp->host);
    });
  }

  uv_timer_init(m.loop, &m.tick);
  m.tick.data = &m;
  m.tick_open = true;
  m.delivery->start();

  if (auto r = m.ingest->start(); !r) return r.error();
  if (m.tcp)
    if (auto r = m.tcp->start(); !r) return r.error();
  if (m.amqp)
    if (auto r = m.amqp->start(); !r) return r.error();
  int rc = m.server->listen(m.cfg.http.host, m.cfg.http.port);
  if (rc != 0)
    return Error{
        500, "listen",
        "http listen " + m.cfg.http.host + ":" + std::to_string(m.cfg.http.port) + ": " + uv_strerror(rc)};

  uv_timer_start(
      &m.tick, [](uv_timer_t* t) { static_cast<Impl*>(t->data)->on_tick(); }, 250, 250);
  m.log.write(LogLevel::Info, "start",
              {{"udp", m.cfg.udp.host + ":" + std::to_string(m.ingest->port())},
               {"http", m.cfg.http.host + ":" + std::to_string(m.server->port())},
               {"rcvbuf", static_cast<int64_t>(m.ingest->rcvbuf_bytes())},
               {"db", redact_target(m.cfg.db_path)},
               {"inbox", static_cast<uint64_t>(m.cfg.inbox)}});
  return Unit{};
}

void Daemon::announce() {
  Impl& m = *impl_;
  std::printf("listening udp %s:%u\n", m.cfg.udp.host.c_str(), m.ingest->port());
  std::printf("listening http %s:%u\n", m.cfg.http.host.c_str(), m.server->port());
  if (m.tcp) std::printf("listening tcp %s:%u\n", m.tcp->host().c_str(), m.tcp->port());
  std::fflush(stdout);
}

void Daemon::handle_signals() {
  Impl& m = *impl_;
  // A write to a subscriber that has just gone away must fail with EPIPE (the
  // connection is then closed), not kill the daemon with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  m.signals = true;
  uv_signal_init(m.loop, &m.sig_term);
  uv_signal_init(m.loop, &m.sig_int);
  uv_signal_init(m.loop, &m.sig_hup);
  m.sig_term.data = m.sig_int.data = m.sig_hup.data = this;
  auto stop = [](uv_signal_t* s, int) { static_cast<Daemon*>(s->data)->shutdown(); };
  uv_signal_start(&m.sig_term, stop, SIGTERM);
  uv_signal_start(&m.sig_int, stop, SIGINT);
  uv_signal_start(
      &m.sig_hup, [](uv_signal_t* s, int) { static_cast<Daemon*>(s->data)->reload(); }, SIGHUP);
}

void Daemon::reload() {
  Impl& m = *impl_;
  // A failed reopen keeps the old file (FileWriter says so on stderr too), and
  // no line claims a reopen that did not happen.
  if (auto r = m.log.reopen(); !r) {
    m.log.write(LogLevel::Error, "log", {{"problem", r.error().message}});
  } else {
    m.log.write(LogLevel::Info, "reopen", {{"log_file", m.cfg.log_file}});
  }
  m.load_keys("reloaded");
}

void Daemon::shutdown() {
  Impl& m = *impl_;
  if (m.shutting_down) return;
  m.shutting_down = true;
  m.log.write(LogLevel::Info, "stop",
              {{"received", m.ingest ? m.ingest->stats().received : 0},
               {"verified", m.ingest ? m.ingest->stats().verified : 0}});
  if (m.signals) {
    uv_close(reinterpret_cast<uv_handle_t*>(&m.sig_term), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&m.sig_int), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&m.sig_hup), nullptr);
    m.signals = false;
  }
  if (m.tick_open) {
    uv_close(reinterpret_cast<uv_handle_t*>(&m.tick), nullptr);
    m.tick_open = false;
  }
  if (m.ingest) m.ingest->close(nullptr);
  if (m.tcp) m.tcp->close(nullptr);
  if (m.amqp) m.amqp->close(nullptr);
  if (m.delivery) m.delivery->close(nullptr);
  if (m.server) {
    m.server->shutdown(500, [&m] {
      if (m.streams) m.streams->close(nullptr);
    });
  } else if (m.streams) {
    m.streams->close(nullptr);
  }
}

}  // namespace uw::notifier
