// uw::http::Server over real sockets on 127.0.0.1: the server's loop runs on a
// background thread; clients (libcurl, raw sockets) run on the test thread.
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
#include "core/http/server.hpp"

using namespace uw::http;
using uw::kit::raw_exchange;
using Clock = std::chrono::steady_clock;

namespace {

// A Server on its own loop thread. Every Server call from the test goes through
// on_loop(), which runs a function on the loop thread and waits for it.
class ServerThread {
 public:
  ServerThread(Limits limits, Handler handler) {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &async_, &ServerThread::on_async);
    async_.data = this;
    server_ = std::make_unique<Server>(&loop_, limits, std::move(handler));
    EXPECT_EQ(server_->listen("127.0.0.1", 0), 0);
    port_ = server_->port();
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~ServerThread() { stop(0); }

  uint16_t port() const { return port_; }
  uv_loop_t* loop() { return &loop_; }
  Server& server() { return *server_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  template <class F>
  auto on_loop(F fn) -> decltype(fn()) {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    auto fut = task->get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back([task] { (*task)(); });
    }
    uv_async_send(&async_);
    return fut.get();
  }
  // Posts without waiting (the loop may be about to finish).
  void post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(fn));
    }
    uv_async_send(&async_);
  }

  // Shuts the server down, lets the loop run dry, and checks that no handle leaked.
  void stop(uint64_t grace_ms) {
    if (stopped_) return;
    stopped_ = true;
    post([this, grace_ms] {
      server_->shutdown(grace_ms, [this] {
        shutdown_done_ = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
      });
    });
    thread_.join();
    EXPECT_TRUE(shutdown_done_);
    server_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle leaked";
  }

 private:
  static void on_async(uv_async_t* a) {
    auto* self = static_cast<ServerThread*>(a->data);
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      tasks.swap(self->tasks_);
    }
    for (auto& t : tasks) t();
  }

  uv_loop_t loop_{};
  uv_async_t async_{};
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
  bool stopped_ = false;
  bool shutdown_done_ = false;
};

// A raw client socket for tests that need to hold a connection or trickle bytes.
class RawConn {
 public:
  explicit RawConn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConn() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size());
  }
  // Reads until `until` appears, the peer closes, or timeout. Sets closed() on EOF.
  std::string read(int timeout_ms, const std::string& until = "") {
    std::string out;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (until.empty() || out.find(until) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, int(left)) <= 0) break;
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, size_t(n));
    }
    return out;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

int status_of(const std::string& raw) {
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) return 0;
  return std::stoi(raw.substr(9, 3));
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

template <class Pred>
bool eventually(Pred pred, int timeout_ms = 3000) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// Echoes what it understood of the request.
Handler echo(std::atomic<int>* calls) {
  return [calls](Request&& r, Responder res) {
    if (calls) ++*calls;
    res.send(Response::text(200, r.method + " " + r.path + " q=" + r.query + " body=" + r.body));
  };
}

// Answers later, as a handler waiting on something would: sends `r` through
// `res` after `ms` on `loop` (call on that loop's thread). The timer and what
// it holds are freed in its close callback.
void answer_after(uv_loop_t* loop, uint64_t ms, Responder res, Response r) {
  struct Later {
    uv_timer_t timer;
    Responder res;
    Response r;
  };
  auto* later = new Later{{}, std::move(res), std::move(r)};
  uv_timer_init(loop, &later->timer);
  later->timer.data = later;
  uv_timer_start(
      &later->timer,
      [](uv_timer_t* h) {
        auto* l = static_cast<Later*>(h->data);
        l->res.send(std::move(l->r));
        uv_close(reinterpret_cast<uv_handle_t*>(h),
                 [](uv_handle_t* x) { delete static_cast<Later*>(x->data); });
      },
      ms, 0);
}

}  // namespace

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

TEST(HttpServer, KeepAliveReusesOneConnection) {
  ServerThread st({}, echo(nullptr));
  uw::kit::HttpClient client(st.url());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client.get("/k").status, 200);
  auto stats = st.on_loop([&] { return st.server().stats(); });
  EXPECT_EQ(stats.accepted_total, 1u);
  EXPECT_EQ(stats.active_connections, 1u);
}

TEST(HttpServer, AnswersPipelinedRequestsInOrderEvenWhenHandlersFinishOutOfOrder) {
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

TEST(HttpServer, AnswersManyPipelinedRequestsFromOneRead) {
  ServerThread st({}, echo(nullptr));
  std::string many;
  for (int i = 0; i < 100; ++i) many += "GET /p" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  many += "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto out = raw_exchange(st.port(), many);
  EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 101u);
  EXPECT_LT(out.find("GET /p99 "), out.find("GET /last "));
}

TEST(HttpServer, HandlerMayAnswerLaterFromATimer) {
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

TEST(HttpServer, HeadGetsHeadersWithoutBody) {
  ServerThread st({}, [](Request&&, Responder res) { res.send(Response::text(200, "0123456789")); });
  auto out = raw_exchange(st.port(), "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(out), 200) << out;
  EXPECT_NE(out.find("Content-Length: 10\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << out;
}

TEST(HttpServer, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
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

TEST(HttpServer, ConnectionCloseIsHonoured) {
  ServerThread st({}, echo(nullptr));
  RawConn c(st.port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto out = c.read(3000);
  EXPECT_TRUE(c.closed());
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
}

TEST(HttpServer, HandlerMayCloseTheConnectionAfterItsResponse) {
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

TEST(HttpServer, AnswersSlowlorisWith408FromTheFirstByte) {
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

TEST(HttpServer, ClosesIdleKeepAliveConnectionsSilently) {
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

TEST(HttpServer, StreamsWithoutContentLengthAndReportsClose) {
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

TEST(HttpServer, StreamWriteOverflowsWhenTheClientDoesNotRead) {
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

TEST(HttpServer, ResponderForAGoneConnectionOrServerDoesNothing) {
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
