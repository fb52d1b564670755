#pragma once
// What the tests of core/http's server share (server_test.cpp,
// connection_test.cpp) with the tests of other folders that put a real
// http::Server on its own loop thread or talk to one over a raw socket:
// ServerThread (the loop on a background thread; on_loop() runs a function
// there and waits), RawConn (a raw client socket), and small helpers. Clients
// run on the test thread.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/http/server.hpp"

namespace uw::http::test {

using Clock = std::chrono::steady_clock;

// A Server on its own loop thread. Every Server call from the test goes through
// on_loop(), which runs a function on the loop thread and waits for it.
class ServerThread {
 public:
  // before_listen (optional) runs on this thread with the loop and the server
  // before the server listens and the loop thread starts (to attach hooks).
  ServerThread(Limits limits, Handler handler,
               const std::function<void(uv_loop_t*, Server&)>& before_listen = {}) {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &async_, &ServerThread::on_async);
    async_.data = this;
    server_ = std::make_unique<Server>(&loop_, limits, std::move(handler));
    if (before_listen) before_listen(&loop_, *server_);
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
  // rcvbuf > 0 sets SO_RCVBUF before connecting (a small window: a slow reader).
  explicit RawConn(uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConn() { ::close(fd_); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  bool connected() const { return connected_; }
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size());
  }
  // Sends what the socket takes without blocking; returns the bytes sent.
  size_t send_some(const std::string& s) {
    ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0 ? static_cast<size_t>(n) : 0;
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

inline int status_of(const std::string& raw) {
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) return 0;
  return std::stoi(raw.substr(9, 3));
}

inline size_t count(const std::string& hay, const std::string& needle) {
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
inline Handler echo(std::atomic<int>* calls) {
  return [calls](Request&& r, Responder res) {
    if (calls) ++*calls;
    res.send(Response::text(200, r.method + " " + r.path + " q=" + r.query + " body=" + r.body));
  };
}

// Answers later, as a handler waiting on something would: sends `r` through
// `res` after `ms` on `loop` (call on that loop's thread). The timer and what
// it holds are freed in its close callback.
inline void answer_after(uv_loop_t* loop, uint64_t ms, Responder res, Response r) {
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

}  // namespace uw::http::test
