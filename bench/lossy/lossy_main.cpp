// uwitter-lossy: a seeded lossy UDP relay. Thin: flags, the Relay, signals.
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/lossy/relay.hpp"
#include "core/flags.hpp"

namespace {

using uw::lossy::Relay;
using uw::lossy::RelayConfig;

// The loop's handles besides the relay's own; all live in main's frame and
// are closed before the loop is closed.
struct Main {
  uv_loop_t loop{};
  uv_signal_t sigterm{}, sigint{}, sigusr1{};
  uv_timer_t stats_timer{};
  Relay* relay = nullptr;
  bool stopping = false;
};

void print_stats(Main* m, const char* tag) {
  std::printf("%s %s\n", tag, m->relay->stats_line().c_str());
  std::fflush(stdout);
}

void stop(Main* m) {
  if (m->stopping) return;
  m->stopping = true;
  m->relay->close([m] {
    print_stats(m, "summary");
    uv_close(reinterpret_cast<uv_handle_t*>(&m->sigterm), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&m->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&m->sigusr1), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&m->stats_timer), nullptr);
  });
}

}  // namespace

// A bench tool: an exception that ends it fails the run (terminate prints what()).
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  RelayConfig cfg;
  std::string listen = "127.0.0.1:0", forward;
  uint64_t stats_interval_ms = 0;
  auto& imp = cfg.impairment;
  uw::Flags flags(
      "uwitter-lossy",
      "A seeded lossy UDP relay: receives datagrams on --listen, impairs them, forwards to --forward.\n"
      "The same seed and the same arrival order give exactly the same decisions.");
  flags.value("listen", "HOST:PORT", "where to receive (default 127.0.0.1:0; port 0 picks one)",
              uw::text_flag(&listen));
  flags.value("forward", "HOST:PORT", "where to send what survives (required)", uw::text_flag(&forward));
  flags.value("seed", "N", "PRNG seed (default 1)", uw::whole_flag(&imp.seed));
  flags.value("drop", "P", "independent drop probability", uw::number_flag(&imp.drop));
  flags.value("burst-loss", "P", "Gilbert-Elliott stationary loss rate", uw::number_flag(&imp.burst_loss));
  flags.value("burst-len", "L", "Gilbert-Elliott mean burst length in datagrams (>= 1, default 1)",
              uw::number_flag(&imp.burst_len));
  flags.value("duplicate", "P", "probability of sending an extra copy", uw::number_flag(&imp.duplicate));
  flags.value("reorder", "P", "probability of holding a datagram back by --reorder-delay-ms",
              uw::number_flag(&imp.reorder));
  flags.value("reorder-delay-ms", "D", "hold time of a reordered datagram",
              uw::number_flag(&imp.reorder_delay_ms));
  flags.value("corrupt", "P", "probability of flipping one random bit", uw::number_flag(&imp.corrupt));
  flags.value("delay-ms", "D", "fixed delay for every datagram", uw::number_flag(&imp.delay_ms));
  flags.value("jitter-ms", "J", "plus a uniform [0, J) random delay", uw::number_flag(&imp.jitter_ms));
  flags.value("truth", "FILE", "write one line per datagram: what was done to it",
              uw::text_flag(&cfg.truth_path));
  flags.value("stats-interval-ms", "MS", "print a stats line every MS (0 = only on SIGUSR1 and at exit)",
              uw::whole_flag(&stats_interval_ms));
  flags.value("socket-buffer", "SIZE", "socket receive/send buffer to ask for (default 8MiB)",
              [&](const std::string& v) -> uw::Result<uw::Unit> {
                auto s = uw::parse_size(v);
                if (!s || *s > (1u << 30)) return uw::bad_value("not a size up to 1GiB");
                cfg.socket_buffer_bytes = *s;
                return uw::Unit{};
              });
  int rc = flags.parse(argc, argv);
  if (flags.exit_now()) return rc;
  if (!flags.positional().empty()) {
    std::fprintf(stderr, "uwitter-lossy: unexpected argument %s\n", flags.positional()[0].c_str());
    return 2;
  }
  auto lhp = uw::parse_host_port(listen);
  if (!lhp) {
    std::fprintf(stderr, "uwitter-lossy: --listen %s: not HOST:PORT\n", listen.c_str());
    return 2;
  }
  auto fhp = uw::parse_host_port(forward);
  if (!fhp || fhp->port == 0) {
    std::fprintf(stderr, "uwitter-lossy: --forward %s: need HOST:PORT with a non-zero port\n",
                 forward.c_str());
    return 2;
  }
  cfg.listen = *lhp;
  cfg.forward = *fhp;

  Main m;
  uv_loop_init(&m.loop);
  auto relay = Relay::create(&m.loop, cfg);
  if (!relay) {
    std::fprintf(stderr, "uwitter-lossy: %s\n", relay.error().message.c_str());
    uv_run(&m.loop, UV_RUN_DEFAULT);  // lets a half-built relay finish closing
    uv_loop_close(&m.loop);
    return relay.error().status;
  }
  m.relay = relay->get();
  m.sigterm.data = m.sigint.data = m.sigusr1.data = m.stats_timer.data = &m;
  uv_signal_init(&m.loop, &m.sigterm);
  uv_signal_init(&m.loop, &m.sigint);
  uv_signal_init(&m.loop, &m.sigusr1);
  uv_timer_init(&m.loop, &m.stats_timer);
  uv_signal_start(
      &m.sigterm, [](uv_signal_t* s, int) { stop(static_cast<Main*>(s->data)); }, SIGTERM);
  uv_signal_start(
      &m.sigint, [](uv_signal_t* s, int) { stop(static_cast<Main*>(s->data)); }, SIGINT);
  uv_signal_start(
      &m.sigusr1, [](uv_signal_t* s, int) { print_stats(static_cast<Main*>(s->data), "stats"); }, SIGUSR1);
  if (stats_interval_ms > 0)
    uv_timer_start(
        &m.stats_timer, [](uv_timer_t* t) { print_stats(static_cast<Main*>(t->data), "stats"); },
        stats_interval_ms, stats_interval_ms);

  std::printf("listening udp %s:%u\n", m.relay->host().c_str(), m.relay->port());
  std::fflush(stdout);
  uv_run(&m.loop, UV_RUN_DEFAULT);
  relay->reset();
  int close_rc = uv_loop_close(&m.loop);
  if (close_rc != 0) {
    std::fprintf(stderr, "uwitter-lossy: handles left open at exit\n");
    return 1;
  }
  return 0;
}
