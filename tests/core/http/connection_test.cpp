// core/http/connection.cpp — one connection's life inside uw::http::Server,
// over real sockets on 127.0.0.1: keep-alive, pipelining in order, HEAD,
// closing (HTTP/1.0, Connection: close, by the handler), the header and idle
// timeouts, input and output bounds for a client that never reads, streaming
// responses, and responders whose connection is gone. The server's loop runs
// on a background thread (tests/core/http/server_fixture.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "bench/kit/http_client.hpp"
#include "core/http/server.hpp"
#include "tests/core/http/server_fixture.hpp"

using namespace uw::http;
using uw::kit::raw_exchange;
using namespace uw::http::test;

TEST(HttpConnection, KeepAliveReusesOneConnection) {
  ServerThread st({}, echo(nullptr));
  uw::kit::HttpClient client(st.url());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client.get("/k").status, 200);
  auto stats = st.on_loop([&] { return st.server().stats(); });
  EXPECT_EQ(stats.accepted_total, 1u);
  EXPECT_EQ(stats.active_connections, 1u);
}

TEST(HttpConnection, AnswersPipelinedRequestsInOrderEvenWhenHandlersFinishOutOfOrder) {
  // The first request is answered last (longest timer); responses must still be in order.
  uv_loop_t* loop = nullptr;
  int seen = 0;  // loop thread only
  ServerThread st({}, [&](Request&& r, Responder res) {
    uint64_t delay = 60 - 25 * uint64_t(seen++);
    answer_after(loop, delay, res, Response::text(200, "answer " + r.path));
  });
  loop = st.loop();
  std::string three =
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto out = raw_exchange(st.port(), three);
  auto a1 = out.find("answer /1"), a2 = out.find("answer /2"), a3 = out.find("answer /3");
  ASSERT_NE(a1, std::string::npos) << out;
  ASSERT_NE(a2, std::string::npos) << out;
  ASSERT_NE(a3, std::string::npos) << out;
  EXPECT_LT(a1, a2);
  EXPECT_LT(a2, a3);
  EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 3u);
  EXPECT_EQ(count(out, "Connection: close"), 1u);
}

TEST(HttpConnection, AnswersManyPipelinedRequestsFromOneRead) {
  ServerThread st({}, echo(nullptr));
  std::string many;
  for (int i = 0; i < 100; ++i) many += "GET /p" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  many += "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto out = raw_exchange(st.port(), many);
  EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 101u);
  EXPECT_LT(out.find("GET /p99 "), out.find("GET /last "));
}

TEST(HttpConnection, HandlerMayAnswerLaterFromATimer) {
  uv_loop_t* loop = nullptr;
  ServerThread st({}, [&](Request&&, Responder res) {
    answer_after(loop, 30, res, Response::json(201, "{\"later\":true}"));
  });
  loop = st.loop();
  uw::kit::HttpClient client(st.url());
  auto r = client.get("/slow");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, "{\"later\":true}");
}

TEST(HttpConnection, HeadGetsHeadersWithoutBody) {
  ServerThread st({}, [](Request&&, Responder res) { res.send(Response::text(200, "0123456789")); });
  auto out = raw_exchange(st.port(), "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(out), 200) << out;
  EXPECT_NE(out.find("Content-Length: 10\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << out;
}

TEST(HttpConnection, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
  ServerThread st({}, echo(nullptr));
  auto start = Clock::now();
  auto out = raw_exchange(st.port(), "GET /old HTTP/1.0\r\n\r\n", 5000);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4)) << "server did not close";
  EXPECT_EQ(status_of(out), 200) << out;
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
  // HTTP/1.0 asking for keep-alive gets it.
  RawConn c(st.port());
  ASSERT_TRUE(c.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r1 = c.read(3000, "body=");
  EXPECT_NE(r1.find("Connection: keep-alive\r\n"), std::string::npos) << r1;
  EXPECT_FALSE(c.closed());
}

TEST(HttpConnection, ConnectionCloseIsHonoured) {
  ServerThread st({}, echo(nullptr));
  RawConn c(st.port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto out = c.read(3000);
  EXPECT_TRUE(c.closed());
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
}

TEST(HttpConnection, HandlerMayCloseTheConnectionAfterItsResponse) {
  ServerThread st(
      {}, [](Request&&, Responder res) { res.send(Response::text(200, "bye").set("Connection", "Close")); });
  RawConn c(st.port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto out = c.read(3000);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(count(out, "HTTP/1.1 200"), 1u) << out;
  EXPECT_EQ(count(out, "Connection:"), 1u) << out;
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
}

// A client that pipelines thousands of requests and never reads: the server
// stops taking its requests once max_pipeline_backlog_bytes of responses wait,
// so what it pins stays bounded, and other clients are served meanwhile.
TEST(HttpConnection, BoundsWhatAClientThatNeverReadsCanHaveQueued) {
  const std::string body(6000, 'j');
  std::atomic<int> calls{0};
  ServerThread st({}, [&](Request&& r, Responder res) {
    ++calls;
    res.send(Response::text(200, r.path == "/normal" ? std::string("fine") : body));
  });
  const size_t limit = Limits{}.max_pipeline_backlog_bytes;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(st.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string burst;
  for (int i = 0; i < 6000; ++i) burst += "GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)::send(fd, burst.data(), burst.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  auto stats = [&] { return st.on_loop([&] { return st.server().stats(); }); };
  ASSERT_TRUE(eventually([&] { return stats().paused_connections == 1; }, 5000)) << stats().queued_bytes;
  int answered = calls.load();
  EXPECT_LT(answered, 6000);
  EXPECT_LE(stats().queued_bytes, limit + 2 * body.size() + 1024) << "before: up to 1 MiB";
  // Its further requests wait in the kernel, not in the server's heap: at most
  // one read's worth, 16 KiB, is held (before: up to the header + body limits,
  // 80 KiB, plus one 64 KiB read).
  EXPECT_LE(stats().buffered_input_bytes, size_t{16} * 1024);
  // It stays paused: nothing more is taken while the client reads nothing.
  {
    uw::kit::HttpClient normal(st.url());
    auto r = normal.get("/normal");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "fine");
  }
  EXPECT_EQ(calls.load(), answered + 1);
  EXPECT_LE(stats().queued_bytes, limit + 2 * body.size() + 1024);
  // Reading resumes the pipeline: drain a little and more requests are handled.
  char buf[65536];
  for (int i = 0; i < 20; ++i) (void)::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  EXPECT_TRUE(eventually([&] {
    (void)::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return calls.load() > answered + 1;
  }));
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return stats().queued_bytes == 0 && stats().active_connections == 0; }))
      << stats().queued_bytes << " queued, " << stats().active_connections << " open, "
      << stats().paused_connections << " paused";
}

TEST(HttpConnection, AnswersSlowlorisWith408FromTheFirstByte) {
  Limits lim;
  lim.header_timeout_ms = 300;
  std::atomic<int> calls{0};
  ServerThread st(lim, echo(&calls));
  RawConn c(st.port());
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 's') + "\r\n\r\n";
  auto start = Clock::now();
  std::string got;
  // One byte every 20 ms: each byte arrives well within any per-byte timeout.
  for (char ch : req) {
    if (!c.send(std::string(1, ch))) break;
    got += c.read(20);
    if (!got.empty() || c.closed()) break;
  }
  got += c.read(2000);
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(status_of(got), 408) << got;
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpConnection, ClosesIdleKeepAliveConnectionsSilently) {
  Limits lim;
  lim.idle_timeout_ms = 150;
  ServerThread st(lim, echo(nullptr));
  RawConn c(st.port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = c.read(3000, "body=");
  EXPECT_EQ(status_of(first), 200);
  auto rest = c.read(3000);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(rest, "");
  EXPECT_EQ(st.on_loop([&] { return st.server().stats().active_connections; }), 0u);
}

// ---- streaming ----------------------------------------------------------------

TEST(HttpConnection, StreamsWithoutContentLengthAndReportsClose) {
  std::atomic<uint64_t> stream_conn{0};
  std::atomic<uint64_t> closed_conn{0};
  ServerThread* stp = nullptr;
  ServerThread st({}, [&](Request&& r, Responder res) {
    ASSERT_TRUE(res.start_stream(200, {{"Content-Type", "text/event-stream"}}));
    EXPECT_EQ(stp->server().stream_write(r.conn_id, "data: one\n\n"), WriteResult::Ok);
    EXPECT_EQ(stp->server().stream_write(r.conn_id, "data: two\n\n"), WriteResult::Ok);
    stream_conn = r.conn_id;
  });
  stp = &st;
  st.on_loop([&] {
    st.server().on_close([&](uint64_t id) { closed_conn = id; });
    return 0;
  });
  {
    RawConn c(st.port());
    ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto out = c.read(3000, "data: two\n\n");
    EXPECT_EQ(status_of(out), 200) << out;
    EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
    EXPECT_NE(out.find("text/event-stream"), std::string::npos);
    EXPECT_NE(out.find("data: one\n\ndata: two\n\n"), std::string::npos);
    // More requests on a streaming connection are not parsed.
    ASSERT_TRUE(c.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(st.on_loop([&] { return st.server().stream_write(stream_conn, "data: three\n\n"); }),
              WriteResult::Ok);
    EXPECT_EQ(c.read(3000, "three\n\n"), "data: three\n\n");
  }  // the client leaves
  ASSERT_TRUE(eventually([&] { return closed_conn.load() == stream_conn.load(); }));
  EXPECT_EQ(st.on_loop([&] { return st.server().stream_write(stream_conn, "x"); }), WriteResult::Gone);
}

TEST(HttpConnection, StreamWriteOverflowsWhenTheClientDoesNotRead) {
  Limits lim;
  lim.max_stream_backlog_bytes = 64 * 1024;
  std::atomic<uint64_t> conn{0};
  ServerThread st(lim, [&](Request&& r, Responder res) {
    ASSERT_TRUE(res.start_stream(200, {{"Content-Type", "text/event-stream"}}));
    conn = r.conn_id;
  });
  std::atomic<uint64_t> closed{0};
  st.on_loop([&] {
    st.server().on_close([&](uint64_t id) { closed = id; });
    return 0;
  });
  RawConn c(st.port());
  ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return conn.load() != 0; }));
  struct Outcome {
    WriteResult last;
    int writes;
    size_t queued;
  };
  auto o = st.on_loop([&] {
    std::string chunk(16 * 1024, 'e');
    Outcome out{WriteResult::Ok, 0, 0};
    for (; out.writes < 20000 && out.last == WriteResult::Ok; ++out.writes)
      out.last = st.server().stream_write(conn, chunk);
    out.queued = st.server().queued_bytes(conn);
    st.server().close_connection(conn);
    return out;
  });
  EXPECT_EQ(o.last, WriteResult::Overflow) << "after " << o.writes << " writes";
  EXPECT_GT(o.queued, 0u);
  EXPECT_LE(o.queued, lim.max_stream_backlog_bytes);
  EXPECT_EQ(closed.load(), conn.load());
  EXPECT_EQ(st.on_loop([&] { return st.server().queued_bytes(conn); }), 0u);
}

// ---- lifetimes -----------------------------------------------------------------

TEST(HttpConnection, ResponderForAGoneConnectionOrServerDoesNothing) {
  std::mutex mu;
  std::vector<Responder> kept;
  std::atomic<int> calls{0};
  auto st = std::make_unique<ServerThread>(Limits{}, [&](Request&&, Responder res) {
    std::lock_guard<std::mutex> lock(mu);
    kept.push_back(res);
    ++calls;
  });
  {
    RawConn c(st->port());
    ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(eventually([&] { return calls.load() == 1; }));
    uint64_t id = kept[0].conn_id();
    st->on_loop([&] {
      st->server().close_connection(id);
      kept[0].send(Response::text(200, "too late"));  // no-op
      EXPECT_FALSE(kept[0].start_stream(200, {}));
      return 0;
    });
    EXPECT_EQ(c.read(2000), "");
    EXPECT_TRUE(c.closed());
  }
  // One more outstanding request, then the server goes away under it.
  RawConn c2(st->port());
  ASSERT_TRUE(c2.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return calls.load() == 2; }));
  st->stop(0);
  st.reset();
  kept[1].send(Response::text(200, "server gone"));  // no-op, no crash
  EXPECT_FALSE(kept[1].start_stream(200, {}));
}
