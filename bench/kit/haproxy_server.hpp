#pragma once
// uw::kit::HaproxyServer — a throwaway HAProxy (Debian's haproxy) for tests
// and benchmarks: its configuration is the repository's template
// scripts/cluster/haproxy.cfg.in (the one scripts/cluster.sh runs) filled in
// with the given backends, a free port on 127.0.0.1 and a stats socket, all
// in a kit::TempDir. HAProxy runs in the foreground (-db) as a child process;
// start() waits (polling, bounded) until it accepts connections; the
// destructor stops it (SIGTERM, then SIGKILL) and removes the directory, so a
// failing test leaves nothing running.
//
// Health checks are `GET /healthz` every check_interval (fall/rise as
// given): backend_states() reads which servers HAProxy holds UP or DOWN
// through the stats socket, so a test waits for a state instead of a time.
//
// A missing haproxy is an error with a clear message (".ci/install-deps
// installs it"), never a silent skip. Used by one thread at a time.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

namespace uw::kit {

class HaproxyServer {
 public:
  struct Options {
    std::vector<uint16_t> backends;  // uwitter-web ports on 127.0.0.1: servers web1, web2, ...
    int check_interval_ms = 250;
    int fall = 2;
    int rise = 1;
    bool forward_for = false;  // add X-Forwarded-For (option forwardfor)
  };
  HaproxyServer() = default;
  ~HaproxyServer();  // stop() and remove the directory
  HaproxyServer(const HaproxyServer&) = delete;
  HaproxyServer& operator=(const HaproxyServer&) = delete;

  // The haproxy program (/usr/sbin/haproxy, or the one on PATH), "" when absent.
  static std::string binary();
  // The configuration template in the source tree.
  static std::string template_path();
  // The template filled in (exposed for the test of the template itself).
  static std::string config_text(const std::string& listen, const std::string& stats_socket,
                                 const Options& options);

  // Writes the configuration and starts haproxy; false with error() on failure.
  bool start(const Options& options);
  // SIGTERM (HAProxy's hard stop) and wait, SIGKILL when it hangs.
  bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool running() const { return proc_.running(); }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log_text() const { return proc_.stderr_text(); }
  pid_t pid() const { return proc_.pid(); }

  // Server name ("web1", ...) -> HAProxy's status ("UP", "DOWN", "UP 1/2",
  // "no check", ...), from `show stat` on the stats socket; empty on failure.
  std::map<std::string, std::string> backend_states() const;
  // Raw answer of one stats-socket command ("" on failure).
  std::string stats_command(const std::string& command) const;

 private:
  bool wait_ready(std::chrono::milliseconds timeout);
  std::unique_ptr<TempDir> dir_;
  std::string bin_;
  std::string socket_;
  uint16_t port_ = 0;
  ChildProcess proc_;
  std::string error_;
};

}  // namespace uw::kit
