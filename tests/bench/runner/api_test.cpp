// bench/runner/api.cpp: the bench's JSON client against a canned HTTP server
// (the request line, the bearer token, a JSON body in and out, a transport
// failure), and parallel_for's hand-out of work.
#include "bench/runner/api.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "tests/bench/kit/canned_server.hpp"

namespace uw::bench {
namespace {

using kit::test::CannedServer;

std::string reply(const std::string& status, const std::string& body) {
  return "HTTP/1.1 " + status +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

struct ApiTest : ::testing::Test {
  static void SetUpTestSuite() { api_global_init(); }
};

TEST_F(ApiTest, SendsMethodPathBearerAndJsonAndParsesTheAnswer) {
  CannedServer server(reply("201 Created", R"({"id":5,"text":"hi"})"));
  Api api("http://127.0.0.1:" + std::to_string(server.port()));
  auto r = api.call("POST", "/api/v1/uweets", {{"text", "hi"}}, "tok123");
  ASSERT_EQ(r.status, 201) << r.error;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.body["id"], 5);
  EXPECT_EQ(r.body["text"], "hi");
  EXPECT_EQ(r.raw, R"({"id":5,"text":"hi"})");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(kit::test::request_has(reqs[0], "POST /api/v1/uweets HTTP/1.1",
                                     {"Authorization: Bearer tok123", "Content-Type: application/json",
                                      "Content-Length: 13"}));       // {"text":"hi"}
  EXPECT_EQ(reqs[0].find("Expect:"), std::string::npos) << reqs[0];  // no 100-continue wait
}

TEST_F(ApiTest, AnErrorStatusIsNotOkAndABodyThatIsNotJsonIsDiscarded) {
  CannedServer server(reply("409 Conflict", "taken"));
  Api api("http://127.0.0.1:" + std::to_string(server.port()));
  auto r = api.call("PUT", "/api/v1/follows/bob");
  EXPECT_EQ(r.status, 409);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.body.is_discarded());
  EXPECT_EQ(r.raw, "taken");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(kit::test::request_has(reqs[0], "PUT /api/v1/follows/bob HTTP/1.1"));
  EXPECT_EQ(reqs[0].find("Authorization:"), std::string::npos) << reqs[0];  // no token, no header
}

TEST_F(ApiTest, GetTextReturnsTheRawBody) {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nup_total\n");
  Api api("http://127.0.0.1:" + std::to_string(server.port()));
  auto r = api.get_text("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.raw, "up_total\n");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(kit::test::request_has(server.requests()[0], "GET /metrics HTTP/1.1"));
}

TEST_F(ApiTest, ATransportFailureHasStatusZeroAndAnError) {
  uint16_t port = 0;
  {
    CannedServer gone("");
    port = gone.port();
  }
  Api api("http://127.0.0.1:" + std::to_string(port));
  auto r = api.call("GET", "/healthz");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.error.empty());
}

TEST_F(ApiTest, ParallelForRunsEachIndexOnceAndStopsOnFalse) {
  std::mutex mu;
  std::multiset<size_t> seen;
  EXPECT_TRUE(parallel_for("http://127.0.0.1:1", 200, 4, [&](Api&, size_t i) {
    std::lock_guard l(mu);
    seen.insert(i);
    return true;
  }));
  ASSERT_EQ(seen.size(), 200u);
  for (size_t i = 0; i < 200; ++i) EXPECT_EQ(seen.count(i), 1u) << i;

  std::atomic<size_t> ran{0};
  EXPECT_FALSE(parallel_for("http://127.0.0.1:1", 100'000, 2, [&](Api&, size_t i) {
    ++ran;
    return i != 10;
  }));
  EXPECT_LT(ran.load(), 100'000u);  // no more work handed out after the failure
}

}  // namespace
}  // namespace uw::bench
