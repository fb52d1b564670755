#include "web/site.hpp"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "sign/keys.hpp"
#include "web/emitter/emitter.hpp"
#include "web/http/app.hpp"
#include "web/service/service.hpp"

namespace uw::web {
namespace {

// Loads data/keys/uwitter.key, creating the pair on first start.
Result<sign::SecretKey> load_or_make_key(const std::string& data) {
  std::string dir = data + "/keys";
  std::string path = dir + "/uwitter.key";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (auto made = sign::write_keypair(dir, sign::SecretKey::generate()); !made) return made.error();
    log::info("created signing key pair in {}", dir);
  }
  return sign::load_secret_key(path);
}

}  // namespace

// Members in construction order; they are destroyed in reverse (the server
// first, the metrics registry that they all register in last).
struct Site::Impl {
  uv_loop_t* loop;
  SiteConfig cfg;
  metrics::Registry metrics;
  std::optional<sign::SecretKey> key;
  std::unique_ptr<Service> svc;
  std::unique_ptr<Emitter> emitter;
  std::unique_ptr<App> app;
  std::unique_ptr<http::Server> server;
  uv_signal_t term{}, intr{};
  bool signals = false;
  bool stopping = false;

  Impl(uv_loop_t* l, SiteConfig c) : loop(l), cfg(std::move(c)) {}

  Result<Unit> start() {
    ::signal(SIGPIPE, SIG_IGN);
    if (!sign::init()) return Error{500, "libsodium", "libsodium failed to start"};
    std::error_code ec;
    std::filesystem::create_directories(cfg.data, ec);
    if (ec) return Error{500, "data_dir", "cannot create " + cfg.data + ": " + ec.message()};
    auto loaded = load_or_make_key(cfg.data);
    if (!loaded) return loaded.error();
    key.emplace(std::move(*loaded));

    ServiceConfig sc;
    sc.db_path = cfg.db.empty() ? cfg.data + "/uwitter.db" : cfg.db;
    sc.synchronous_full = cfg.synchronous_full;
    sc.session_ttl_s = static_cast<int64_t>(cfg.session_ttl_s);
    auto created = Service::create(loop, sc, &metrics);
    if (!created) return created.error();
    svc = std::move(created.value());
    svc->set_ticket_key(&*key);

    if (!cfg.notify.empty()) {
      EmitterConfig ec2;
      ec2.targets = cfg.notify;
      ec2.copies = cfg.udp_copies;
      ec2.copy_spacing_us = cfg.udp_copy_spacing_us;
      auto e = Emitter::create(loop, *key, ec2, &metrics);
      if (!e) return e.error();
      emitter = std::move(e.value());
      Emitter* em = emitter.get();
      svc->set_event_sink([em](const sign::Event& ev) { em->emit(ev); });
    }

    app = std::make_unique<App>(
        loop, *svc, metrics,
        AppConfig{cfg.notifier_url, cfg.access_log, cfg.https_cookies, cfg.allowed_origins});
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
    return Unit{};
  }

  void shutdown() {
    if (stopping) return;
    stopping = true;
    log::info("stopping: draining requests and the writer");
    server->shutdown(5000, [this] {
      svc->shutdown([this] {
        auto finish = [this] {
          app->close([this] {
            if (!signals) return;
            uv_close(reinterpret_cast<uv_handle_t*>(&term), nullptr);
            uv_close(reinterpret_cast<uv_handle_t*>(&intr), nullptr);
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
  im->signals = true;
}

void Site::announce() {
  http::Server* server = impl_->server.get();
  auto say = [server] {
    std::string host = server->host();
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::printf("listening http %s:%u\n", host.c_str(), server->port());
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
