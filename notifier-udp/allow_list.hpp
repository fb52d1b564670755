#pragma once
// uw::notifier::AllowList — source-address allow-list for datagrams
// (--allow CIDR[,CIDR...]). Checked before anything else on every datagram,
// so it must be cheap: a linear scan over a handful of prefixes, no allocation.
// An empty list allows everything. Immutable after parse: any thread may read.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

struct sockaddr;

namespace uw::notifier {

class AllowList {
 public:
  // Parses "127.0.0.1/32,10.0.0.0/8,::1/128" (a bare address means a host prefix).
  // An Error (its message names the bad item) on bad syntax.
  static Result<AllowList> parse(std::string_view text);
  bool allows(const sockaddr* addr) const;
  // The same for a textual IPv4 or IPv6 address (an HTTP peer); false if it
  // does not parse and the list is not empty.
  bool allows_ip(const std::string& ip) const;
  bool empty() const { return prefixes_.empty(); }
  size_t size() const { return prefixes_.size(); }

 private:
  struct Prefix {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
    int bits = 0;
  };
  static bool match(const Prefix& p, const uint8_t* addr, bool v6);
  std::vector<Prefix> prefixes_;
};

}  // namespace uw::notifier
