#include "notifier-udp/allow_list.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstring>

namespace uw::notifier {
namespace {

Error bad_list(std::string message) { return Error{400, "bad_allow_list", std::move(message)}; }

}  // namespace

Result<AllowList> AllowList::parse(std::string_view text) {
  AllowList out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) {
      if (comma == text.size()) break;
      return bad_list("empty CIDR in list");
    }
    Prefix p;
    std::string addr = item;
    int bits = -1;
    if (auto slash = item.find('/'); slash != std::string::npos) {
      addr = item.substr(0, slash);
      std::string b = item.substr(slash + 1);
      if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos) {
        return bad_list("bad prefix length in " + item);
      }
      bits = std::stoi(b);
    }
    if (inet_pton(AF_INET, addr.c_str(), p.bytes.data()) == 1) {
      p.v6 = false;
      if (bits < 0) bits = 32;
      if (bits > 32) {
        return bad_list("prefix longer than 32 in " + item);
      }
    } else if (inet_pton(AF_INET6, addr.c_str(), p.bytes.data()) == 1) {
      p.v6 = true;
      if (bits < 0) bits = 128;
      if (bits > 128) {
        return bad_list("prefix longer than 128 in " + item);
      }
    } else {
      return bad_list("not an IP address: " + addr);
    }
    p.bits = bits;
    out.prefixes_.push_back(p);
    if (comma == text.size()) break;
  }
  return out;
}

bool AllowList::match(const Prefix& p, const uint8_t* addr, bool v6) {
  if (p.v6 != v6) return false;
  int full = p.bits / 8, rest = p.bits % 8;
  if (std::memcmp(p.bytes.data(), addr, static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (p.bytes[static_cast<size_t>(full)] & mask) == (addr[full] & mask);
}

bool AllowList::allows(const sockaddr* sa) const {
  if (prefixes_.empty()) return true;
  if (!sa) return false;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    const auto* a = reinterpret_cast<const uint8_t*>(&in->sin_addr);
    for (const auto& p : prefixes_)
      if (match(p, a, false)) return true;
    return false;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    const auto* a = reinterpret_cast<const uint8_t*>(&in6->sin6_addr);
    for (const auto& p : prefixes_)
      if (match(p, a, true)) return true;
    // An IPv4-mapped IPv6 source is checked against the IPv4 prefixes too.
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
      for (const auto& p : prefixes_)
        if (match(p, a + 12, false)) return true;
    return false;
  }
  return false;
}

bool AllowList::allows_ip(const std::string& ip) const {
  if (prefixes_.empty()) return true;
  sockaddr_storage ss{};
  if (uv_ip4_addr(ip.c_str(), 0, reinterpret_cast<sockaddr_in*>(&ss)) != 0 &&
      uv_ip6_addr(ip.c_str(), 0, reinterpret_cast<sockaddr_in6*>(&ss)) != 0)
    return false;
  return allows(reinterpret_cast<const sockaddr*>(&ss));
}

}  // namespace uw::notifier
