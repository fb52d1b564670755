// uwitter-hello-uw: the same "Hello, World!" as uwitter-hello, served through
// uw::http::Server (limits, timers, Date, hooks and all). Run both in one
// benchmark session: the gap is what the server layer costs per request.
#include <uv.h>

#include <csignal>
#include <cstdio>

#include "core/flags.hpp"
#include "core/http/server.hpp"

int main(int argc, char** argv) {
  uw::HostPort hp{"127.0.0.1", 8082};
  uw::Flags flags("uwitter-hello-uw",
                  "Answers every HTTP request with 200 \"Hello, World!\" via uw::http::Server.");
  flags.value("listen", "HOST:PORT", "address to listen on (port 0 picks a free one; default 127.0.0.1:8082)",
              uw::host_port_flag(&hp));
  if (int rc = flags.parse(argc, argv); rc != 0 || flags.exit_now()) return rc;
  const std::string listen = hp.host + ":" + std::to_string(hp.port);

  uv_loop_t* loop = uv_default_loop();
  uw::http::Server server(loop, uw::http::Limits{}, [](uw::http::Request&&, uw::http::Responder res) {
    res.send(uw::http::Response::text(200, "Hello, World!"));
  });
  if (int rc = server.listen(hp.host, hp.port); rc != 0) {
    std::fprintf(stderr, "uwitter-hello-uw: cannot listen on %s: %s\n", listen.c_str(), uv_strerror(rc));
    return 1;
  }
  std::printf("listening http %s:%u\n", server.host().c_str(), server.port());
  std::fflush(stdout);
  uv_signal_t sig;
  uv_signal_init(loop, &sig);
  sig.data = &server;
  uv_signal_start_oneshot(
      &sig,
      [](uv_signal_t* s, int) {
        static_cast<uw::http::Server*>(s->data)->shutdown(
            1000, [s] { uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr); });
      },
      SIGTERM);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
