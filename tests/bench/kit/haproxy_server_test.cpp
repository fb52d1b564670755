// bench/kit/haproxy_server.cpp: a throwaway HAProxy on a free port, configured
// from the cluster's template (scripts/cluster/haproxy.cfg.in), that balances
// round robin over its backends, checks them on GET /healthz, takes a dead one
// out within its check interval and puts it back when it answers again, and is
// gone after stop().
#include "bench/kit/haproxy_server.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <regex>
#include <set>

#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "tests/bench/kit/canned_server.hpp"

namespace uw::kit {
namespace {

std::string reply(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

TEST(HaproxyServer, TemplateIsFilledInCompletely) {
  HaproxyServer::Options o;
  o.backends = {1001, 1002};
  o.check_interval_ms = 300;
  const std::string text = HaproxyServer::config_text("127.0.0.1:9", "/tmp/x.sock", o);
  EXPECT_FALSE(std::regex_search(text, std::regex("@[A-Z_]+@"))) << text;  // no placeholder left
  EXPECT_NE(text.find("server web1 127.0.0.1:1001 check"), std::string::npos) << text;
  EXPECT_NE(text.find("server web2 127.0.0.1:1002 check"), std::string::npos) << text;
  EXPECT_NE(text.find("option httpchk GET /healthz"), std::string::npos);
  EXPECT_NE(text.find("balance roundrobin"), std::string::npos);
  EXPECT_NE(text.find("inter 300 "), std::string::npos);
  EXPECT_EQ(text.find("\n    option forwardfor"), std::string::npos);
  o.forward_for = true;
  EXPECT_NE(HaproxyServer::config_text("127.0.0.1:9", "/tmp/x.sock", o).find("\n    option forwardfor"),
            std::string::npos);
}

TEST(HaproxyServer, BalancesChecksRoutesAroundADeadBackendAndStops) {
  ASSERT_FALSE(HaproxyServer::binary().empty()) << "haproxy is not installed (.ci/install-deps)";
  auto one = std::make_unique<test::CannedServer>(reply("one"));
  test::CannedServer two(reply("two"));
  const uint16_t one_port = one->port();
  HaproxyServer hp;
  HaproxyServer::Options o;
  o.backends = {one_port, two.port()};
  o.check_interval_ms = 200;
  o.forward_for = true;
  ASSERT_TRUE(hp.start(o)) << hp.error();
  EXPECT_TRUE(hp.running());
  EXPECT_GT(hp.port(), 0);

  // Both UP once checked (GET /healthz reached each backend).
  ASSERT_TRUE(eventually([&] {
    auto s = hp.backend_states();
    return s["web1"] == "UP" && s["web2"] == "UP";
  })) << hp.stats_command("show stat");
  bool checked = false;
  for (const auto& r : two.requests()) checked = checked || r.rfind("GET /healthz HTTP/1.", 0) == 0;
  EXPECT_TRUE(checked);

  // Round robin, no stickiness: a few requests reach both.
  HttpClient c(hp.url());
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    auto r = c.get("/");
    ASSERT_EQ(r.status, 200) << r.error << r.body;
    seen.insert(r.body);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"one", "two"}));
  bool forwarded = false;
  for (const auto& r : two.requests())
    forwarded = forwarded || (r.rfind("GET / ", 0) == 0 &&
                              r.find("\r\nx-forwarded-for: 127.0.0.1\r\n") != std::string::npos);
  EXPECT_TRUE(forwarded) << "option forwardfor adds the client's address";

  // web1 dies: DOWN after `fall` failed checks, and every request goes to web2
  // (a refused connection is redispatched, so not even the first one fails).
  one.reset();
  const auto t0 = Clock::now();
  ASSERT_TRUE(eventually([&] { return hp.backend_states()["web1"].rfind("DOWN", 0) == 0; }))
      << hp.stats_command("show stat");
  const auto down_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_LT(down_ms, 5000) << "fall 2 at 200 ms";
  for (int i = 0; i < 4; ++i) {
    auto r = c.get("/");
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "two");
  }

  // Back on the same port: UP again after one good check (rise 1).
  test::CannedServer again(reply("one again"), false, one_port);
  ASSERT_EQ(again.port(), one_port);
  EXPECT_TRUE(eventually([&] { return hp.backend_states()["web1"] == "UP"; }))
      << hp.stats_command("show stat");
  seen.clear();
  for (int i = 0; i < 6; ++i) seen.insert(c.get("/").body);
  EXPECT_EQ(seen, (std::set<std::string>{"one again", "two"}));

  const pid_t pid = hp.pid();
  ASSERT_TRUE(hp.stop());
  EXPECT_FALSE(hp.running());
  EXPECT_NE(::kill(pid, 0), 0) << "haproxy still running";
  EXPECT_NE(c.get("/").status, 200);
}

}  // namespace
}  // namespace uw::kit
