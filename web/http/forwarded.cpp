#include "web/http/forwarded.hpp"

#include <arpa/inet.h>

#include <string_view>
#include <vector>

namespace uw::web {

namespace {

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string client_ip(const http::Request& req, const CidrList& trusted_proxies) {
  if (trusted_proxies.empty() || !trusted_proxies.contains(req.peer_ip)) return req.peer_ip;
  std::vector<std::string_view> hops;  // left to right, every line
  for (const auto& [name, value] : req.headers) {
    if (name != "x-forwarded-for") continue;
    std::string_view v = value;
    while (true) {
      const size_t comma = v.find(',');
      hops.push_back(trim(v.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    std::string hop(*it);
    if (!is_ip(hop)) return req.peer_ip;  // a hop we cannot read: trust nothing left of it
    if (!trusted_proxies.contains(hop)) return hop;
  }
  return req.peer_ip;
}

}  // namespace uw::web
