#include "web/http/app.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/file_writer.hpp"

namespace uw::web {

namespace {

// Route labels: a fixed set, so a scan of random URLs cannot blow up /metrics.
constexpr const char* kRoutes[] = {"/healthz",
                                   "/metrics",
                                   "/api/v1/accounts",
                                   "/api/v1/sessions",
                                   "/api/v1/uweets",
                                   "/api/v1/uweets/:id",
                                   "/api/v1/timelines/home",
                                   "/api/v1/timelines/public",
                                   "/api/v1/users/:name",
                                   "/api/v1/users/:name/uweets",
                                   "/api/v1/users/:name/followers",
                                   "/api/v1/users/:name/following",
                                   "/api/v1/users/:name/follow",
                                   "/api/v1/search",
                                   "/api/v1/notifications/ticket",
                                   "/api/v1/other",
                                   "/",
                                   "/static",
                                   "/assets",
                                   "/u/:name",
                                   "/accounts",
                                   "/notifications",
                                   "/post",
                                   "/follow",
                                   "/unfollow",
                                   "/search",
                                   "/favicon.ico",
                                   "/other"};
constexpr size_t kRouteCount = sizeof(kRoutes) / sizeof(kRoutes[0]);

size_t route_index(std::string_view path) {
  auto idx = [](std::string_view name) -> size_t {
    for (size_t i = 0; i < kRouteCount; ++i)
      if (name == kRoutes[i]) return i;
    return kRouteCount - 1;
  };
  auto seg = [&](size_t n) -> std::string_view {  // n-th segment (0-based) or ""
    std::string_view p = path;
    for (size_t i = 0;; ++i) {
      while (!p.empty() && p.front() == '/') p.remove_prefix(1);
      if (p.empty()) return {};
      auto s = p.substr(0, p.find('/'));
      if (i == n) return s;
      p.remove_prefix(s.size());
    }
  };
  if (path.rfind("/api/v1/", 0) == 0) {
    std::string_view a = seg(2), b = seg(3), c = seg(4);
    if (a == "accounts" && b.empty()) return idx("/api/v1/accounts");
    if (a == "sessions" && b.empty()) return idx("/api/v1/sessions");
    if (a == "uweets") return idx(b.empty() ? "/api/v1/uweets" : "/api/v1/uweets/:id");
    if (a == "timelines" && b == "home") return idx("/api/v1/timelines/home");
    if (a == "timelines" && b == "public") return idx("/api/v1/timelines/public");
    if (a == "search") return idx("/api/v1/search");
    if (a == "notifications") return idx("/api/v1/notifications/ticket");
    if (a == "users" && !b.empty()) {
      if (c.empty()) return idx("/api/v1/users/:name");
      if (c == "uweets") return idx("/api/v1/users/:name/uweets");
      if (c == "followers") return idx("/api/v1/users/:name/followers");
      if (c == "following") return idx("/api/v1/users/:name/following");
      if (c == "follow") return idx("/api/v1/users/:name/follow");
    }
    return idx("/api/v1/other");
  }
  std::string_view first = seg(0);
  if (first.empty()) return idx("/");
  if (first == "u") return idx("/u/:name");
  // Built by append: GCC 12 at -O3 reports a false -Wrestrict on "/" + std::string.
  std::string name;
  name.reserve(first.size() + 1);
  name.push_back('/');
  name.append(first);
  return idx(name);
}

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
  void flush() {
    if (buf.empty() || !out) return;
    const size_t n = buf.size();
    if (!out->write(std::move(buf)) && dropped) dropped->inc(n);
    buf = std::string();
    buf.reserve(n);
  }
};

}  // namespace

struct App::Impl {
  uv_loop_t* loop;
  Service& svc;
  http::Handler pages;
  metrics::Registry& metrics;
  AppConfig cfg;
  Api api;
  std::string csp;
  http::Server* server = nullptr;
  LogBlock* log = nullptr;  // freed in the timer's close callback
  metrics::Gauge* active = nullptr;
  metrics::Histogram* durations[kRouteCount] = {};
  std::unordered_map<uint32_t, metrics::Counter*> requests;  // (route << 16 | status)

  Impl(uv_loop_t* l, Service& s, http::Handler p, metrics::Registry& m, AppConfig c)
      : loop(l),
        svc(s),
        pages(std::move(p)),
        metrics(m),
        cfg(std::move(c)),
        api(s, ApiConfig{cfg.notifier_url}) {
    csp = App::csp_for(cfg.notifier_url);
    active = &metrics.gauge("http_active_connections", "Open HTTP connections.");
  }

  void record(const http::RequestInfo& info, const http::Response& r) {
    size_t route = route_index(info.path);
    uint32_t key = static_cast<uint32_t>(route << 16) | static_cast<uint32_t>(r.status & 0xffff);
    auto it = requests.find(key);
    if (it == requests.end()) {
      auto* c = &metrics.counter("http_requests_total", "HTTP responses by route and status.",
                                 {{"route", kRoutes[route]}, {"status", std::to_string(r.status)}});
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
                             {{"route", kRoutes[route]}});
    }
    durations[route]->observe(secs);
    if (log) {
      std::string_view path = info.path.substr(0, 512);
      fmt::format_to(std::back_inserter(log->buf), "{} {} {} {} {:.3f}ms {}\n",
                     info.method.empty() ? "-" : info.method, path.empty() ? "-" : path, r.status,
                     r.body.size(), secs * 1000.0, info.peer_ip.empty() ? "-" : info.peer_ip);
      if (log->buf.size() > 64 * 1024) log->flush();
    }
  }
};

App::App(uv_loop_t* loop, Service& svc, http::Handler pages, metrics::Registry& metrics, AppConfig cfg)
    : impl_(std::make_unique<Impl>(loop, svc, std::move(pages), metrics, std::move(cfg))) {}

App::~App() {
  if (impl_->log) {  // close() was not called: the loop is gone; flush what we have
    impl_->log->flush();
    impl_->log->out.reset();  // writes what is pending before the process goes
  }
}

std::string App::csp_for(const std::string& notifier_url) {
  std::string connect = "'self'";
  if (auto o = origin_of(notifier_url); !o.empty()) connect += " " + o;
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src " +
         connect + "; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
}

std::string App::open() {
  auto* b = new LogBlock;
  std::string err;
  b->out = FileWriter::open(impl_->cfg.access_log_path, &err);
  if (!b->out) {
    delete b;
    return "cannot open access log: " + err;
  }
  b->dropped = &impl_->metrics.counter("uwitter_access_log_dropped_bytes_total",
                                       "Access-log bytes dropped because the disk fell behind.");
  uv_timer_init(impl_->loop, &b->timer);
  b->timer.data = b;
  uv_timer_start(
      &b->timer, [](uv_timer_t* t) { static_cast<LogBlock*>(t->data)->flush(); }, 200, 200);
  uv_unref(reinterpret_cast<uv_handle_t*>(&b->timer));  // the log alone does not keep the loop alive
  impl_->log = b;
  return {};
}

void App::attach(http::Server& server) {
  impl_->server = &server;
  Impl* im = impl_.get();
  server.on_response([im](const http::RequestInfo& info, http::Response& r) {
    r.headers.emplace_back("Content-Security-Policy", im->csp);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "same-origin");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    im->record(info, r);
  });
}

void App::handle(http::Request&& req, http::Responder res) {
  const std::string& p = req.path;
  if (p.rfind("/api/v1/", 0) == 0 || p == "/api/v1") {
    return impl_->api.handle(std::move(req), std::move(res));
  }
  if (p == "/healthz") {
    if (req.method != "GET" && req.method != "HEAD")
      return res.send(http::Response::text(405, "method not allowed\n"));
    return res.send(http::Response::text(200, "ok"));
  }
  if (p == "/metrics") {
    if (impl_->server) impl_->active->set(static_cast<double>(impl_->server->stats().active_connections));
    http::Response r{
        200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}}, impl_->metrics.render()};
    return res.send(std::move(r));
  }
  impl_->pages(std::move(req), std::move(res));
}

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
