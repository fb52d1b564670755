// uw::http::Server over real sockets on 127.0.0.1: listening, requests and
// their bodies, the response hook, request and header rules, the connection
// limit, and shutdown (one connection's life is connection_test.cpp). The
// server's loop runs on a background thread; clients (libcurl, raw sockets)
// run on the test thread.
#include "core/http/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "bench/kit/http_client.hpp"
#include "tests/core/http/server_fixture.hpp"

using namespace uw::http;
using uw::kit::raw_exchange;
using namespace uw::http::test;

TEST(HttpServer, AnswersGetAndPostWithBody) {
  std::atomic<int> calls{0};
  ServerThread st({}, echo(&calls));
  uw::kit::HttpClient client(st.url());
  auto r = client.get("/hello/world?x=1&y=2");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /hello/world q=x=1&y=2 body=");
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(r.header("date").empty());
  auto p = client.request("POST", "/submit", "a=1&b=two");
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.body, "POST /submit q= body=a=1&b=two");
  // A body over curl's Expect: 100-continue threshold.
  std::string big(5000, 'z');
  auto b = client.request("POST", "/big", big);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, "POST /big q= body=" + big);
  EXPECT_EQ(calls.load(), 3);
}

TEST(HttpServer, DecodesChunkedBody) {
  ServerThread st({}, echo(nullptr));
  auto out =
      raw_exchange(st.port(),
                   "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: t\r\n\r\n");
  EXPECT_EQ(status_of(out), 200) << out;
  EXPECT_NE(out.find("body=hello, world"), std::string::npos) << out;
}

TEST(HttpServer, DropsHeadersThatWouldSplitTheResponse) {
  ServerThread st({}, [](Request&&, Responder res) {
    res.send(Response::text(200, "x").set("Location", "/a\r\nSet-Cookie: evil=1").set("X-Ok", "fine"));
  });
  auto out = raw_exchange(st.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.find("evil"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Ok: fine\r\n"), std::string::npos) << out;
}

TEST(HttpServer, ResponseHookSeesHandlerAndServerResponses) {
  std::atomic<int> calls{0};
  ServerThread st({}, echo(&calls));
  std::vector<std::string> seen;
  st.on_loop([&] {
    st.server().on_response([&](const RequestInfo& info, Response& r) {
      seen.push_back(std::string(info.method) + " " + std::string(info.path) + " " +
                     std::to_string(r.status));
      r.set("X-Hooked", "yes");
    });
    return 0;
  });
  auto ok = raw_exchange(st.port(), "GET /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(ok.find("X-Hooked: yes\r\n"), std::string::npos) << ok;
  auto bad = raw_exchange(st.port(),
                          "GET /h HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(status_of(bad), 400);
  EXPECT_NE(bad.find("X-Hooked: yes\r\n"), std::string::npos) << bad;
  auto s = st.on_loop([&] { return seen; });
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], "GET /h 200");
  EXPECT_EQ(s[1].substr(s[1].size() - 3), "400");
  EXPECT_EQ(calls.load(), 1);
}

// ---- rejected requests: the handler is never called -------------------------

struct BadCase {
  const char* name;
  std::string request;
  int status;
};

TEST(HttpServer, RejectsMalformedSmugglingAndOverLimitRequestsWithoutCallingTheHandler) {
  Limits lim;
  lim.max_header_bytes = 2048;
  lim.max_body_bytes = 100;
  const std::vector<BadCase> cases = {
      {"content-length with transfer-encoding",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"transfer-encoding then content-length",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
      {"duplicate equal content-length",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
      {"duplicate different content-length",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"content-length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
      {"negative content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
      {"overflowing content-length",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
      {"te chunked, identity",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 501},
      {"te identity, chunked",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n", 501},
      {"te xchunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501},
      {"te twice",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       501},
      {"bad chunk size",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk size overflow",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
       "chunked\r\n\r\nfffffffffffffffffff\r\nx\r\n0\r\n\r\n",
       400},
      {"obs-fold header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"bare CR ends a header line", "GET / HTTP/1.1\r\nHost: x\rX-B: y\r\n\r\n", 400},
      {"bare CR ends the headers", "POST / HTTP/1.1\r\nHost: x\r\n\rContent-Length: 0\r\n\r\n", 400},
      {"control char in header", std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"), 400},
      {"garbage request line", "HELLO\r\n\r\n", 400},
      {"bad version", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400},
      {"connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", 501},
      {"headers too large", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n",
       431},
      {"endless headers", "GET / HTTP/1.1\r\nHost: x\r\n" + std::string(3000, 'a'), 431},
      {"body too large by content-length",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'b'), 413},
      {"body too large by chunked total",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'c') +
           "\r\n40\r\n" + std::string(64, 'c') + "\r\n0\r\n\r\n",
       413},
      {"one chunk too large",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" + std::string(200, 'c'),
       413},
  };
  std::atomic<int> calls{0};
  ServerThread st(lim, echo(&calls));
  for (const auto& c : cases) {
    auto out = raw_exchange(st.port(), c.request, 3000);
    EXPECT_EQ(status_of(out), c.status) << c.name << "\n" << out;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << c.name;
    EXPECT_NE(out.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos) << c.name;
    EXPECT_EQ(count(out, "HTTP/1.1 "), 1u) << c.name << ": nothing may follow an error\n" << out;
  }
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(st.on_loop([&] { return st.server().stats().rejected_total; }), cases.size());
}

// RFC 9112 3: the request line and Host rules, over a real socket (the notifier
// shares this server, so it gets the same answers).
TEST(HttpServer, FollowsRfc9112RequestLineAndHostRules) {
  std::atomic<int> calls{0};
  ServerThread st({}, echo(&calls));
  auto abs = raw_exchange(
      st.port(), "GET http://127.0.0.1/healthz?a=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(abs), 200) << abs;
  EXPECT_NE(abs.find("GET /healthz q=a=b body="), std::string::npos) << abs;
  auto lf = raw_exchange(st.port(), "GET /lf HTTP/1.1\nHost: x\nConnection: close\n\n");
  EXPECT_EQ(status_of(lf), 200) << lf;
  EXPECT_EQ(calls.load(), 2);
  const std::vector<std::string> bad = {
      "GET /healthz?x\fHTTP/0.9 HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz  HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1 \r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
  };
  for (const auto& req : bad) {
    auto out = raw_exchange(st.port(), req, 3000);
    EXPECT_EQ(status_of(out), 400) << req << "\n" << out;
    EXPECT_EQ(count(out, "HTTP/1.1 "), 1u) << req;
  }
  EXPECT_EQ(calls.load(), 2) << "no rejected request reaches the handler";
}

TEST(HttpServer, AcceptsBodiesExactlyAtTheLimits) {
  Limits lim;
  lim.max_body_bytes = 100;
  std::atomic<int> calls{0};
  ServerThread st(lim, echo(&calls));
  auto a = raw_exchange(st.port(),
                        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" +
                            std::string(100, 'b'));
  EXPECT_EQ(status_of(a), 200) << a;
  auto b =
      raw_exchange(st.port(),
                   "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   "32\r\n" +
                       std::string(50, 'c') + "\r\n32\r\n" + std::string(50, 'c') + "\r\n0\r\n\r\n");
  EXPECT_EQ(status_of(b), 200) << b;
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpServer, RefusesConnectionsBeyondTheLimitWith503) {
  Limits lim;
  lim.max_connections = 1;
  ServerThread st(lim, echo(nullptr));
  RawConn first(st.port());
  ASSERT_TRUE(first.connected());
  ASSERT_TRUE(
      eventually([&] { return st.on_loop([&] { return st.server().stats().active_connections; }) == 1; }));
  auto out = raw_exchange(st.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(out), 503) << out;
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  // The first connection still works.
  ASSERT_TRUE(first.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(first.read(3000, "body=").find("GET /first"), std::string::npos);
}

TEST(HttpServer, ShutdownLetsAnInFlightRequestFinish) {
  uv_loop_t* loop = nullptr;
  std::atomic<bool> called{false};
  auto st = std::make_unique<ServerThread>(Limits{}, [&](Request&&, Responder res) {
    answer_after(loop, 200, res, Response::text(200, "finished"));
    called = true;
  });
  loop = st->loop();
  RawConn busy(st->port());
  RawConn idle(st->port());
  ASSERT_TRUE(busy.send("GET /work HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return called.load(); }));
  ASSERT_TRUE(
      eventually([&] { return st->on_loop([&] { return st->server().stats().active_connections; }) == 2; }));
  uint16_t port = st->port();
  std::thread stopper([&] { st->stop(5000); });
  auto out = busy.read(3000);
  stopper.join();
  EXPECT_EQ(status_of(out), 200) << out;
  EXPECT_NE(out.find("finished"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(busy.closed());
  EXPECT_EQ(idle.read(1000), "");
  EXPECT_TRUE(idle.closed());
  RawConn late(port);
  EXPECT_FALSE(late.connected());
}

TEST(HttpServer, ShutdownGraceClosesRequestsThatNeverFinish) {
  std::atomic<bool> called{false};
  ServerThread st({}, [&](Request&&, Responder) { called = true; });  // never answers
  RawConn c(st.port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return called.load(); }));
  auto start = Clock::now();
  st.stop(100);  // checks uv_loop_close() == 0
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(c.read(1000), "");
}

TEST(HttpServer, ShutdownClosesStreamsAndIdleConnectionsAtOnce) {
  std::atomic<uint64_t> conn{0};
  std::vector<uint64_t> closed;  // loop thread only until stop() joined it
  ServerThread st({}, [&](Request&& r, Responder res) {
    ASSERT_TRUE(res.start_stream(200, {{"Content-Type", "text/event-stream"}}));
    conn = r.conn_id;
  });
  st.on_loop([&] {
    st.server().on_close([&](uint64_t id) { closed.push_back(id); });
    return 0;
  });
  RawConn stream(st.port());
  RawConn idle(st.port());
  ASSERT_TRUE(stream.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return conn.load() != 0; }));
  ASSERT_TRUE(
      eventually([&] { return st.on_loop([&] { return st.server().stats().active_connections; }) == 2; }));
  auto start = Clock::now();
  st.stop(10000);  // nothing in flight: must not wait for the grace period
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(closed.size(), 2u);
  EXPECT_NE(std::find(closed.begin(), closed.end(), conn.load()), closed.end());
  stream.read(1000);
  EXPECT_TRUE(stream.closed());
}
