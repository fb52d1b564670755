// uwitter-notifier: verify signed UDP datagrams, fan notifications out to
// followers, deliver them over Server-Sent Events. `uwitter-notifier tail FILE`
// follows its log. Thin: parse flags, build the Daemon, run the loop.
#include <uv.h>

#include <cstdio>
#include <cstring>

#include "core/flags.hpp"
#include "notifier-udp/config.hpp"
#include "notifier-udp/daemon.hpp"
#include "notifier-udp/tail.hpp"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "tail") == 0) return uw::notifier::tail_main(argc, argv);

  uw::notifier::Config cfg;
  uw::Flags flags(
      "uwitter-notifier",
      "Receives Ed25519-signed UDP datagrams from uwitter-web, verifies them, fans notifications\n"
      "out to followers (follow graph read-only from --db) and serves them as Server-Sent Events.\n"
      "Also: uwitter-notifier tail FILE [--user NAME] [--kind KIND] [--json]  (see `tail --help`).\n"
      "Signals: SIGHUP reloads trusted keys and reopens the log file; SIGTERM stops cleanly.");
  uw::notifier::register_flags(flags, &cfg);
  int rc = flags.parse(argc, argv);
  if (flags.exit_now()) return rc;
  if (!flags.positional().empty()) {
    std::fprintf(stderr, "uwitter-notifier: unexpected argument %s (see --help)\n",
                 flags.positional()[0].c_str());
    return 2;
  }

  uv_loop_t loop;
  uv_loop_init(&loop);
  int status = 0;
  {
    uw::notifier::Daemon d(&loop, cfg);
    if (auto started = d.start(); !started) {
      std::fprintf(stderr, "uwitter-notifier: %s\n", started.error().message.c_str());
      status = 1;
      d.shutdown();
    } else {
      d.handle_signals();
      d.announce();
    }
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  if (uv_loop_close(&loop) != 0) {
    uv_walk(
        &loop, [](uv_handle_t* h, void*) { std::fprintf(stderr, "leaked handle type %d\n", h->type); },
        nullptr);
    return status ? status : 1;
  }
  return status;
}
