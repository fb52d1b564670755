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
      "POST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;e=1\r\nde\r\n0\r\nT: "
      "x\r\n\r\n"
      "PUT /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nConnection: close\r\n\r\nwxyz";
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
  std::string two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
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
  std::string a = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  ok.feed(a.data(), a.size());
  EXPECT_TRUE(ok.take_expect_continue());
  EXPECT_FALSE(ok.take_expect_continue());
  RequestParser big(lim);
  std::string b = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 50\r\n\r\n";
  big.feed(b.data(), b.size());
  EXPECT_EQ(big.state(), RequestParser::State::Error);
  EXPECT_EQ(big.error_status(), 413);
  EXPECT_FALSE(big.take_expect_continue());
}

TEST(RequestParser, EnforcesTheHeaderLimitExactly) {
  Limits lim;
  lim.max_header_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  std::string fits = head + std::string(64 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_EQ(feed_all(fits, 0, lim).requests.size(), 1u);
  EXPECT_EQ(feed_all(fits, 1, lim).requests.size(), 1u);
  std::string over = head + std::string(64 - head.size() - 3, 'a') + "\r\n\r\n";
  EXPECT_EQ(feed_all(over, 0, lim).error, 431);
  EXPECT_EQ(feed_all(over, 7, lim).error, 431);
}

TEST(RequestParser, RejectsObsFoldAndBareCrButNotSpacesInBodies) {
  EXPECT_EQ(feed_all("GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\tc\r\n\r\n").error, 400);
  auto ok = feed_all("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n\n  ");
  ASSERT_EQ(ok.requests.size(), 1u);
  EXPECT_EQ(ok.requests[0].body, "\n  ");
  EXPECT_EQ(feed_all("GET / HTTP/1.1\r\nHost: h\r\nA: b\rC: d\r\n\r\n").error, 400);
  EXPECT_EQ(feed_all("GET / HTTP/1.1\r\nHost: h\r\nA: b\rC: d\r\n\r\n", 1).error, 400);
  EXPECT_EQ(feed_all("GET / HTTP/1.1\nHost: h\nA: b\n\n").requests.size(), 1u);  // bare LF is fine
  // Blank lines before a request line are tolerated (RFC 9112 2.2).
  EXPECT_EQ(feed_all("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").requests.size(), 1u);
}

namespace {
// The error status for `bytes` fed whole, and checks every split gives the same.
int error_at_every_split(const std::string& bytes) {
  int whole = feed_all(bytes).error;
  for (size_t step = 1; step < bytes.size(); ++step) EXPECT_EQ(feed_all(bytes, step).error, whole) << step;
  return whole;
}
}  // namespace

TEST(RequestParser, AcceptsAbsoluteFormTargetsAsOriginForm) {
  auto f = feed_all("GET http://example.com:8080/healthz?x=1 HTTP/1.1\r\nHost: other\r\n\r\n");
  ASSERT_EQ(f.error, 0);
  ASSERT_EQ(f.requests.size(), 1u);
  EXPECT_EQ(f.requests[0].target, "/healthz?x=1");
  EXPECT_EQ(f.requests[0].path, "/healthz");
  EXPECT_EQ(f.requests[0].query, "x=1");
  EXPECT_EQ(f.requests[0].header("host"), "example.com:8080")
      << "the target's authority wins (RFC 9112 3.2.2)";

  auto bare = feed_all("GET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(bare.requests.size(), 1u);
  EXPECT_EQ(bare.requests[0].path, "/");
  auto v6 = feed_all("GET https://[::1]:9/a/b HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(v6.requests.size(), 1u);
  EXPECT_EQ(v6.requests[0].path, "/a/b");
  EXPECT_EQ(v6.requests[0].header("host"), "[::1]:9");
  auto star = feed_all("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(star.requests.size(), 1u);
  EXPECT_EQ(star.requests[0].path, "*");

  EXPECT_EQ(feed_all("GET ftp://h/a HTTP/1.1\r\nHost: h\r\n\r\n").error, 400);
  EXPECT_EQ(feed_all("GET http://u:p@h/a HTTP/1.1\r\nHost: h\r\n\r\n").error, 400);
  EXPECT_EQ(feed_all("GET * HTTP/1.1\r\nHost: h\r\n\r\n").error, 400);
  EXPECT_EQ(feed_all("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n").error, 400);
}

TEST(RequestParser, RejectsControlCharactersAndStrayWhiteSpaceInTheRequestLine) {
  const std::string host = "\r\nHost: h\r\n\r\n";
  const std::vector<std::string> lines = {
      "GET /healthz?x\fHTTP/0.9 HTTP/1.1",  // form feed in the target
      "GET /a\tb HTTP/1.1",                 // TAB in the target
      "GET\t/ HTTP/1.1",                    // TAB for the first SP
      "GET /\tHTTP/1.1",                    // TAB for the second SP
      "GET /a\vb HTTP/1.1",                 // vertical tab
      "GET /a\x01 HTTP/1.1",
      "GET /a\x7f HTTP/1.1",
      std::string("GET /a\0b HTTP/1.1", 17),
      "GET  / HTTP/1.1",   // double space before the target
      "GET /  HTTP/1.1",   // double space after it
      "GET / HTTP/1.1 ",   // trailing space
      "GET / HTTP/1.1\t",  // trailing TAB
      " GET / HTTP/1.1",   // leading space
      "GET / HTTP/1.1 x",  // a fourth part
      "GET /a#frag HTTP/1.1",
      "GET /",  // HTTP/0.9
      "GET / HTTP/1.10",
      "G(T / HTTP/1.1",
  };
  for (const auto& line : lines) EXPECT_EQ(error_at_every_split(line + host), 400) << line;
  // What stays accepted: one SP each side, any visible ASCII and raw UTF-8 in the target.
  auto ok = feed_all("GET /a/%20b?c=d&e=[f]~!$'()*+,;=:@ HTTP/1.1" + host);
  ASSERT_EQ(ok.requests.size(), 1u);
  EXPECT_EQ(ok.requests[0].path, "/a/%20b");
  EXPECT_EQ(feed_all("GET /\xc3\xa9t\xc3\xa9 HTTP/1.1" + host).requests.size(), 1u);
}

TEST(RequestParser, NeedsExactlyOneHostInHttp11) {
  EXPECT_EQ(error_at_every_split("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(error_at_every_split("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_at_every_split("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(error_at_every_split("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(error_at_every_split("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
  EXPECT_EQ(error_at_every_split("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
  EXPECT_EQ(error_at_every_split("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400);
  EXPECT_EQ(feed_all("GET / HTTP/1.0\r\n\r\n").requests.size(), 1u) << "HTTP/1.0 may omit Host";
  EXPECT_EQ(feed_all("GET / HTTP/1.1\r\nHost:\r\n\r\n").requests.size(), 1u) << "empty is allowed";
  EXPECT_EQ(feed_all("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n").requests.size(), 1u);
}

// The choice (docs/WEB.md, "HTTP"): a bare LF ends a line in the request line
// and the header section (RFC 9112 2.2 lets a recipient accept it); chunked
// framing needs CRLF (http_parser's rule: 400 otherwise); a bare CR is never a
// line end. Each is a clear accept or a 400, never two readings of one request.
TEST(RequestParser, AcceptsBareLfLineEndsInTheHeadOnly) {
  auto f = feed_all(
      "POST /x HTTP/1.1\nHost: h\r\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n0\r\n\r\n"
      "GET /y HTTP/1.1\r\nHost: h\n\r\n");
  ASSERT_EQ(f.error, 0);
  ASSERT_EQ(f.requests.size(), 2u);
  EXPECT_EQ(f.requests[0].body, "abc");
  EXPECT_EQ(f.requests[0].header("transfer-encoding"), "chunked");
  EXPECT_EQ(f.requests[1].path, "/y");
  EXPECT_EQ(
      error_at_every_split("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n"),
      400);
  EXPECT_EQ(error_at_every_split("GET /y HTTP/1.1\rHost: h\r\n\r\n"), 400);
}
