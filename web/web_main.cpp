// uwitter-web: parses flags into a SiteConfig; uw::web::Site (web/site.hpp)
// builds and runs the rest. SIGTERM/SIGINT: stop accepting, let in-flight
// requests finish, drain the writer, exit 0. SIGHUP: reopen the access log and
// re-read the signing key (docs/KEYS.md).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>

#include "core/cidr.hpp"
#include "core/flags.hpp"
#include "core/log.hpp"
#include "web/http/notifiers.hpp"
#include "web/site.hpp"

namespace {

using Options = uw::web::SiteConfig;

uw::FlagApply size_flag(size_t* out) {
  return [out](const std::string& v) -> uw::Result<uw::Unit> {
    auto n = uw::parse_size(v);
    if (!n || *n == 0) return uw::bad_value("expects a positive size such as 65536 or 64KiB");
    *out = static_cast<size_t>(*n);
    return uw::Unit{};
  };
}

uw::FlagApply u64_flag(uint64_t* out, bool allow_zero) {
  return [out, allow_zero](const std::string& v) -> uw::Result<uw::Unit> {
    auto n = uw::parse_size(v);
    if (!n || (!allow_zero && *n == 0)) return uw::bad_value("expects a positive whole number");
    *out = *n;
    return uw::Unit{};
  };
}

// "N/s", "N/min", "N/h" (N a whole number) or "off": tokens per second, 0 = off.
uw::FlagApply rate_flag(double* out) {
  return [out](const std::string& v) -> uw::Result<uw::Unit> {
    const char* want = "expects N/s, N/min, N/h or off (e.g. 30/min)";
    if (v == "off") {
      *out = 0;
      return uw::Unit{};
    }
    auto slash = v.find('/');
    if (slash == std::string::npos) return uw::bad_value(want);
    uint64_t n = 0;
    if (!uw::whole_flag(&n, 1)(v.substr(0, slash))) return uw::bad_value(want);
    std::string unit = v.substr(slash + 1);
    double per = unit == "s" ? 1 : unit == "min" ? 60 : unit == "h" ? 3600 : 0;
    if (per == 0) return uw::bad_value(want);
    *out = static_cast<double>(n) / per;
    return uw::Unit{};
  };
}

int parse(int argc, char** argv, Options* o, int* exit_code) {
  uw::Flags f("uwitter-web",
              "Uwitter's web app: the HTML UI and JSON API over HTTP/1.1, backed by SQLite or PostgreSQL.");
  f.value("listen", "HOST:PORT", "where to accept HTTP (default 127.0.0.1:8080; port 0 picks one)",
          uw::host_port_flag(&o->listen));
  f.value("data", "DIR", "database and keys (default ./data; created on first start)",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            o->data = v;
            if (v.empty()) return uw::bad_value("expects a directory");
            return uw::Unit{};
          });
  f.value("db", "FILE|postgresql://...",
          "the database: a SQLite file (default DIR/uwitter.db under --data) or a PostgreSQL connection URI",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            if (v.empty()) return uw::bad_value("expects a file or a postgresql:// URI");
            o->db = v;
            return uw::Unit{};
          });
  f.value("instance-name", "NAME",
          "PostgreSQL only: this instance's name in the change feed several instances share "
          "(up to 64 of A-Z a-z 0-9 _ . -; default: random per start)",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            if (v.empty() || v.size() > 64 ||
                v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                    std::string::npos)
              return uw::bad_value("expects up to 64 of A-Z a-z 0-9 _ . -");
            o->instance_name = v;
            return uw::Unit{};
          });
  f.value("notify", "TARGET[,...]",
          "send signed notifications to these notifiers: HOST:PORT or udp://HOST:PORT (datagrams), "
          "tcp://HOST:PORT (one connection, length-prefixed), http://HOST:PORT[/PATH] (POST, default "
          "/ingest), amqp://USER:PASS@HOST:PORT/VHOST[?queue=NAME] (RabbitMQ, durable queue, confirms); "
          "repeatable",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            size_t start = 0;
            while (start <= v.size()) {
              size_t comma = v.find(',', start);
              auto t = uw::web::parse_notify_target(
                  v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
              if (!t) return uw::bad_value(t.error().message);
              if (t->scheme == uw::web::NotifyScheme::Udp)
                o->notify.push_back(t->addr);
              else
                o->notify_streams.push_back(*t);
              if (comma == std::string::npos) break;
              start = comma + 1;
            }
            return uw::Unit{};
          });
  f.value("udp-copies", "K", "send every datagram K times (default 1)",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            auto n = uw::parse_size(v);
            if (!n || *n < 1 || *n > 16) return uw::bad_value("expects a number from 1 to 16");
            o->udp_copies = static_cast<int>(*n);
            return uw::Unit{};
          });
  f.value("udp-copy-spacing-us", "N", "spread the copies over N microseconds (default 0)",
          u64_flag(&o->udp_copy_spacing_us, true));
  f.value(
      "notify-heartbeat-ms", "MS",
      "send each notifier a signed heartbeat this often, so it sees trailing loss and we see a stopped one "
      "(default 1000; 0 = none)",
      u64_flag(&o->notify_heartbeat_ms, true));
  f.value("notifier-url", "URL[,URL...]",
          "where browsers reach the notifier, e.g. http://127.0.0.1:7701; with several (a comma list, or "
          "repeated) each user is given one of them by rendezvous hashing, the others in order as fallbacks",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            auto urls = uw::web::parse_notifier_urls(v);
            if (!urls) return urls.error();
            for (auto& u : *urls)
              if (std::find(o->notifier_urls.begin(), o->notifier_urls.end(), u) == o->notifier_urls.end())
                o->notifier_urls.push_back(std::move(u));
            return uw::Unit{};
          });
  f.toggle("notify-http-sync",
           "answer a post only once every http:// --notify target has answered its notification (the "
           "synchronous mode, measured in docs/TRANSPORTS.md; default: sent after the answer)",
           &o->notify_http_sync);
  f.value(
      "notify-sync-timeout-ms", "MS",
      "with --notify-http-sync, answer the post anyway after this long without the notifier (default 5000)",
      uw::whole_flag<uint64_t>(&o->notify_sync_timeout_ms, 1, 600000));
  f.toggle("demo", "fill an empty database with demo users and uweets", &o->demo);
  f.value("synchronous", "full|normal", "SQLite synchronous mode (default normal)",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            if (v != "full" && v != "normal") return uw::bad_value("expects full or normal");
            o->synchronous_full = v == "full";
            return uw::Unit{};
          });
  f.value("busy-timeout", "MS",
          "how long a write waits for a database another process has locked before answering 503 db_busy; "
          "PostgreSQL: the connect timeout (default 5000)",
          uw::whole_flag(&o->busy_timeout_ms, 1, 600'000));
  f.value("session-ttl", "SECONDS", "how long a login lasts (default 2592000, 30 days)",
          u64_flag(&o->session_ttl_s, false));
  f.value("html-cache", "N",
          "rendered uweets kept for reuse on the next page that lists them, a few hundred bytes each "
          "(default 20000)",
          uw::whole_flag<size_t>(&o->html_cache_entries, 1, 10'000'000));
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
    return uw::Unit{};
  });
  f.value("csrf-secret-file", "FILE",
          "the forms' CSRF secret, created (random) when missing: give every instance behind one load "
          "balancer the same file, so a form served by one is accepted by another (default: random per "
          "process)",
          uw::text_flag(&o->csrf_secret_file));
  f.value(
      "trusted-proxy", "CIDR[,CIDR...]",
      "reverse proxies (e.g. HAProxy with option forwardfor) whose X-Forwarded-For names the client for "
      "the login throttle, the sign-up limit and --metrics-allow (default: none, the TCP peer is the client)",
      [o](const std::string& v) -> uw::Result<uw::Unit> {
        if (auto c = uw::CidrList::parse(v); !c) return uw::bad_value(c.error().message);
        o->trusted_proxies = v;
        return uw::Unit{};
      });
  f.toggle("https-cookies", "Secure, __Host- session cookies (when served over HTTPS)", &o->https_cookies);
  f.value("allowed-origin", "ORIGIN", "another origin allowed to send forms (repeatable)",
          [o](const std::string& v) {
            o->allowed_origins.push_back(v);
            return uw::Unit{};
          });
  f.value("metrics-allow", "CIDR[,CIDR...]",
          "who may read /metrics (default 127.0.0.0/8,::1/128; 0.0.0.0/0,::/0 for everyone)",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            if (auto l = uw::CidrList::parse(v); !l) return uw::bad_value(l.error().message);
            o->metrics_allow = v;
            return uw::Unit{};
          });
  f.value("metrics-listen", "HOST:PORT", "serve /metrics on this separate listener only (port 0 picks one)",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            uw::HostPort hp;
            if (auto r = uw::host_port_flag(&hp)(v); !r) return r;
            o->metrics_listen = hp;
            return uw::Unit{};
          });
  f.value("post-rate", "N/s|N/min|N/h|off", "uweets a user may post, refilling (default 10/min)",
          rate_flag(&o->post_rate_per_s));
  f.value("post-burst", "N", "uweets a user may post at once before --post-rate applies (default 100)",
          uw::whole_flag(&o->post_burst, 1, 1'000'000));
  f.value("signup-rate", "N/s|N/min|N/h|off", "sign-ups per client address, refilling (default 6/min)",
          rate_flag(&o->signup_rate_per_s));
  f.value("signup-burst", "N", "sign-ups from one address at once before --signup-rate applies (default 30)",
          uw::whole_flag(&o->signup_burst, 1, 1'000'000));
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

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int code = 0;
  if (parse(argc, argv, &o, &code)) return code;
  uv_loop_t* loop = uv_default_loop();
  {
    uw::web::Site site(loop, std::move(o));
    if (auto started = site.start(); !started) {
      std::fprintf(stderr, "uwitter-web: %s\n", started.error().message.c_str());
      return 1;
    }
    site.handle_signals();
    site.announce();
    uv_run(loop, UV_RUN_DEFAULT);
  }
  int rc = uv_loop_close(loop);
  if (rc != 0) uw::log::warn("loop closed with handles still open: {}", uv_strerror(rc));
  return 0;
}
