#pragma once
// uw::notifier::Daemon — uwitter-notifier assembled: Ingest (UDP, verify) ->
// Delivery (FanoutWorker thread, bounded per-turn delivery) -> Inboxes +
// Streams (SSE over http::Server), plus metrics, the operator's log, key
// reloads (SIGHUP or a changed trust file) and clean shutdown (SIGTERM/SIGINT).
// Threading: construct, start and run on one thread (the loop thread).
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "notifier-udp/config.hpp"

namespace uw::notifier {

class Daemon {
 public:
  Daemon(uv_loop_t* loop, Config cfg);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Opens the log, loads keys, binds both sockets, starts the worker. On an
  // Error, print its message, then call shutdown and run the loop.
  Result<Unit> start();
  // Prints "listening udp HOST:PORT" and "listening http HOST:PORT" on stdout.
  // Call after start() and handle_signals(): a SIGTERM sent right after the
  // readiness lines must find the handler installed.
  void announce();
  // Installs SIGTERM/SIGINT (shutdown) and SIGHUP (reload keys, reopen log).
  void handle_signals();
  // Stops accepting, closes every handle; the loop then runs out.
  void shutdown();
  // SIGHUP's work: reopen the log, reload trusted keys.
  void reload();
  uint16_t udp_port() const;
  uint16_t http_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uw::notifier
