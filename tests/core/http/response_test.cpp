// core/http/response.cpp: Response builders, request header lookup, and the
// bytes serialise() puts on the wire (status line, Date, Content-Length,
// Connection, no body for HEAD/204/304, no header injection).
#include <gtest/gtest.h>

#include <string>

#include "core/http/server.hpp"
#include "core/http/wire.hpp"

namespace uw::http {
namespace {

std::string bytes(const Response& r, bool keep_alive = true, bool head_only = false, bool streaming = false) {
  std::string out;
  wire::serialise(r, "Tue, 01 Dec 2026 11:00:00 GMT", keep_alive, head_only, streaming, out);
  return out;
}

TEST(Response, BuildersSetStatusBodyAndContentType) {
  Response j = Response::json(201, "{}");
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.body, "{}");
  std::string wire = bytes(j);
  EXPECT_NE(wire.find("Content-Type: application/json"), std::string::npos) << wire;
  EXPECT_NE(bytes(Response::html(200, "<p>")).find("Content-Type: text/html; charset=utf-8"),
            std::string::npos);
  EXPECT_NE(bytes(Response::text(404, "no")).find("Content-Type: text/plain; charset=utf-8"),
            std::string::npos);
}

TEST(Response, SerialisesStatusDateLengthConnectionAndBody) {
  Response r = Response::text(200, "hello");
  r.set("X-A", "1");
  EXPECT_EQ(bytes(r),
            "HTTP/1.1 200 OK\r\nDate: Tue, 01 Dec 2026 11:00:00 GMT\r\nContent-Length: 5\r\n"
            "Connection: keep-alive\r\nContent-Type: text/plain; charset=utf-8\r\nX-A: 1\r\n\r\nhello");
  EXPECT_NE(bytes(r, /*keep_alive=*/false).find("Connection: close\r\n"), std::string::npos);
}

TEST(Response, HeadAnd204And304CarryNoBody) {
  Response r = Response::text(200, "hello");
  std::string head = bytes(r, true, /*head_only=*/true);
  EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos) << "HEAD says how long GET would be";
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  for (int status : {204, 304}) {
    Response e;
    e.status = status;
    e.body = "ignored";
    std::string w = bytes(e);
    EXPECT_EQ(w.find("Content-Length"), std::string::npos) << status;
    EXPECT_EQ(w.substr(w.size() - 4), "\r\n\r\n") << status;
  }
}

TEST(Response, StreamingHasNoLengthAndNoBodyYet) {
  Response r = Response::text(200, "later");
  std::string w = bytes(r, true, false, /*streaming=*/true);
  EXPECT_EQ(w.find("Content-Length"), std::string::npos);
  EXPECT_EQ(w.find("later"), std::string::npos);
}

TEST(Response, HandlerHeadersCannotSplitTheResponseOrOverrideFraming) {
  Response r = Response::text(200, "x");
  r.set("X-Evil", "a\r\nSet-Cookie: stolen=1");
  r.set("X-Bad\r\nName", "v");
  r.set("Content-Length", "999");
  r.set("Date", "yesterday");
  r.set("Connection", "upgrade");
  std::string w = bytes(r);
  EXPECT_EQ(w.find("stolen"), std::string::npos) << w;
  EXPECT_EQ(w.find("X-Bad"), std::string::npos) << w;
  EXPECT_EQ(w.find("999"), std::string::npos) << w;
  EXPECT_EQ(w.find("yesterday"), std::string::npos) << w;
  EXPECT_EQ(w.find("upgrade"), std::string::npos) << w;
  EXPECT_NE(w.find("Content-Length: 1\r\n"), std::string::npos) << w;
}

TEST(Response, AsksCloseOnlyForConnectionClose) {
  Response r;
  EXPECT_FALSE(wire::asks_close(r));
  r.set("connection", "Close");
  EXPECT_TRUE(wire::asks_close(r));
}

TEST(Response, ReasonPhrases) {
  EXPECT_EQ(wire::reason_phrase(200), "OK");
  EXPECT_EQ(wire::reason_phrase(404), "Not Found");
  EXPECT_EQ(wire::reason_phrase(429), "Too Many Requests");
  EXPECT_EQ(wire::reason_phrase(599), "Unknown");
}

TEST(DateCache, IsAnImfFixdate) {
  wire::DateCache d;
  const std::string& v = d.now();
  ASSERT_EQ(v.size(), 29u) << v;  // "Tue, 01 Dec 2026 11:00:00 GMT"
  EXPECT_EQ(v.substr(v.size() - 4), " GMT");
  EXPECT_EQ(v[3], ',');
}

TEST(Request, HeaderLookupIsByLowerCaseName) {
  Request q;
  q.headers.emplace_back("x-token", "abc");
  ASSERT_TRUE(q.header("x-token").has_value());
  EXPECT_EQ(*q.header("x-token"), "abc");
  EXPECT_FALSE(q.header("x-other").has_value());
}

}  // namespace
}  // namespace uw::http
