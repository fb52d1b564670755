#pragma once
// uw::web::App — the front door of uwitter-web: routes /healthz, /metrics and
// /api/v1/* itself and hands every other request to the HTML pages; adds the
// security headers to EVERY response (Server::on_response), records request
// metrics with a low-cardinality route label, and writes one access-log line
// per response (method, path, status, bytes, duration ms, peer).
//
// Threading: loop thread only. The access log is buffered and handed, every
// 200 ms or 64 KiB and at close(), to a FileWriter thread that does the disk
// writes; its uv_timer_t lives in a heap block freed in the close callback.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/http/server.hpp"
#include "core/metrics.hpp"
#include "web/http/api.hpp"

namespace uw::web {

struct AppConfig {
  std::string notifier_url;     // "" = notifications off; its origin joins CSP connect-src
  std::string access_log_path;  // "" = stderr
};

class App {
 public:
  // pages: the handler for everything that is not ours (web/pages.hpp).
  App(uv_loop_t* loop, Service& svc, http::Handler pages, metrics::Registry& metrics, AppConfig cfg);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Opens the access log. Returns "" or an error message.
  std::string open();
  // Installs the response hook on the server (call once, before listen).
  void attach(http::Server& server);
  // The request handler to give the http::Server.
  void handle(http::Request&& req, http::Responder res);
  // Flushes and closes the access log, closes the timer, then calls done.
  void close(std::function<void()> done);

  // "Content-Security-Policy" value for a notifier URL (exposed for tests).
  static std::string csp_for(const std::string& notifier_url);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uw::web
