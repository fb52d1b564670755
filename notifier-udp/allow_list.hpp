#pragma once
// uw::notifier::AllowList — source-address allow-list for datagrams and the
// notifier's /metrics (--allow, --metrics-allow: CIDR[,CIDR...]). Checked
// before anything else on every datagram, so it must be cheap: core's
// CidrList (a linear scan over a handful of prefixes, no allocation), with
// one rule of its own: an empty list allows everything. Immutable after
// parse: any thread may read.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/cidr.hpp"
#include "core/result.hpp"

struct sockaddr;

namespace uw::notifier {

class AllowList {
 public:
  // Parses "127.0.0.1/32,10.0.0.0/8,::1/128" (a bare address means a host
  // prefix); "" is the empty list. An Error (its message names the bad item)
  // on bad syntax.
  static Result<AllowList> parse(std::string_view text);
  bool allows(const sockaddr* addr) const { return list_.empty() || list_.contains(addr); }
  // The same for a textual IPv4 or IPv6 address (an HTTP peer); false if it
  // does not parse and the list is not empty.
  bool allows_ip(const std::string& ip) const { return list_.empty() || list_.contains(ip); }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }

 private:
  CidrList list_;
};

}  // namespace uw::notifier
