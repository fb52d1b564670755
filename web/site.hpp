#pragma once
// uw::web::Site — uwitter-web assembled: the signing key, the Service (store,
// writer, readers, caches), the Emitter (with --notify), the front door App
// (route table, API, pages, access log) and the http::Server, plus clean
// shutdown on SIGTERM/SIGINT: stop accepting, let in-flight requests finish,
// drain the writer, flush the access log; the loop then runs out. SIGHUP
// reopens the access log (log rotation). start() raises the open-file limit.
// web/web_main.cpp only parses flags into a SiteConfig.
// Threading: construct, start and run on one thread (the loop thread).
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/flags.hpp"
#include "core/http/server.hpp"
#include "core/result.hpp"
#include "web/emitter/notify_target.hpp"
#include "web/http/fragments.hpp"

namespace uw::web {

struct SiteConfig {
  HostPort listen{"127.0.0.1", 8080};
  std::string data = "data";     // database and keys
  std::string db;                // --db: SQLite file or postgresql:// URI ("" = data/uwitter.db)
  std::string instance_name;     // --instance-name: this instance in the change feed ("" = random)
  std::vector<HostPort> notify;  // --notify: UDP targets
  std::vector<NotifyTarget> notify_streams;  // --notify: tcp:// and http:// targets
  int udp_copies = 1;
  uint64_t udp_copy_spacing_us = 0;
  uint64_t notify_heartbeat_ms = 1000;  // emitter heartbeat interval (0 = none)
  bool notify_http_sync = false;        // posts wait for http:// targets' answers
  uint64_t notify_sync_timeout_ms = 5000;
  std::vector<std::string> notifier_urls;  // --notifier-url, in the order given (no trailing '/')
  bool demo = false;
  bool synchronous_full = false;
  int busy_timeout_ms = 5000;  // Store::Options::busy_timeout_ms (--busy-timeout)
  uint64_t session_ttl_s = uint64_t{30} * 24 * 3600;
  http::Limits limits;
  std::string access_log;
  bool https_cookies = false;
  std::vector<std::string> allowed_origins;
  // --csrf-secret-file: the CSRF secret shared by instances behind one load
  // balancer ("" = a random one per process).
  std::string csrf_secret_file;
  // --trusted-proxy CIDR[,CIDR...]: reverse proxies whose X-Forwarded-For is believed ("" = none).
  std::string trusted_proxies;
  // Who may read /metrics (--metrics-allow CIDR[,CIDR...]; default loopback).
  std::string metrics_allow = "127.0.0.0/8,::1/128";
  // --metrics-listen HOST:PORT: /metrics only on this separate listener.
  std::optional<HostPort> metrics_listen;
  // Posting and sign-up limits (--post-rate, --post-burst, --signup-rate,
  // --signup-burst): tokens per second, 0 = no limit.
  double post_rate_per_s = 10.0 / 60.0;
  int post_burst = 100;
  double signup_rate_per_s = 6.0 / 60.0;
  int signup_burst = 30;
  // --html-cache: rendered uweets kept for reuse (PagesConfig::html_cache_entries).
  size_t html_cache_entries = views::UweetFragments::kDefaultCapacity;
};

class Site {
 public:
  Site(uv_loop_t* loop, SiteConfig cfg);
  ~Site();
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  // Creates the data directory and key pair if needed, opens the store and the
  // access log, starts the emitter and listens. An Error whose message the
  // caller prints when any of that fails.
  Result<Unit> start();
  // Installs SIGTERM/SIGINT: shutdown(); SIGHUP: reopen the access log.
  void handle_signals();
  // Prints "listening http HOST:PORT" on stdout, after seeding the demo data
  // with --demo. Call after start() and handle_signals(): a SIGTERM sent right
  // after the readiness line must find the handler installed.
  void announce();
  // Stops accepting, drains, closes every handle; the loop then runs out.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uw::web
