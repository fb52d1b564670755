#include "core/cidr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace uw {
namespace {

Error bad(const std::string& what) { return Error{400, "bad_cidr", what}; }

// Parses an address literal into 16 bytes; v4 addresses use the first 4.
bool parse_addr(const std::string& s, bool* v6, std::array<uint8_t, 16>* out) {
  out->fill(0);
  if (inet_pton(AF_INET, s.c_str(), out->data()) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out->data()) != 1) return false;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out->data(), kMapped, sizeof kMapped) == 0) {  // ::ffff:a.b.c.d
    std::memmove(out->data(), out->data() + 12, 4);
    std::memset(out->data() + 4, 0, 12);
    *v6 = false;
    return true;
  }
  *v6 = true;
  return true;
}

bool prefix_match(const uint8_t* a, const uint8_t* b, int bits) {
  const int whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

Result<CidrList> CidrList::parse(std::string_view text) {
  CidrList out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) return bad("empty item in the address list");
    std::string addr = item;
    int bits = -1;
    if (auto slash = item.find('/'); slash != std::string::npos) {
      addr = item.substr(0, slash);
      std::string b = item.substr(slash + 1);
      if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos)
        return bad("bad prefix length in " + item);
      bits = std::stoi(b);
    }
    Prefix p;
    if (!parse_addr(addr, &p.v6, &p.bytes)) return bad("not an IP address: " + addr);
    const int max = p.v6 ? 128 : 32;
    if (bits < 0) bits = max;
    if (bits > max) return bad("prefix longer than " + std::to_string(max) + " in " + item);
    p.bits = bits;
    out.prefixes_.push_back(p);
    if (comma == text.size()) break;
  }
  return out;
}

bool CidrList::contains(const sockaddr* sa) const {
  if (!sa) return false;
  bool v6 = false;
  const uint8_t* a = nullptr;
  if (sa->sa_family == AF_INET) {
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    a = reinterpret_cast<const uint8_t*>(in6);
    if (IN6_IS_ADDR_V4MAPPED(in6))
      a += 12;  // ::ffff:a.b.c.d is matched as a.b.c.d
    else
      v6 = true;
  } else {
    return false;
  }
  for (const auto& p : prefixes_)
    if (p.v6 == v6 && prefix_match(p.bytes.data(), a, p.bits)) return true;
  return false;
}

bool CidrList::contains(std::string_view ip) const {
  bool v6 = false;
  std::array<uint8_t, 16> a{};
  if (!parse_addr(std::string(ip), &v6, &a)) return false;
  for (const auto& p : prefixes_)
    if (p.v6 == v6 && prefix_match(p.bytes.data(), a.data(), p.bits)) return true;
  return false;
}

}  // namespace uw
