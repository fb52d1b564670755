// web/http/forwarded.cpp: the client address behind a trusted reverse proxy,
// unit by unit and end to end (a real uwitter-web behind a real HAProxy with
// option forwardfor: the sign-up limit counts each client, not the proxy, and
// a client's own X-Forwarded-For changes nothing).
#include "web/http/forwarded.hpp"

#include <gtest/gtest.h>

#include "bench/kit/eventually.hpp"
#include "bench/kit/haproxy_server.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

namespace uw::web {
namespace {

http::Request from(const std::string& peer, std::vector<std::string> xff) {
  http::Request r;
  r.peer_ip = peer;
  r.headers.emplace_back("host", "x");
  for (auto& v : xff) r.headers.emplace_back("x-forwarded-for", std::move(v));
  return r;
}

TEST(ClientIp, OnlyATrustedPeersHeaderCountsAndTheRightmostUntrustedHopWins) {
  const CidrList proxies = CidrList::parse("127.0.0.1,10.0.0.0/8").value();
  EXPECT_EQ(client_ip(from("127.0.0.1", {"203.0.113.7"}), proxies), "203.0.113.7");
  EXPECT_EQ(client_ip(from("127.0.0.1", {}), proxies), "127.0.0.1");                     // no header
  EXPECT_EQ(client_ip(from("198.51.100.1", {"203.0.113.7"}), proxies), "198.51.100.1");  // untrusted peer
  // What the client wrote is left of what the proxies added (one line or several).
  EXPECT_EQ(client_ip(from("127.0.0.1", {"6.6.6.6, 203.0.113.7"}), proxies), "203.0.113.7");
  EXPECT_EQ(client_ip(from("127.0.0.1", {"6.6.6.6", "203.0.113.7"}), proxies), "203.0.113.7");
  EXPECT_EQ(client_ip(from("127.0.0.1", {"203.0.113.7, 10.1.2.3"}), proxies),
            "203.0.113.7");  // via 2 proxies
  EXPECT_EQ(client_ip(from("127.0.0.1", {"2001:db8::1"}), proxies), "2001:db8::1");
  // Garbage at the hop we would take: the peer, not something to its left.
  EXPECT_EQ(client_ip(from("127.0.0.1", {"203.0.113.7, not-an-ip"}), proxies), "127.0.0.1");
  EXPECT_EQ(client_ip(from("127.0.0.1", {"10.0.0.1"}), proxies), "127.0.0.1");        // only proxies
  EXPECT_EQ(client_ip(from("127.0.0.1", {"203.0.113.7"}), CidrList{}), "127.0.0.1");  // none trusted
}

#ifdef UWITTER_WEB_BIN
// One sign-up per address per hour; two clients (127.0.0.2 and .3) through
// HAProxy. Without --trusted-proxy both are HAProxy's 127.0.0.1: the second is
// refused. With it each is itself, and a client's forged header does not
// give it a third.
TEST(ClientIp, BehindHaproxyTheSignupLimitCountsEachClient) {
  ASSERT_FALSE(kit::HaproxyServer::binary().empty()) << "haproxy is not installed (.ci/install-deps)";
  for (bool trusted : {false, true}) {
    kit::TempDir dir;
    kit::ChildProcess web;
    std::vector<std::string> argv{UWITTER_WEB_BIN, "--listen", "127.0.0.1:0",    "--data", dir.file("data"),
                                  "--signup-rate", "1/h",      "--signup-burst", "1"};
    if (trusted) argv.insert(argv.end(), {"--trusted-proxy", "127.0.0.1"});
    ASSERT_TRUE(web.start(argv, dir.file("stderr.log")));
    ASSERT_TRUE(web.wait_listening()) << web.stderr_text();
    kit::HaproxyServer hp;
    kit::HaproxyServer::Options o;
    o.backends = {web.port("http")};
    o.forward_for = true;
    ASSERT_TRUE(hp.start(o)) << hp.error();
    ASSERT_TRUE(kit::eventually([&] { return hp.backend_states()["web1"] == "UP"; }))
        << hp.stats_command("show stat");
    auto signup = [&](const std::string& source, const std::string& name, std::vector<std::string> headers) {
      kit::HttpClient c(hp.url());
      c.set_source_address(source);
      headers.push_back("Content-Type: application/json");
      return c.request("POST", "/api/v1/accounts",
                       R"({"username":")" + name + R"(","password":"correct horse"})", headers);
    };
    EXPECT_EQ(signup("127.0.0.2", "first", {}).status, 201);
    auto second = signup("127.0.0.3", "second", {});
    EXPECT_EQ(second.status, trusted ? 201 : 429) << second.body;
    if (trusted) {
      auto forged = signup("127.0.0.2", "third", {"X-Forwarded-For: 198.51.100.9"});
      EXPECT_EQ(forged.status, 429) << "a client's own header is left of HAProxy's: " << forged.body;
    }
    EXPECT_EQ(web.terminate(), 0);
  }
}
#endif

}  // namespace
}  // namespace uw::web
