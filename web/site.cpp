#include "web/site.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include "core/cidr.hpp"
#include "core/http/fd_limit.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "sign/keys.hpp"
#include "web/emitter/emitter.hpp"
#include "web/http/app.hpp"
#include "web/service/service.hpp"

namespace uw::web {
namespace {

std::string key_path(const std::string& data) { return data + "/keys/uwitter.key"; }

// Loads data/keys/uwitter.key, creating the pair on first start.
Result<sign::SecretKey> load_or_make_key(const std::string& data) {
  std::string dir = data + "/keys";
  std::string path = key_path(data);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (auto made = sign::write_keypair(dir, sign::SecretKey::generate()); !made) return made.error();
    log::info("created signing key pair in {}", dir);
  }
  return sign::load_secret_key(path);
}

// The CSRF secret in `path` (64 hex digits), created with a random one (mode
// 0600, O_EXCL: of two instances starting at once, one writes, both read it).
Result<std::array<unsigned char, 32>> load_or_make_csrf_secret(const std::string& path) {
  std::array<unsigned char, 32> secret{};
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    randombytes_buf(secret.data(), secret.size());
    char hex[2 * 32 + 2];
    sodium_bin2hex(hex, sizeof hex, secret.data(), secret.size());
    std::string line = std::string(hex) + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!ok) return Error{500, "csrf_secret", "cannot write " + path};
    log::info("created CSRF secret {}", path);
    return secret;
  }
  if (errno != EEXIST)
    return Error{500, "csrf_secret", "cannot create " + path + ": " + std::strerror(errno)};
  std::string text;
  for (int attempt = 0; attempt < 50; ++attempt) {  // the other instance may be writing it right now
    std::ifstream in(path);
    std::getline(in, text);
    if (text.size() >= 64) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  size_t len = 0;
  if (text.size() != 64 ||
      sodium_hex2bin(secret.data(), secret.size(), text.data(), text.size(), nullptr, &len, nullptr) != 0 ||
      len != secret.size())
    return Error{400, "csrf_secret", path + " must hold 64 hex digits (a 32-byte secret)"};
  return secret;
}

}  // namespace

// Members in construction order; they are destroyed in reverse (the server
// first, the metrics registry that they all register in last).
struct Site::Impl {
  uv_loop_t* loop;
  SiteConfig cfg;
  metrics::Registry metrics;
  // The signing key (datagrams and tickets); replaced on SIGHUP when its file
  // holds another one (reload_key). The emitter and the service refer to it.
  std::unique_ptr<sign::SecretKey> key;
  metrics::Counter* key_rotations = nullptr;
  metrics::Gauge* key_gauge = nullptr;  // uwitter_web_signing_key{id} = 1 for the key in use
  std::unique_ptr<Service> svc;
  std::unique_ptr<Emitter> emitter;
  std::unique_ptr<App> app;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<http::Server> metrics_server;  // --metrics-listen
  uv_signal_t term{}, intr{}, hup{};
  bool signals = false;
  bool stopping = false;

  Impl(uv_loop_t* l, SiteConfig c) : loop(l), cfg(std::move(c)) {}

  Result<Unit> start() {
    ::signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    if (!sign::init()) return Error{500, "libsodium", "libsodium failed to start"};
    std::error_code ec;
    std::filesystem::create_directories(cfg.data, ec);
    if (ec) return Error{500, "data_dir", "cannot create " + cfg.data + ": " + ec.message()};
    auto loaded = load_or_make_key(cfg.data);
    if (!loaded) return loaded.error();
    key = std::make_unique<sign::SecretKey>(std::move(*loaded));
    key_rotations =
        &metrics.counter("uwitter_web_key_rotations_total", "Signing keys replaced on SIGHUP (docs/KEYS.md)");
    show_key();
    log::info("signing key {}", sign::hex(key->id()));

    ServiceConfig sc;
    sc.db_path = cfg.db.empty() ? cfg.data + "/uwitter.db" : cfg.db;
    sc.synchronous_full = cfg.synchronous_full;
    sc.busy_timeout_ms = cfg.busy_timeout_ms;
    sc.session_ttl_s = static_cast<int64_t>(cfg.session_ttl_s);
    sc.throttle_state_path = cfg.data + "/login-throttle.state";
    sc.instance_name = cfg.instance_name;
    sc.post_rate_per_s = cfg.post_rate_per_s;
    sc.post_burst = cfg.post_burst;
    sc.signup_rate_per_s = cfg.signup_rate_per_s;
    sc.signup_burst = cfg.signup_burst;
    auto created = Service::create(loop, sc, &metrics);
    if (!created) return created.error();
    svc = std::move(created.value());
    svc->set_ticket_key(key.get());

    if (!cfg.notify.empty() || !cfg.notify_streams.empty()) {
      EmitterConfig ec2;
      ec2.targets = cfg.notify;
      ec2.streams = cfg.notify_streams;
      ec2.copies = cfg.udp_copies;
      ec2.copy_spacing_us = cfg.udp_copy_spacing_us;
      ec2.heartbeat_ms = cfg.notify_heartbeat_ms;
      ec2.http_sync = cfg.notify_http_sync;
      ec2.sync_timeout_ms = cfg.notify_sync_timeout_ms;
      auto e = Emitter::create(loop, *key, ec2, &metrics);
      if (!e) return e.error();
      emitter = std::move(e.value());
      Emitter* em = emitter.get();
      svc->set_event_sink([em](const sign::Event& ev) { em->emit(ev); });
      if (cfg.notify_http_sync)
        svc->set_post_barrier(
            [em](std::function<void()> then) { em->after_sent([then = std::move(then)](bool) { then(); }); });
    }

    AppConfig ac{cfg.notifier_urls, cfg.access_log, cfg.https_cookies, cfg.allowed_origins};
    auto allow = CidrList::parse(cfg.metrics_allow);
    if (!allow) return Error{400, "metrics_allow", "--metrics-allow: " + allow.error().message};
    ac.metrics_allow = std::move(allow.value());
    ac.metrics_on_site_port = !cfg.metrics_listen;
    ac.html_cache_entries = cfg.html_cache_entries;
    if (!cfg.trusted_proxies.empty()) {
      auto trusted = CidrList::parse(cfg.trusted_proxies);
      if (!trusted) return Error{400, "trusted_proxy", "--trusted-proxy: " + trusted.error().message};
      ac.trusted_proxies = std::move(trusted.value());
    }
    if (!cfg.csrf_secret_file.empty()) {
      auto secret = load_or_make_csrf_secret(cfg.csrf_secret_file);
      if (!secret) return secret.error();
      ac.csrf_secret = *secret;
    }
    app = std::make_unique<App>(loop, *svc, metrics, std::move(ac));
    if (auto r = app->open(); !r) return r.error();
    App* a = app.get();
    server = std::make_unique<http::Server>(loop, cfg.limits, [a](http::Request&& r, http::Responder res) {
      a->handle(std::move(r), std::move(res));
    });
    app->attach(*server);
    if (int rc = server->listen(cfg.listen.host, cfg.listen.port); rc != 0) {
      return Error{500, "listen",
                   "cannot listen on " + cfg.listen.host + ":" + std::to_string(cfg.listen.port) + ": " +
                       uv_strerror(rc)};
    }
    if (cfg.metrics_listen) {
      metrics_server =
          std::make_unique<http::Server>(loop, cfg.limits, [a](http::Request&& r, http::Responder res) {
            a->handle_metrics_port(std::move(r), std::move(res));
          });
      app->attach_metrics_port(*metrics_server);
      const HostPort& ml = *cfg.metrics_listen;
      if (int rc = metrics_server->listen(ml.host, ml.port); rc != 0) {
        return Error{500, "listen",
                     "cannot listen on " + ml.host + ":" + std::to_string(ml.port) +
                         " (--metrics-listen): " + uv_strerror(rc)};
      }
    }
    warn_if_fds_short();
    return Unit{};
  }

  void show_key() {
    if (key_gauge) key_gauge->set(0);
    key_gauge =
        &metrics.gauge("uwitter_web_signing_key", "1 for the id of the key that signs datagrams and tickets",
                       {{"id", sign::hex(key->id())}});
    key_gauge->set(1);
  }

  // SIGHUP: data/keys/uwitter.key holding another key than the one in use makes
  // it the signing key for every datagram and ticket from now on (a new sender
  // session; tickets signed before stay valid wherever the notifier still
  // trusts the old key). An unreadable file keeps the old key and says why.
  void reload_key() {
    auto loaded = sign::load_secret_key(key_path(cfg.data));
    if (!loaded) {
      log::error("SIGHUP: keeping signing key {}: {}", sign::hex(key->id()), loaded.error().message);
      return;
    }
    if (loaded->id() == key->id()) return;
    auto next = std::make_unique<sign::SecretKey>(std::move(*loaded));
    if (emitter) emitter->use_key(*next);
    svc->set_ticket_key(next.get());
    log::info("SIGHUP: signing key {} replaces {}", sign::hex(next->id()), sign::hex(key->id()));
    key = std::move(next);  // nothing refers to the old one any more: wiped as it goes
    key_rotations->inc();
    show_key();
  }

  // SIGHUP (logrotate, key rotation): reopen the access log, re-read the signing
  // key; the process keeps serving.
  void reopen() {
    if (stopping || !app) return;
    reload_key();
    if (auto r = app->reopen_log(); !r) {
      log::error("SIGHUP: {}", r.error().message);
    } else {
      log::info("SIGHUP: access log reopened");
    }
  }

  // Every connection is a descriptor: the soft limit is raised to the hard one
  // at start, and once everything but the connections is open (store, readers,
  // log, listener) a warning says when --max-connections still cannot be
  // honoured (connections past it are answered 503 through the server's spare
  // descriptor).
  std::optional<http::FdLimit> fd_limit;
  void raise_fd_limit() {
    auto lim = http::raise_fd_limit();
    if (!lim) {
      log::warn("{}", lim.error().message);
      return;
    }
    fd_limit = *lim;
  }
  void warn_if_fds_short() const {
    if (!fd_limit) return;
    std::error_code ec;
    uint64_t open_now = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      ++open_now;
    // What the store, logs and refusals may still need (http::kFdsBesidesConnections
    // covers them when the count above cannot be read).
    const uint64_t besides = open_now > 0 ? open_now + 16 : http::kFdsBesidesConnections;
    const uint64_t fit = fd_limit->soft > besides ? fd_limit->soft - besides : 0;
    if (fit < cfg.limits.max_connections) {
      log::warn(
          "--max-connections {} cannot be honoured: the open-file limit is {} (hard limit {}, {} in use); "
          "about {} connections fit, the rest get 503 (raise it with ulimit -n or LimitNOFILE=)",
          cfg.limits.max_connections, fd_limit->soft, fd_limit->hard, open_now, fit);
    }
  }

  void shutdown() {
    if (stopping) return;
    stopping = true;
    log::info("stopping: draining requests and the writer");
    if (metrics_server) metrics_server->shutdown(0, [] {});
    server->shutdown(5000, [this] {
      svc->shutdown([this] {
        auto finish = [this] {
          app->close([this] {
            if (!signals) return;
            uv_close(reinterpret_cast<uv_handle_t*>(&term), nullptr);
            uv_close(reinterpret_cast<uv_handle_t*>(&intr), nullptr);
            uv_close(reinterpret_cast<uv_handle_t*>(&hup), nullptr);
          });
        };
        if (emitter) {
          emitter->close(finish);
        } else {
          finish();
        }
      });
    });
  }
};

Site::Site(uv_loop_t* loop, SiteConfig cfg) : impl_(std::make_unique<Impl>(loop, std::move(cfg))) {}

Site::~Site() = default;

Result<Unit> Site::start() { return impl_->start(); }

void Site::handle_signals() {
  Impl* im = impl_.get();
  uv_signal_init(im->loop, &im->term);
  uv_signal_init(im->loop, &im->intr);
  im->term.data = im->intr.data = im;
  auto on_sig = [](uv_signal_t* h, int) { static_cast<Impl*>(h->data)->shutdown(); };
  uv_signal_start(&im->term, on_sig, SIGTERM);
  uv_signal_start(&im->intr, on_sig, SIGINT);
  uv_signal_init(im->loop, &im->hup);
  im->hup.data = im;
  uv_signal_start(
      &im->hup, [](uv_signal_t* h, int) { static_cast<Impl*>(h->data)->reopen(); }, SIGHUP);
  im->signals = true;
}

void Site::announce() {
  http::Server* server = impl_->server.get();
  http::Server* ms = impl_->metrics_server.get();
  auto say = [server, ms] {
    auto line = [](const char* proto, http::Server* s) {
      std::string host = s->host();
      if (host.find(':') != std::string::npos) host = "[" + host + "]";
      std::printf("listening %s %s:%u\n", proto, host.c_str(), s->port());
    };
    line("http", server);  // first: callers that wait for one line want this one
    if (ms) line("metrics", ms);
    std::fflush(stdout);
  };
  if (impl_->cfg.demo) {
    impl_->svc->seed_demo([say](const Result<Unit>& r) {
      if (!r) log::error("demo seed failed: {}", r.error().message);
      say();
    });
  } else {
    say();
  }
}

void Site::shutdown() { impl_->shutdown(); }

}  // namespace uw::web
