// uwitter-web: parses flags, builds Service + Pages + App + http::Server (and the
// Emitter with --notify), runs the loop. SIGTERM/SIGINT: stop accepting, let
// in-flight requests finish, drain the writer, exit 0.
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/flags.hpp"
#include "core/http/server.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "sign/keys.hpp"
#include "web/http/app.hpp"
#include "web/emitter/emitter.hpp"
#include "web/http/pages.hpp"
#include "web/service/service.hpp"

namespace {

struct Options {
  uw::HostPort listen{"127.0.0.1", 8080};
  std::string data = "data";
  std::vector<uw::HostPort> notify;
  int udp_copies = 1;
  uint64_t udp_copy_spacing_us = 0;
  std::string notifier_url;
  bool demo = false;
  bool synchronous_full = false;
  uint64_t session_ttl_s = 30 * 24 * 3600;
  uw::http::Limits limits;
  std::string access_log;
  bool https_cookies = false;
  std::vector<std::string> allowed_origins;
};

std::function<std::string(const std::string&)> size_flag(size_t* out) {
  return [out](const std::string& v) -> std::string {
    auto n = uw::parse_size(v);
    if (!n || *n == 0) return "expects a positive size such as 65536 or 64KiB";
    *out = static_cast<size_t>(*n);
    return "";
  };
}

std::function<std::string(const std::string&)> u64_flag(uint64_t* out, bool allow_zero) {
  return [out, allow_zero](const std::string& v) -> std::string {
    auto n = uw::parse_size(v);
    if (!n || (!allow_zero && *n == 0)) return "expects a positive whole number";
    *out = *n;
    return "";
  };
}

int parse(int argc, char** argv, Options* o, int* exit_code) {
  uw::Flags f("uwitter-web", "Uwitter's web app: the HTML UI and JSON API over HTTP/1.1, backed by SQLite.");
  f.value("listen", "HOST:PORT", "where to accept HTTP (default 127.0.0.1:8080; port 0 picks one)",
          [o](const std::string& v) -> std::string {
            auto hp = uw::parse_host_port(v);
            if (!hp) return "expects HOST:PORT";
            o->listen = *hp;
            return "";
          });
  f.value("data", "DIR", "database and keys (default ./data; created on first start)",
          [o](const std::string& v) {
            o->data = v;
            return v.empty() ? std::string("expects a directory") : std::string();
          });
  f.value("notify", "HOST:PORT[,...]", "send signed UDP notifications to these notifiers",
          [o](const std::string& v) -> std::string {
            size_t start = 0;
            while (start <= v.size()) {
              size_t comma = v.find(',', start);
              auto hp = uw::parse_host_port(
                  v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
              if (!hp) return "expects HOST:PORT[,HOST:PORT...]";
              o->notify.push_back(*hp);
              if (comma == std::string::npos) break;
              start = comma + 1;
            }
            return "";
          });
  f.value("udp-copies", "K", "send every datagram K times (default 1)",
          [o](const std::string& v) -> std::string {
            auto n = uw::parse_size(v);
            if (!n || *n < 1 || *n > 16) return "expects a number from 1 to 16";
            o->udp_copies = static_cast<int>(*n);
            return "";
          });
  f.value("udp-copy-spacing-us", "N", "spread the copies over N microseconds (default 0)",
          u64_flag(&o->udp_copy_spacing_us, true));
  f.value("notifier-url", "URL", "where browsers reach the notifier, e.g. http://127.0.0.1:7701",
          [o](const std::string& v) -> std::string {
            if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
              return "expects an http:// or https:// URL";
            o->notifier_url = v;
            return "";
          });
  f.toggle("demo", "fill an empty database with demo users and uweets", &o->demo);
  f.value("synchronous", "full|normal", "SQLite synchronous mode (default normal)",
          [o](const std::string& v) -> std::string {
            if (v != "full" && v != "normal") return "expects full or normal";
            o->synchronous_full = v == "full";
            return "";
          });
  f.value("session-ttl", "SECONDS", "how long a login lasts (default 2592000, 30 days)",
          u64_flag(&o->session_ttl_s, false));
  f.value("max-header-bytes", "N", "request line + headers limit (431 beyond)",
          size_flag(&o->limits.max_header_bytes));
  f.value("max-body-bytes", "N", "request body limit (413 beyond)", size_flag(&o->limits.max_body_bytes));
  f.value("max-connections", "N", "open connections limit (503 beyond)",
          size_flag(&o->limits.max_connections));
  f.value("header-timeout-ms", "MS", "a request must arrive within this (408)",
          u64_flag(&o->limits.header_timeout_ms, false));
  f.value("idle-timeout-ms", "MS", "idle keep-alive connections are closed after this",
          u64_flag(&o->limits.idle_timeout_ms, false));
  f.value("access-log", "FILE", "append the access log here (default stderr)", [o](const std::string& v) {
    o->access_log = v;
    return std::string();
  });
  f.toggle("https-cookies", "Secure, __Host- session cookies (when served over HTTPS)", &o->https_cookies);
  f.value("allowed-origin", "ORIGIN", "another origin allowed to send forms (repeatable)",
          [o](const std::string& v) {
            o->allowed_origins.push_back(v);
            return std::string();
          });
  int rc = f.parse(argc, argv);
  if (f.exit_now() || rc != 0) {
    *exit_code = rc;
    return 1;
  }
  if (!f.positional().empty()) {
    std::fprintf(stderr, "uwitter-web: unexpected argument %s (try --help)\n", f.positional()[0].c_str());
    *exit_code = 2;
    return 1;
  }
  return 0;
}

// Loads data/keys/uwitter.key, creating the pair on first start.
std::optional<uw::sign::SecretKey> load_or_make_key(const std::string& data) {
  std::string dir = data + "/keys";
  std::string path = dir + "/uwitter.key";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::string err = uw::sign::write_keypair(dir, uw::sign::SecretKey::generate());
    if (!err.empty()) {
      std::fprintf(stderr, "uwitter-web: %s\n", err.c_str());
      return std::nullopt;
    }
    uw::log::info("created signing key pair in {}", dir);
  }
  std::optional<uw::sign::SecretKey> key;
  std::string err = uw::sign::load_secret_key(path, &key);
  if (!err.empty() || !key) {
    std::fprintf(stderr, "uwitter-web: %s\n", err.c_str());
    return std::nullopt;
  }
  return key;
}

struct Signals {
  uv_signal_t term{}, intr{};
  std::function<void()> on_signal;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int code = 0;
  if (parse(argc, argv, &o, &code)) return code;
  ::signal(SIGPIPE, SIG_IGN);
  if (!uw::sign::init()) {
    std::fprintf(stderr, "uwitter-web: libsodium failed to start\n");
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(o.data, ec);
  if (ec) {
    std::fprintf(stderr, "uwitter-web: cannot create %s: %s\n", o.data.c_str(), ec.message().c_str());
    return 1;
  }
  auto key = load_or_make_key(o.data);
  if (!key) return 1;

  uv_loop_t* loop = uv_default_loop();
  uw::metrics::Registry metrics;  // outlives everything that registers in it
  uw::web::ServiceConfig sc;
  sc.db_path = o.data + "/uwitter.db";
  sc.synchronous_full = o.synchronous_full;
  sc.session_ttl_s = static_cast<int64_t>(o.session_ttl_s);
  auto created = uw::web::Service::create(loop, sc, &metrics);
  if (!created) {
    std::fprintf(stderr, "uwitter-web: %s\n", created.error().message.c_str());
    return 1;
  }
  std::unique_ptr<uw::web::Service> svc = std::move(created.value());
  svc->set_ticket_key(&*key);

  std::unique_ptr<uw::web::Emitter> emitter;
  if (!o.notify.empty()) {
    uw::web::EmitterConfig ec2;
    ec2.targets = o.notify;
    ec2.copies = o.udp_copies;
    ec2.copy_spacing_us = o.udp_copy_spacing_us;
    auto e = uw::web::Emitter::create(loop, *key, ec2, &metrics);
    if (!e) {
      std::fprintf(stderr, "uwitter-web: %s\n", e.error().message.c_str());
      return 1;
    }
    emitter = std::move(e.value());
    uw::web::Emitter* em = emitter.get();
    svc->set_event_sink([em](const uw::sign::Event& ev) { em->emit(ev); });
  }

  uw::web::Pages pages(*svc, uw::web::PagesConfig{o.notifier_url, o.https_cookies, o.allowed_origins});
  uw::web::App app(
      loop, *svc,
      [&pages](uw::http::Request&& r, uw::http::Responder res) {
        pages.handle(std::move(r), std::move(res));
      },
      metrics, uw::web::AppConfig{o.notifier_url, o.access_log});
  if (std::string err = app.open(); !err.empty()) {
    std::fprintf(stderr, "uwitter-web: %s\n", err.c_str());
    return 1;
  }
  uw::http::Server server(loop, o.limits, [&app](uw::http::Request&& r, uw::http::Responder res) {
    app.handle(std::move(r), std::move(res));
  });
  app.attach(server);
  if (int rc = server.listen(o.listen.host, o.listen.port); rc != 0) {
    std::fprintf(stderr, "uwitter-web: cannot listen on %s:%u: %s\n", o.listen.host.c_str(), o.listen.port,
                 uv_strerror(rc));
    return 1;
  }

  Signals sig;
  bool stopping = false;
  sig.on_signal = [&] {
    if (stopping) return;
    stopping = true;
    uw::log::info("stopping: draining requests and the writer");
    server.shutdown(5000, [&] {
      svc->shutdown([&] {
        auto finish = [&] {
          app.close([&] {
            uv_close(reinterpret_cast<uv_handle_t*>(&sig.term), nullptr);
            uv_close(reinterpret_cast<uv_handle_t*>(&sig.intr), nullptr);
          });
        };
        if (emitter) {
          emitter->close(finish);
        } else {
          finish();
        }
      });
    });
  };
  uv_signal_init(loop, &sig.term);
  uv_signal_init(loop, &sig.intr);
  sig.term.data = sig.intr.data = &sig;
  auto on_sig = [](uv_signal_t* h, int) { static_cast<Signals*>(h->data)->on_signal(); };
  uv_signal_start(&sig.term, on_sig, SIGTERM);
  uv_signal_start(&sig.intr, on_sig, SIGINT);

  // Announce only after the signal handlers are in place, so a test that sends
  // SIGTERM right after "listening" gets the clean shutdown.
  auto announce = [&server] {
    std::string host = server.host();
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::printf("listening http %s:%u\n", host.c_str(), server.port());
    std::fflush(stdout);
  };
  if (o.demo) {
    svc->seed_demo([announce](uw::Result<uw::Unit> r) {
      if (!r) uw::log::error("demo seed failed: {}", r.error().message);
      announce();
    });
  } else {
    announce();
  }

  uv_run(loop, UV_RUN_DEFAULT);
  emitter.reset();
  svc.reset();
  int rc = uv_loop_close(loop);
  if (rc != 0) uw::log::warn("loop closed with handles still open: {}", uv_strerror(rc));
  return 0;
}
