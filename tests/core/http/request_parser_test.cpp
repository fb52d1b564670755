// uw::http::RequestParser without sockets: the parse path every connection runs.
#include "core/http/request_parser.hpp"

#include <gtest/gtest.h>

using uw::http::Limits;
using uw::http::Request;
using uw::http::RequestParser;

namespace {

struct Fed {
  std::vector<Request> requests;
  int error = 0;
};

// Feeds `bytes` in pieces of `step` bytes (0 = all at once).
Fed feed_all(const std::string& bytes, size_t step = 0, Limits lim = {}) {
  RequestParser p(lim);
  Fed out;
  size_t off = 0;
  while (off < bytes.size() && out.error == 0) {
    size_t len = step ? std::min(step, bytes.size() - off) : bytes.size() - off;
    size_t n = p.feed(bytes.data() + off, len);
    off += n;
    if (p.state() == RequestParser::State::Ready) out.requests.push_back(p.take_request());
    if (p.state() == RequestParser::State::Error) out.error = p.error_status();
  }
  return out;
}

}  // namespace

TEST(RequestParser, ParsesRequestLineHeadersAndBody) {
  auto f = feed_all(
      "POST /a/b?x=1&y HTTP/1.1\r\nHost: h\r\nX-Mixed-Case:   padded value \t\r\nContent-Length: "
      "3\r\n\r\nabc");
  ASSERT_EQ(f.error, 0);
  ASSERT_EQ(f.requests.size(), 1u);
  const Request& r = f.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/a/b?x=1&y");
  EXPECT_EQ(r.path, "/a/b");
  EXPECT_EQ(r.query, "x=1&y");
  EXPECT_EQ(r.body, "abc");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.header("x-mixed-case"), "padded value");
  EXPECT_EQ(r.header("host"), "h");
  EXPECT_FALSE(r.header("absent").has_value());
}

TEST(RequestParser, GivesTheSameResultWhateverTheReadBoundaries) {
  const std::string input =
      "GET /1 HTTP/1.1\r\nHost: h\r\nCookie: a=b\r\n\r\n"
      "POST /2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;e=1\r\nde\r\n0\r\nT: x\r\n\r\n"
      "PUT /3 HTTP/1.1\r\nContent-Length: 4\r\nConnection: close\r\n\r\nwxyz";
  auto whole = feed_all(input);
  ASSERT_EQ(whole.requests.size(), 3u);
  EXPECT_EQ(whole.requests[1].body, "abcde");
  EXPECT_FALSE(whole.requests[1].header("t").has_value()) << "trailers are dropped";
  EXPECT_FALSE(whole.requests[2].keep_alive);
  for (size_t step = 1; step < 40; ++step) {
    auto split = feed_all(input, step);
    ASSERT_EQ(split.requests.size(), 3u) << step;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(split.requests[i].target, whole.requests[i].target) << step;
      EXPECT_EQ(split.requests[i].body, whole.requests[i].body) << step;
      EXPECT_EQ(split.requests[i].headers, whole.requests[i].headers) << step;
    }
  }
}

TEST(RequestParser, StopsAtTheEndOfEachRequest) {
  RequestParser p(Limits{});
  std::string two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  size_t n = p.feed(two.data(), two.size());
  EXPECT_EQ(n, two.size() / 2);
  ASSERT_EQ(p.state(), RequestParser::State::Ready);
  EXPECT_EQ(p.take_request().path, "/a");
  EXPECT_FALSE(p.in_progress());
  EXPECT_EQ(p.feed(two.data() + n, two.size() - n), two.size() - n);
  ASSERT_EQ(p.state(), RequestParser::State::Ready);
  EXPECT_EQ(p.take_request().path, "/b");
}

TEST(RequestParser, ReportsProgressFromTheFirstByte) {
  RequestParser p(Limits{});
  EXPECT_FALSE(p.in_progress());
  p.feed("G", 1);
  EXPECT_TRUE(p.in_progress());
  EXPECT_EQ(p.state(), RequestParser::State::NeedMore);
}

TEST(RequestParser, AsksForContinueOnlyWhenTheBodyFits) {
  Limits lim;
  lim.max_body_bytes = 10;
  RequestParser ok(lim);
  std::string a = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  ok.feed(a.data(), a.size());
  EXPECT_TRUE(ok.take_expect_continue());
  EXPECT_FALSE(ok.take_expect_continue());
  RequestParser big(lim);
  std::string b = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 50\r\n\r\n";
  big.feed(b.data(), b.size());
  EXPECT_EQ(big.state(), RequestParser::State::Error);
  EXPECT_EQ(big.error_status(), 413);
  EXPECT_FALSE(big.take_expect_continue());
}

TEST(RequestParser, EnforcesTheHeaderLimitExactly) {
  Limits lim;
  lim.max_header_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nX: ";
  std::string fits = head + std::string(64 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_EQ(feed_all(fits, 0, lim).requests.size(), 1u);
  EXPECT_EQ(feed_all(fits, 1, lim).requests.size(), 1u);
  std::string over = head + std::string(64 - head.size() - 3, 'a') + "\r\n\r\n";
  EXPECT_EQ(feed_all(over, 0, lim).error, 431);
  EXPECT_EQ(feed_all(over, 7, lim).error, 431);
}

TEST(RequestParser, RejectsObsFoldAndBareCrButNotSpacesInBodies) {
  EXPECT_EQ(feed_all("GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n").error, 400);
  auto ok = feed_all("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n\n  ");
  ASSERT_EQ(ok.requests.size(), 1u);
  EXPECT_EQ(ok.requests[0].body, "\n  ");
  EXPECT_EQ(feed_all("GET / HTTP/1.1\r\nA: b\rC: d\r\n\r\n").error, 400);
  EXPECT_EQ(feed_all("GET / HTTP/1.1\r\nA: b\rC: d\r\n\r\n", 1).error, 400);
  EXPECT_EQ(feed_all("GET / HTTP/1.1\nA: b\n\n").requests.size(), 1u);  // bare LF is fine
  // Blank lines before a request line are tolerated (RFC 9112 2.2).
  EXPECT_EQ(feed_all("\r\nGET / HTTP/1.1\r\n\r\n").requests.size(), 1u);
}
