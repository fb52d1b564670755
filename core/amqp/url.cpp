#include "core/amqp/url.hpp"

#include <utility>

#include "core/flags.hpp"
#include "core/http/server.hpp"

namespace uw::amqp {

namespace {

// Percent-decodes s with core/http's strict decoder ('+' stays '+'); false
// on a broken escape.
bool decode(std::string_view s, std::string* out) {
  auto d = http::url_decode(s, /*plus_is_space=*/false);
  if (!d) return false;
  *out = std::move(*d);
  return true;
}

}  // namespace

std::string Url::text() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string t = "amqp://";
  t += http::url_encode(user);
  t += '@';
  t += h;
  t += ':';
  t += std::to_string(port);
  t += '/';
  t += http::url_encode(vhost);
  if (queue != kDefaultQueue) {
    t += "?queue=";
    t += http::url_encode(queue);
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
