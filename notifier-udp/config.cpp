#include "notifier-udp/config.hpp"

namespace uw::notifier {

AllowList loopback_only() {
  auto a = AllowList::parse("127.0.0.0/8,::1/128");
  return a ? std::move(a.value()) : AllowList{};
}

void register_flags(Flags& f, Config* c) {
  f.value("listen-udp", "HOST:PORT",
          "UDP address for signed datagrams (default 127.0.0.1:7700; port 0 = any)", host_port_flag(&c->udp));
  f.value("listen-http", "HOST:PORT",
          "HTTP address for /events, /inbox, /healthz, /metrics (default 127.0.0.1:7701)",
          host_port_flag(&c->http));
  f.value("db", "FILE|postgresql://...",
          "the web app's database (SQLite file or PostgreSQL URI), read-only, for the follow graph",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            c->db_path = v;
            return uw::Unit{};
          });
  f.value("trust", "PUBKEY_FILE",
          "trusted public key file (repeatable; one key per line); re-read on SIGHUP and when it changes",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            c->trust_files.push_back(v);
            return uw::Unit{};
          });
  f.value("allow", "CIDR[,CIDR...]", "accept datagrams only from these source prefixes (default: any)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            auto a = AllowList::parse(v);
            if (!a) return uw::bad_value(a.error().message);
            c->allow = std::move(a.value());
            return uw::Unit{};
          });
  f.value("listen-tcp", "HOST:PORT",
          "TCP address for length-prefixed envelopes (the tcp:// transport; default: none; port 0 = any)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            HostPort hp;
            if (auto r = host_port_flag(&hp)(v); !r) return r;
            c->tcp = hp;
            return uw::Unit{};
          });
  f.value("allow-tcp", "CIDR[,CIDR...]", "accept TCP envelopes only from these peers (default: --allow)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            auto a = AllowList::parse(v);
            if (!a) return uw::bad_value(a.error().message);
            c->allow_tcp = std::move(a.value());
            return uw::Unit{};
          });
  f.value("allow-http", "CIDR[,CIDR...]",
          "accept POST /ingest envelopes only from these clients (default: --allow)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            auto a = AllowList::parse(v);
            if (!a) return uw::bad_value(a.error().message);
            c->allow_http = std::move(a.value());
            return uw::Unit{};
          });
  f.value("amqp", "URL",
          "consume signed envelopes from RabbitMQ: amqp://USER:PASS@HOST:PORT/VHOST[?queue=NAME] (durable "
          "queue, default uwitter.notify; manual acks; default: none)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            auto u = amqp::parse_url(v);
            if (!u) return uw::bad_value(u.error().message);
            c->amqp = std::move(u.value());
            return uw::Unit{};
          });
  f.value("amqp-prefetch", "N", "AMQP deliveries unacknowledged at once (basic.qos; default 256)",
          whole_flag<uint16_t>(&c->amqp_prefetch, 1, 65535));
  f.value("tcp-max-conns", "N", "TCP ingest connections at once; later ones are closed (default 64)",
          whole_flag<size_t>(&c->tcp_max_connections, 1, 100000));
  f.value("tcp-idle-ms", "MS",
          "close a TCP peer silent this long, or one that left a frame half-sent this long (default 30000)",
          whole_flag<uint64_t>(&c->tcp_idle_ms, 10, 3600000));
  f.value("log-file", "FILE", "write the log here (default stderr); reopened on SIGHUP for rotation",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            c->log_file = v;
            return uw::Unit{};
          });
  f.value("log-format", "human|json", "log lines as key=value (human, default) or JSON Lines",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            if (v == "human")
              c->log_format = LogFormat::Human;
            else if (v == "json")
              c->log_format = LogFormat::Json;
            else
              return uw::bad_value("expected human or json");
            return uw::Unit{};
          });
  f.value("log-level", "LEVEL", "debug|info|warn|error (default info; debug logs every delivery)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            if (!parse_log_level(v, &c->log_level))
              return uw::bad_value("expected debug, info, warn or error");
            return uw::Unit{};
          });
  f.value("log-rejects-per-s", "N", "rate limit of 'rejected' log lines (default 20/s, burst 4x)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            uint64_t n = 0;
            auto parsed = whole_flag(&n, 1, 1000000)(v);
            if (parsed.ok()) c->reject_log_per_s = static_cast<double>(n);
            return parsed;
          });
  f.value("inbox", "N", "notifications kept per user for /inbox and reconnects (default 50)",
          whole_flag<size_t>(&c->inbox, 1, 10000));
  f.value("rcvbuf", "SIZE",
          "UDP receive buffer, e.g. 8MiB (SO_RCVBUFFORCE as root, else SO_RCVBUF; kernel drops are counted)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            auto s = parse_size(v);
            if (!s || *s > (1u << 30)) return uw::bad_value("expected a size up to 1GiB");
            c->rcvbuf = *s;
            return uw::Unit{};
          });
  f.value("cors-origin", "ORIGIN",
          "browser origin allowed to open streams, e.g. http://127.0.0.1:8080 (repeatable; reflected when it "
          "matches)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            c->cors_origins.push_back(v);
            return uw::Unit{};
          });
  f.value("sse-backlog", "SIZE",
          "a stream still holding more than this unsent after a write is cut off (default 256KiB, min 1KiB)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            auto s = parse_size(v);
            if (!s || *s < 1024) return uw::bad_value("expected a size of at least 1KiB");
            c->sse_backlog = *s;
            return uw::Unit{};
          });
  f.value("heartbeat-ms", "MS", "interval of the SSE heartbeat comment (default 15000)",
          whole_flag<uint64_t>(&c->heartbeat_ms, 10, 3600000));
  f.value("max-age-ms", "MS", "datagrams sent longer ago than this are stale (default 30000)",
          whole_flag<int64_t>(&c->max_age_ms, 1, 86400000));
  f.value(
      "max-future-ms", "MS",
      "datagrams whose send time is more than this ahead of our clock are refused as future (default 5000)",
      whole_flag<int64_t>(&c->max_future_ms, 0, 86400000));
  f.value("gap-timeout-ms", "MS",
          "a missing sequence number still missing after this long is counted lost (default 2000; 0 = only "
          "once 4096 later ones arrived)",
          whole_flag<uint64_t>(&c->gap_timeout_ms, 0, 3600000));
  f.value(
      "follow-repeat-s", "S",
      "\"followed you\" is sent at most once per follower and user within this many seconds (default 3600; "
      "0 = every time)",
      whole_flag<uint64_t>(&c->follow_repeat_s, 0, 31536000));
  f.value("metrics-allow", "CIDR[,CIDR...]",
          "addresses that may read /metrics (default 127.0.0.0/8,::1; 0.0.0.0/0,::/0 = anyone)",
          [c](const std::string& v) -> uw::Result<uw::Unit> {
            auto a = AllowList::parse(v);
            if (!a) return uw::bad_value(a.error().message);
            c->metrics_allow = std::move(a.value());
            return uw::Unit{};
          });
  f.value("fanout-chunk", "N", "follower ids read per database query (default 4096)",
          whole_flag<size_t>(&c->fanout_chunk, 1, 1000000));
  f.value("deliveries-per-turn", "N", "bound on deliveries per event-loop turn (default 512)",
          whole_flag<size_t>(&c->deliveries_per_turn, 1, 10000000));
  f.value("max-subscribers", "N", "open SSE streams allowed at once (default 10000)",
          whole_flag<size_t>(&c->max_subscribers, 1, 10000000));
  f.value("max-streams-per-user", "N", "open SSE streams one user may hold (default 8)",
          whole_flag<size_t>(&c->max_streams_per_user, 1, 10000000));
  f.value("max-streams-per-address", "N",
          "open SSE streams one peer address may hold (default 64; behind a proxy, the proxy's address)",
          whole_flag<size_t>(&c->max_streams_per_address, 1, 10000000));
  f.value("verify-budget-us", "US",
          "time spent on UDP signature checks per event-loop turn before HTTP gets its turn (default 1000)",
          whole_flag<uint64_t>(&c->verify_budget_us, 10, 1000000));
  f.value("verify-queue", "N",
          "UDP datagrams held waiting for a signature check (default 4096; reading pauses when full)",
          whole_flag<size_t>(&c->verify_queue, 64, 1000000));
  f.value("session-starts-per-s", "N",
          "datagrams claiming a new sender session verified per source address and port and second; the "
          "rest are shed unchecked (default 4, burst 4x)",
          whole_flag<uint64_t>(&c->session_starts_per_s, 1, 1000000));
  f.value("session-starts-total-per-s", "N", "the same over every source together (default 256, burst 2x)",
          whole_flag<uint64_t>(&c->session_starts_total_per_s, 1, 10000000));
}

}  // namespace uw::notifier
