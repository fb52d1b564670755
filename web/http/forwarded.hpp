#pragma once
// uw::web client address behind a reverse proxy (--trusted-proxy): when the
// TCP peer is one of the trusted proxies, the client is the rightmost address
// of X-Forwarded-For that is not itself a trusted proxy. Every
// X-Forwarded-For line counts, in order (HAProxy's `option forwardfor` adds
// a line of its own after whatever the client sent), so a client cannot pick
// its address by sending the header: what it wrote is left of what the proxy
// added. A peer outside the list, no header, or nothing but trusted or
// malformed entries: the TCP peer stays.
//
// The login throttle, the sign-up limit and --metrics-allow then see the
// client, not the proxy (docs/CLUSTER.md "X-Forwarded-For").
// Threading: pure; any thread.
#include <string>

#include "core/cidr.hpp"
#include "core/http/server.hpp"

namespace uw::web {

std::string client_ip(const http::Request& req, const CidrList& trusted_proxies);

}  // namespace uw::web
