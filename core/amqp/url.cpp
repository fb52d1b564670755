#include "core/amqp/url.hpp"

#include <cctype>

#include "core/flags.hpp"

namespace uw::amqp {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes s; false on a broken escape.
bool decode(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::string encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

}  // namespace

std::string Url::text() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string t = "amqp://";
  t += encode(user);
  t += '@';
  t += h;
  t += ':';
  t += std::to_string(port);
  t += '/';
  t += encode(vhost);
  if (queue != kDefaultQueue) {
    t += "?queue=";
    t += encode(queue);
  }
  return t;
}

Result<Url> parse_url(std::string_view url) {
  // The message never repeats the URL: it may hold a password.
  auto bad = [](const std::string& why) { return Error{400, "bad_amqp_url", "amqp:// URL: " + why}; };
  constexpr std::string_view scheme = "amqp://";
  if (url.substr(0, scheme.size()) != scheme) return bad("expects amqp://USER:PASSWORD@HOST:PORT/VHOST");
  std::string_view rest = url.substr(scheme.size());
  Url u;
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  bool has_path = false;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    has_path = true;
  }
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user = cred, pass;
    bool has_pass = false;
    if (size_t colon = cred.find(':'); colon != std::string_view::npos) {
      user = cred.substr(0, colon);
      pass = cred.substr(colon + 1);
      has_pass = true;
    }
    if (!decode(user, &u.user) || u.user.empty()) return bad("a user name is needed before '@'");
    if (has_pass && !decode(pass, &u.password)) return bad("the password has a broken %-escape");
    if (!has_pass) u.password.clear();
  }
  if (rest.empty()) return bad("no host");
  std::string hostport(rest);
  if (hostport.back() == ']' || hostport.find(':') == std::string::npos ||
      (hostport.front() == '[' && hostport.find("]:") == std::string::npos))
    hostport += ":5672";
  auto hp = parse_host_port(hostport);
  if (!hp || hp->host.empty()) return bad("expects HOST:PORT after '@'");
  if (hp->port == 0) return bad("needs a port from 1 to 65535");
  u.host = hp->host;
  u.port = hp->port;
  if (has_path && !path.empty()) {
    if (!decode(path, &u.vhost)) return bad("the vhost has a broken %-escape");
    if (u.vhost.empty()) return bad("empty vhost");
  }
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.substr(0, 6) == "queue=") {
      if (!decode(kv.substr(6), &u.queue) || u.queue.empty() || u.queue.size() > 255)
        return bad("queue= needs a name of 1 to 255 bytes");
    } else if (!kv.empty()) {
      return bad("unknown parameter " + std::string(kv.substr(0, kv.find('='))) + " (only queue=)");
    }
  }
  return u;
}

}  // namespace uw::amqp
