// uwitter-web: parses flags into a SiteConfig; uw::web::Site (web/site.hpp)
// builds and runs the rest. SIGTERM/SIGINT: stop accepting, let in-flight
// requests finish, drain the writer, exit 0.
#include <cstdio>
#include <functional>
#include <string>

#include "core/flags.hpp"
#include "core/log.hpp"
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
  f.value("notify", "HOST:PORT[,...]", "send signed UDP notifications to these notifiers",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            size_t start = 0;
            while (start <= v.size()) {
              size_t comma = v.find(',', start);
              auto hp = uw::parse_host_port(
                  v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
              if (!hp) return uw::bad_value("expects HOST:PORT[,HOST:PORT...]");
              o->notify.push_back(*hp);
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
  f.value("notifier-url", "URL", "where browsers reach the notifier, e.g. http://127.0.0.1:7701",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
              return uw::bad_value("expects an http:// or https:// URL");
            o->notifier_url = v;
            return uw::Unit{};
          });
  f.toggle("demo", "fill an empty database with demo users and uweets", &o->demo);
  f.value("synchronous", "full|normal", "SQLite synchronous mode (default normal)",
          [o](const std::string& v) -> uw::Result<uw::Unit> {
            if (v != "full" && v != "normal") return uw::bad_value("expects full or normal");
            o->synchronous_full = v == "full";
            return uw::Unit{};
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
    return uw::Unit{};
  });
  f.toggle("https-cookies", "Secure, __Host- session cookies (when served over HTTPS)", &o->https_cookies);
  f.value("allowed-origin", "ORIGIN", "another origin allowed to send forms (repeatable)",
          [o](const std::string& v) {
            o->allowed_origins.push_back(v);
            return uw::Unit{};
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
