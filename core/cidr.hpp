#pragma once
// uw::CidrList — a list of IP prefixes ("127.0.0.0/8,::1/128") checked against
// a textual peer address (http::Request::peer_ip). uwitter-web uses it for
// --metrics-allow, the notifier for --allow and --metrics-allow (AllowList). A linear scan over a handful of
// prefixes; immutable after parse, so any thread may read it. An IPv4-mapped IPv6 address
// (::ffff:10.1.2.3) is matched as the IPv4 address it carries.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

struct sockaddr;

namespace uw {

class CidrList {
 public:
  // Parses comma-separated prefixes; a bare address is a host prefix. An Error
  // (code "bad_cidr", the message names the bad item) on bad syntax.
  static Result<CidrList> parse(std::string_view text);
  // True when ip (an IPv4 or IPv6 literal) is inside one of the prefixes.
  bool contains(std::string_view ip) const;
  // The same for a socket address (AF_INET or AF_INET6); no allocation, so
  // it can run on every datagram.
  bool contains(const sockaddr* addr) const;
  bool empty() const { return prefixes_.empty(); }
  size_t size() const { return prefixes_.size(); }

 private:
  struct Prefix {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
    int bits = 0;
  };
  std::vector<Prefix> prefixes_;
};

}  // namespace uw
