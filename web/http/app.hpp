#pragma once
// uw::web::App — the front door of uwitter-web: looks every request up in the
// route table (web/http/routes.hpp), answers /healthz, /metrics and /static/*
// itself and hands the rest to the JSON API or the HTML pages; adds the
// security headers to EVERY response (Server::on_response), records request
// metrics with the table's route label, and writes one access-log line per
// response (method, path, status, bytes, duration ms, peer).
//
// Threading: loop thread only. The access log is buffered and handed, every
// 200 ms or 64 KiB and at close(), to a FileWriter thread that does the disk
// writes; its uv_timer_t lives in a heap block freed in the close callback.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cidr.hpp"
#include "core/http/server.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"
#include "web/http/api.hpp"
#include "web/http/pages.hpp"

namespace uw::web {

struct AppConfig {
  std::vector<std::string> notifier_urls;    // none = notifications off; their origins join CSP connect-src
  std::string access_log_path;               // "" = stderr
  bool secure_cookies = false;               // --https-cookies (PagesConfig)
  std::vector<std::string> allowed_origins;  // --allowed-origin (PagesConfig)
  // Who may read /metrics (--metrics-allow); others get 403. Parsed by the
  // caller; the default is loopback only.
  CidrList metrics_allow = CidrList::parse("127.0.0.0/8,::1/128").value();
  // false with --metrics-listen: the site's port answers /metrics with 404 and
  // only the separate listener (App::handle_metrics_port) serves it.
  bool metrics_on_site_port = true;
  std::optional<std::array<unsigned char, 32>> csrf_secret = std::nullopt;  // PagesConfig::csrf_secret
  // --trusted-proxy: peers whose X-Forwarded-For names the client (web/http/forwarded.hpp); empty = none.
  CidrList trusted_proxies = CidrList{};
  size_t html_cache_entries = views::UweetFragments::kDefaultCapacity;  // PagesConfig::html_cache_entries
};

// What the front door's own handlers work with.
struct FrontEnv {
  metrics::Registry& metrics;
  const AppConfig& cfg;
  metrics::Gauge* active = nullptr;  // http_active_connections
  http::Server* server = nullptr;    // set by App::attach
  Pages& pages;                      // for the 404 page of an unknown /static/ file
};

// The handlers of the table's front-door entries (web/http/routes.cpp).
namespace front {
void healthz(FrontEnv& env, http::Request&& req, http::Responder res);
void metrics(FrontEnv& env, http::Request&& req, http::Responder res);
// /metrics itself, for either listener: 403 to addresses outside cfg.metrics_allow.
void serve_metrics(FrontEnv& env, const http::Request& req, http::Responder res);
void static_file(FrontEnv& env, http::Request&& req, http::Responder res);
}  // namespace front

class App {
 public:
  App(uv_loop_t* loop, Service& svc, metrics::Registry& metrics, AppConfig cfg);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Opens the access log. An Error ("cannot open access log: ...") when it
  // cannot be opened.
  Result<Unit> open();
  // Installs the response hook on the server (call once, before listen).
  void attach(http::Server& server);
  // The request handler to give the http::Server.
  void handle(http::Request&& req, http::Responder res);
  // The handler of the --metrics-listen server: /metrics (to --metrics-allow
  // addresses) and /healthz; 404 for anything else.
  void handle_metrics_port(http::Request&& req, http::Responder res);
  // Installs the security headers (not the metrics or access log) on the
  // --metrics-listen server.
  void attach_metrics_port(http::Server& server);
  // Log rotation (SIGHUP): hands what is buffered to the current file, then
  // opens the access-log path again; later lines go to the new file. An Error
  // when it cannot be opened (the old file is kept). Nothing to do for stderr.
  Result<Unit> reopen_log();
  // Flushes and closes the access log, closes the timer, then calls done.
  void close(std::function<void()> done);

  // "Content-Security-Policy" value for a notifier URL (exposed for tests).
  static std::string csp_for(const std::string& notifier_url);
  static std::string csp_for(const std::vector<std::string>& notifier_urls);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uw::web
