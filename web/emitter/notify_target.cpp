#include "web/emitter/notify_target.hpp"

namespace uw::web {

const char* notify_scheme_name(NotifyScheme s) {
  switch (s) {
    case NotifyScheme::Udp:
      return "udp";
    case NotifyScheme::Tcp:
      return "tcp";
    case NotifyScheme::Http:
      return "http";
    case NotifyScheme::Amqp:
      return "amqp";
  }
  return "?";
}

std::string NotifyTarget::text() const {
  if (scheme == NotifyScheme::Amqp) return amqp.text();
  std::string host = addr.host.find(':') != std::string::npos ? "[" + addr.host + "]" : addr.host;
  std::string t = std::string(notify_scheme_name(scheme)) + "://" + host + ":" + std::to_string(addr.port);
  if (scheme == NotifyScheme::Http) t += path;
  return t;
}

Result<NotifyTarget> parse_notify_target(std::string_view entry) {
  auto bad = [&](const std::string& why) {
    return Error{400, "bad_notify", std::string(entry) + ": " + why};
  };
  NotifyTarget t;
  std::string_view rest = entry;
  size_t sep = entry.find("://");
  if (sep != std::string_view::npos) {
    std::string_view scheme = entry.substr(0, sep);
    rest = entry.substr(sep + 3);
    if (scheme == "udp")
      t.scheme = NotifyScheme::Udp;
    else if (scheme == "tcp")
      t.scheme = NotifyScheme::Tcp;
    else if (scheme == "http")
      t.scheme = NotifyScheme::Http;
    else if (scheme == "amqp")
      t.scheme = NotifyScheme::Amqp;
    else
      return bad("unsupported scheme " + std::string(scheme) +
                 " (udp://, tcp://, http://, amqp:// or bare HOST:PORT)");
  }
  if (t.scheme == NotifyScheme::Amqp) {
    // Its own error names no password (the entry itself is not repeated).
    auto u = amqp::parse_url(entry);
    if (!u) return u.error();
    t.amqp = std::move(u.value());
    t.addr = HostPort{t.amqp.host, t.amqp.port};
    return t;
  }
  std::string_view hostport = rest;
  if (t.scheme == NotifyScheme::Http) {
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos) {
      hostport = rest.substr(0, slash);
      t.path = std::string(rest.substr(slash));
    }
    if (t.path.empty() || t.path == "/") t.path = "/ingest";
    for (char c : t.path)
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
        return bad("the path may not hold spaces or controls");
  } else if (rest.find('/') != std::string_view::npos) {
    return bad("only http:// takes a path");
  }
  auto parsed = parse_host_port(std::string(hostport));
  if (!parsed) return bad("expects HOST:PORT");
  // UDP keeps taking port 0 (its sends fail and count); a stream needs a peer.
  if (parsed->port == 0 && t.scheme != NotifyScheme::Udp) return bad("needs a port from 1 to 65535");
  t.addr = *parsed;
  return t;
}

}  // namespace uw::web
