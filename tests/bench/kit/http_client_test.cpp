// kit::HttpClient (libcurl) and raw_exchange against a canned server on
// 127.0.0.1: status, lower-cased headers, body, JSON, the cookie jar, the
// bearer header, and a transport failure reported as status 0.
#include "bench/kit/http_client.hpp"

#include <gtest/gtest.h>

#include "tests/bench/kit/canned_server.hpp"

namespace uw::kit {
namespace {

using test::CannedServer;
using test::request_has;

const char kReply[] =
    "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Thing: One\r\n"
    "Set-Cookie: uw_session=abc123; Path=/; HttpOnly\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
    "{\"ok\":true}";

TEST(HttpClient, ReadsStatusHeadersBodyAndJson) {
  CannedServer server(kReply);
  ASSERT_NE(server.port(), 0);
  HttpClient client("http://127.0.0.1:" + std::to_string(server.port()));
  HttpResponse r = client.json("POST", "/api/v1/x", {{"text", "hi"}}, "tok-1");
  EXPECT_EQ(r.status, 201) << r.error;
  EXPECT_EQ(r.header("x-thing"), "One");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, "{\"ok\":true}");
  EXPECT_EQ(r.json()["ok"], true);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(request_has(reqs[0], "POST /api/v1/x HTTP/1.1",
                          {"Authorization: Bearer tok-1", "Content-Type: application/json"}));
}

TEST(HttpClient, KeepsCookiesLikeABrowser) {
  CannedServer server(kReply);
  HttpClient client("http://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(client.cookie("uw_session"), "");
  ASSERT_EQ(client.get("/").status, 201);
  EXPECT_EQ(client.cookie("uw_session"), "abc123");
  ASSERT_EQ(client.get("/again").status, 201);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_NE(reqs[1].find("Cookie: uw_session=abc123"), std::string::npos) << reqs[1];
  client.clear_cookies();
  EXPECT_EQ(client.cookie("uw_session"), "");
}

TEST(HttpClient, AnUnreachableServerIsStatusZeroWithAReason) {
  uint16_t port = 0;
  {
    CannedServer gone("");
    port = gone.port();
  }  // closed: nothing listens there now
  HttpClient client("http://127.0.0.1:" + std::to_string(port));
  HttpResponse r = client.get("/");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
}

TEST(HttpClient, RawExchangeSendsBytesAsGivenAndReadsToClose) {
  CannedServer server("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  std::string got = raw_exchange(server.port(), "GET  /odd HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << got;
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0], "GET  /odd HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST(HttpClient, FindsHiddenInputValues) {
  std::string html = R"(<form><input type="hidden" name="csrf" value="t0k"><input name="q" value=""></form>)";
  EXPECT_EQ(html_input_value(html, "csrf"), "t0k");
  EXPECT_EQ(html_input_value(html, "q"), "");
  EXPECT_EQ(html_input_value(html, "absent"), "");
}

}  // namespace
}  // namespace uw::kit
