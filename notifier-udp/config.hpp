#pragma once
// uw::notifier::Config — every flag of uwitter-notifier (see --help and
// docs/NOTIFIER.md). parse_config() is used by notifier_main.cpp and tests.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/amqp/url.hpp"
#include "core/flags.hpp"
#include "notifier-udp/allow_list.hpp"
#include "notifier-udp/event_log.hpp"

namespace uw::notifier {

// 127.0.0.0/8 and ::1: the default of --metrics-allow.
AllowList loopback_only();

struct Config {
  HostPort udp{"127.0.0.1", 7700};
  HostPort http{"127.0.0.1", 7701};
  std::string db_path;                   // read-only follow graph ("" = none)
  std::vector<std::string> trust_files;  // public keys; re-read on SIGHUP or change
  AllowList allow;                       // empty = any source
  std::optional<HostPort> tcp;           // --listen-tcp: the tcp:// transport (none by default)
  std::optional<AllowList> allow_tcp;    // TCP peers (unset: --allow)
  std::optional<AllowList> allow_http;   // POST /ingest clients (unset: --allow)
  std::optional<amqp::Url> amqp;         // --amqp: consume the amqp:// transport's queue (none by default)
  uint16_t amqp_prefetch = 256;          // deliveries unacknowledged at once (basic.qos)
  size_t tcp_max_connections = 64;
  uint64_t tcp_idle_ms = 30'000;  // a silent peer, or a frame left half-sent, is closed after this
  std::string log_file;           // "" = stderr
  LogFormat log_format = LogFormat::Human;
  LogLevel log_level = LogLevel::Info;
  double reject_log_per_s = 20;                 // rate limit of rejection lines
  size_t inbox = 50;                            // notifications kept per user
  uint64_t rcvbuf = 8 << 20;                    // socket receive buffer
  std::vector<std::string> cors_origins;        // reflected in Access-Control-Allow-Origin
  uint64_t sse_backlog = uint64_t{256} * 1024;  // unsent bytes after a write that cut a stream off
  uint64_t heartbeat_ms = 15'000;
  int64_t max_age_ms = 30'000;    // older datagrams are stale
  int64_t max_future_ms = 5'000;  // send times further ahead are refused as future
  uint64_t gap_timeout_ms =
      2'000;  // a missing sequence number is counted lost after this (0: only when it leaves the window)
  uint64_t follow_repeat_s = 3'600;  // "followed you" at most once per pair within this (0: every time)
  AllowList metrics_allow = loopback_only();  // who may read /metrics
  size_t fanout_chunk = 4096;                 // follower ids per database read
  size_t deliveries_per_turn = 512;           // bound on fan-out work per loop turn
  size_t max_subscribers = 10'000;
  size_t max_streams_per_user = 8;      // a few tabs' worth
  size_t max_streams_per_address = 64;  // one office behind one NAT address
  // The UDP verify budget (notifier-udp/verify_queue.hpp, docs/RELIABILITY.md).
  uint64_t verify_budget_us = 1000;   // signature checks per loop turn, in time
  size_t verify_queue = 4096;         // datagrams waiting for a verify at once
  uint64_t session_starts_per_s = 4;  // new-session datagrams verified per source and second (burst 4x)
  uint64_t session_starts_total_per_s = 256;  // ... over every source together (burst 2x)
};

// Registers every flag on `flags`, writing into *cfg.
void register_flags(Flags& flags, Config* cfg);

}  // namespace uw::notifier
