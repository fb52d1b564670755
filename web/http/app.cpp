#include "web/http/app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/ascii.hpp"
#include "core/file_writer.hpp"
#include "web/http/assets.hpp"
#include "web/http/forwarded.hpp"
#include "web/http/routes.hpp"

namespace uw::web {

namespace {

std::string origin_of(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  auto end = url.find('/', scheme + 3);
  return url.substr(0, end);
}

// The loop formats lines into buf; flush() hands the chunk to the file's own
// thread (core/file_writer.hpp), so no disk write happens on the loop.
struct LogBlock {
  uv_timer_t timer{};
  std::unique_ptr<FileWriter> out;
  std::string buf;
  std::function<void()> on_closed;
  metrics::Counter* dropped = nullptr;
  metrics::Counter* lost = nullptr;  // FileWriter::lost_bytes, as a counter
  metrics::Gauge* ok = nullptr;
  uint64_t lost_seen = 0;
  void flush() {
    if (!out) return;
    if (lost) {
      const uint64_t now_lost = out->lost_bytes();
      lost->inc(now_lost - lost_seen);
      lost_seen = now_lost;
    }
    if (ok) ok->set(out->ok() ? 1.0 : 0.0);
    if (buf.empty()) return;
    const size_t n = buf.size();
    if (!out->write(std::move(buf)) && dropped) dropped->inc(n);
    buf = std::string();
    buf.reserve(n);
  }
};

}  // namespace

struct App::Impl {
  uv_loop_t* loop;
  metrics::Registry& metrics;
  AppConfig cfg;
  Api api;
  Pages pages;
  FrontEnv front;
  std::string csp;
  LogBlock* log = nullptr;                                   // freed in the timer's close callback
  std::vector<metrics::Histogram*> durations;                // by route label
  std::unordered_map<uint32_t, metrics::Counter*> requests;  // (label << 16 | status)

  Impl(uv_loop_t* l, Service& s, metrics::Registry& m, AppConfig c)
      : loop(l),
        metrics(m),
        cfg(std::move(c)),
        api(s, ApiConfig{cfg.notifier_urls}),
        pages(s, PagesConfig{cfg.notifier_urls, cfg.secure_cookies, cfg.allowed_origins, cfg.csrf_secret,
                             cfg.html_cache_entries}),
        front{m, cfg, nullptr, nullptr, pages},
        durations(route_labels().size(), nullptr) {
    csp = App::csp_for(cfg.notifier_urls);
    front.active = &metrics.gauge("http_active_connections", "Open HTTP connections.");
  }

  // Headers every response gets (the server's own 400/408/413/431 too).
  void add_headers(const http::RequestInfo& info, http::Response& r) const {
    r.headers.emplace_back("Content-Security-Policy", csp);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "same-origin");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    // Served over HTTPS (the cookies say so): browsers keep to HTTPS for a year.
    if (cfg.secure_cookies) r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
    const bool api = info.path.starts_with("/api/");
    // API answers carry tokens (POST /api/v1/sessions) or a viewer's data: never
    // stored by a browser or a proxy. The pages set it themselves (PageSite::finish).
    bool has_cache_control = false;
    for (const auto& h : r.headers)
      has_cache_control = has_cache_control || ascii::iequals(h.first, "cache-control");
    if (api && !has_cache_control) r.headers.emplace_back("Cache-Control", "no-store");
    // A page form's answer depends on its Origin header (the CSRF check,
    // PageSite::post_allowed), so caches must key it on Origin.
    if (!api && !info.method.empty() && info.method != "GET" && info.method != "HEAD")
      r.headers.emplace_back("Vary", "Origin");
  }

  void record(const http::RequestInfo& info, const http::Response& r) {
    const size_t route = match("", info.path).label;  // no method: the label only, no captures
    const std::string_view label = route_labels()[route];
    uint32_t key = static_cast<uint32_t>(route << 16) | static_cast<uint32_t>(r.status & 0xffff);
    auto it = requests.find(key);
    if (it == requests.end()) {
      auto* c = &metrics.counter("http_requests_total", "HTTP responses by route and status.",
                                 {{"route", std::string(label)}, {"status", std::to_string(r.status)}});
      it = requests.emplace(key, c).first;
    }
    it->second->inc();
    uint64_t now = uv_hrtime();
    double secs =
        info.started_ns && now > info.started_ns ? static_cast<double>(now - info.started_ns) / 1e9 : 0.0;
    if (!durations[route]) {
      durations[route] =
          &metrics.histogram("http_request_duration_seconds", "Time from first byte to response.",
                             {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
                             {{"route", std::string(label)}});
    }
    durations[route]->observe(secs);
    if (log) {
      std::string_view path = info.path.substr(0, 512);
      fmt::format_to(std::back_inserter(log->buf), "{} {} {} {} {:.3f}ms {}\n",
                     info.method.empty() ? "-" : info.method, path.empty() ? "-" : path, r.status,
                     r.body.size(), secs * 1000.0, info.peer_ip.empty() ? "-" : info.peer_ip);
      if (log->buf.size() > size_t{64} * 1024) log->flush();
    }
  }
};

App::App(uv_loop_t* loop, Service& svc, metrics::Registry& metrics, AppConfig cfg)
    : impl_(std::make_unique<Impl>(loop, svc, metrics, std::move(cfg))) {}

App::~App() {
  if (impl_->log) {  // close() was not called: the loop is gone; flush what we have
    impl_->log->flush();
    impl_->log->out.reset();  // writes what is pending before the process goes
  }
}

std::string App::csp_for(const std::string& notifier_url) {
  return csp_for(notifier_url.empty() ? std::vector<std::string>{} : std::vector<std::string>{notifier_url});
}

std::string App::csp_for(const std::vector<std::string>& notifier_urls) {
  std::string connect = "'self'";
  std::vector<std::string> origins;
  for (const auto& url : notifier_urls) {
    auto o = origin_of(url);
    if (o.empty() || std::find(origins.begin(), origins.end(), o) != origins.end()) continue;
    connect += " " + o;
    origins.push_back(std::move(o));
  }
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src " +
         connect + "; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
}

Result<Unit> App::open() {
  auto out = FileWriter::open(impl_->cfg.access_log_path);
  if (!out) return Error{500, "access_log", "cannot open access log: " + out.error().message};
  auto* b = new LogBlock;
  b->out = std::move(out.value());
  b->dropped = &impl_->metrics.counter("uwitter_access_log_dropped_bytes_total",
                                       "Access-log bytes dropped because the disk fell behind.");
  b->lost =
      &impl_->metrics.counter("uwitter_access_log_lost_bytes_total",
                              "Access-log bytes that may not have reached the file (failed writes, a deleted "
                              "file; said on stderr too).");
  b->ok = &impl_->metrics.gauge("uwitter_access_log_ok", "1 while access-log writes reach a live file.");
  b->ok->set(1);
  uv_timer_init(impl_->loop, &b->timer);
  b->timer.data = b;
  uv_timer_start(
      &b->timer, [](uv_timer_t* t) { static_cast<LogBlock*>(t->data)->flush(); }, 200, 200);
  uv_unref(reinterpret_cast<uv_handle_t*>(&b->timer));  // the log alone does not keep the loop alive
  impl_->log = b;
  return Unit{};
}

Result<Unit> App::reopen_log() {
  LogBlock* b = impl_->log;
  if (!b || !b->out) return Unit{};
  b->flush();
  return b->out->reopen();
}

void App::attach(http::Server& server) {
  impl_->front.server = &server;
  Impl* im = impl_.get();
  server.on_response([im](const http::RequestInfo& info, http::Response& r) {
    im->add_headers(info, r);
    im->record(info, r);
  });
}

void App::attach_metrics_port(http::Server& server) {
  Impl* im = impl_.get();
  server.on_response([im](const http::RequestInfo& info, http::Response& r) { im->add_headers(info, r); });
}

void App::handle_metrics_port(http::Request&& req, http::Responder res) {
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = http::Response::text(405, "method not allowed\n");
    r.set("Allow", "GET, HEAD");
    return res.send(std::move(r));
  }
  if (req.path == "/metrics") return front::serve_metrics(impl_->front, req, std::move(res));
  if (req.path == "/healthz") return res.send(http::Response::text(200, "ok"));
  res.send(http::Response::text(404, "not found: this port serves /metrics and /healthz\n"));
}

void App::handle(http::Request&& req, http::Responder res) {
  if (!impl_->cfg.trusted_proxies.empty()) req.peer_ip = client_ip(req, impl_->cfg.trusted_proxies);
  Match m = match(req.method, req.path);
  if (m.api) return impl_->api.answer(std::move(req), std::move(res), m);
  if (m.route && std::holds_alternative<FrontFn>(m.route->handler))
    return std::get<FrontFn>(m.route->handler)(impl_->front, std::move(req), std::move(res));
  if (!m.route && m.first && std::holds_alternative<FrontFn>(m.first->handler)) {
    auto r = http::Response::text(405, "method not allowed\n");
    r.set("Allow", allow_header(m.allowed));
    return res.send(std::move(r));
  }
  impl_->pages.answer(std::move(req), std::move(res), m);
}

namespace front {

void healthz(FrontEnv&, http::Request&&, http::Responder res) { res.send(http::Response::text(200, "ok")); }

void serve_metrics(FrontEnv& env, const http::Request& req, http::Responder res) {
  if (!env.cfg.metrics_allow.contains(req.peer_ip)) {
    return res.send(http::Response::text(
        403, "/metrics is served only to the addresses of --metrics-allow (default: loopback).\n"));
  }
  if (env.server) {
    const auto st = env.server->stats();
    env.active->set(static_cast<double>(st.active_connections));
    env.metrics.gauge("http_queued_response_bytes", "Response bytes not yet written to any socket.")
        .set(static_cast<double>(st.queued_bytes));
    env.metrics
        .gauge("http_paused_connections",
               "Connections whose pipelined requests wait for their output backlog.")
        .set(static_cast<double>(st.paused_connections));
    env.metrics.gauge("http_buffered_input_bytes", "Received request bytes not yet parsed, all connections.")
        .set(static_cast<double>(st.buffered_input_bytes));
    auto& fd = env.metrics.counter("http_fd_exhausted_total",
                                   "Clients answered 503 because the process was out of descriptors.");
    fd.inc(st.fd_exhausted_total - std::min(st.fd_exhausted_total, fd.value()));
  }
  http::Response r{200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}}, env.metrics.render()};
  r.set("Cache-Control", "no-store");
  res.send(std::move(r));
}

void metrics(FrontEnv& env, http::Request&& req, http::Responder res) {
  if (!env.cfg.metrics_on_site_port) return env.pages.not_found(std::move(req), std::move(res));
  serve_metrics(env, req, std::move(res));
}

void static_file(FrontEnv& env, http::Request&& req, http::Responder res) {
  const Asset* a = find_asset(req.path);
  if (!a) return env.pages.not_found(std::move(req), std::move(res));
  const bool versioned = req.query.find("v=") != std::string::npos;
  http::Response r;
  auto inm = req.header("if-none-match");
  if (inm && inm->find(a->etag) != std::string_view::npos) {
    r.status = 304;
  } else {
    r.status = 200;
    r.body = std::string(a->body);
    r.set("Content-Type", std::string(a->content_type));
  }
  r.set("ETag", a->etag);
  r.set("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "public, max-age=300");
  res.send(std::move(r));
}

}  // namespace front

void App::close(std::function<void()> done) {
  LogBlock* b = impl_->log;
  impl_->log = nullptr;
  if (!b) {
    if (done) done();
    return;
  }
  b->flush();
  b->on_closed = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&b->timer), [](uv_handle_t* h) {
    auto* blk = static_cast<LogBlock*>(h->data);
    blk->out.reset();  // drains what is pending, then joins its thread
    auto cb = std::move(blk->on_closed);
    delete blk;
    if (cb) cb();
  });
}

}  // namespace uw::web
