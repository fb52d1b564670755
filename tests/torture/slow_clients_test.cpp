// Torture: slow and hoarding clients beside a normal one. uwitter-web as a
// process under each attack in turn, a normal client's latency measured before
// and during it and printed ("[torture] slow …" lines; docs/RELIABILITY.md):
//  * slow headers: connections that send a request line, then one header byte
//    every 200 ms, never finishing;
//  * slow bodies: POSTs whose declared body arrives a byte every 200 ms;
//  * slow readers: connections that pipeline 2,000 GET /static/app.js each and
//    never read;
//  * the connection limit: --max-connections filled with slow-header clients;
//  * the open-file limit: RLIMIT_NOFILE below what the attackers open.
// Asserted: the normal client's kept-alive connection is answered 200 every
// time, before and during; its new connections too, except where a limit is
// full, and there every one is answered 503 (never a silent close); every slow
// request is cut off with 408 by --header-timeout-ms (or, past a limit,
// answered 503); the slow readers' memory stays bounded (400: < 50 MiB) and is
// given back once they close; uwitter-web exits 0 on SIGTERM. Latencies are
// printed, not asserted: the machine is shared. Knob: UWITTER_TORTURE_SLOW
// (slow-header clients, default 1000; the other attacks scale from it).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/metrics_text.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "tests/core/http/server_fixture.hpp"
#include "tests/sanitized.hpp"
#include "tests/torture/daemons.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::torture {
namespace {

using http::test::RawConn;
using http::test::status_of;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Conns = std::vector<std::unique_ptr<RawConn>>;

constexpr uint64_t kHeaderTimeoutMs = 4000;

// This process opens a connection per attacker: the soft open-file limit up to
// the hard one (CI's default soft limit is 1,024).
void raise_own_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

// What the normal client saw over one window: latencies of its kept-alive
// GET / and of GET / on a new connection each time, with each answer's status.
struct Window {
  std::vector<double> kept_ms, fresh_ms;
  long kept_other = 0;  // kept-alive answers that were not 200
  long fresh_200 = 0, fresh_503 = 0, fresh_other = 0;
  std::string first_odd;  // the first unexpected answer, for the failure message
  std::string text() const {
    return fmt::format(
        "kept-alive p50 {:.2f} / p99 {:.2f} ms ({}), new connection p50 {:.2f} / p99 {:.2f} ms ({})",
        quantile(kept_ms, 0.5), quantile(kept_ms, 0.99), kept_ms.size(), quantile(fresh_ms, 0.5),
        quantile(fresh_ms, 0.99), fresh_ms.size());
  }
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The normal client for `span`: a kept-alive GET /, then a GET / on a new
// connection, in turn.
Window normal_client(kit::HttpClient& kept, uint16_t port, std::chrono::milliseconds span) {
  Window w;
  const auto end = Clock::now() + span;
  while (Clock::now() < end) {
    auto t0 = Clock::now();
    auto r = kept.get("/");
    w.kept_ms.push_back(ms_since(t0));
    if (r.status != 200) {
      ++w.kept_other;
      if (w.first_odd.empty()) w.first_odd = fmt::format("kept-alive: {} {}", r.status, r.error);
    }
    t0 = Clock::now();
    std::string out = kit::raw_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    w.fresh_ms.push_back(ms_since(t0));
    const int s = status_of(out);
    if (s == 200) {
      ++w.fresh_200;
    } else if (s == 503) {
      ++w.fresh_503;
    } else {
      ++w.fresh_other;
      if (w.first_odd.empty()) w.first_odd = "new connection: " + out.substr(0, 200);
    }
  }
  return w;
}

// Sends one byte of `filler` to every connection every 200 ms until stopped:
// a request that keeps arriving, never whole.
class Trickle {
 public:
  explicit Trickle(Conns& conns)
      : thread_([this, &conns] {
          while (!stop_) {
            for (auto& c : conns)
              if (c) c->send_some("a");
            for (int i = 0; i < 20 && !stop_; ++i) std::this_thread::sleep_for(10ms);
          }
        }) {}
  ~Trickle() { stop(); }
  Trickle(const Trickle&) = delete;
  Trickle& operator=(const Trickle&) = delete;
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Opens n connections and sends each `start` (an unfinished request).
Conns open_slow(uint16_t port, int n, const std::string& start) {
  Conns conns;
  for (int i = 0; i < n; ++i) {
    conns.push_back(std::make_unique<RawConn>(port));
    if (conns.back()->connected()) conns.back()->send_some(start);
  }
  return conns;
}

// How the slow connections ended: answered 408 (cut off by the header
// timeout), 503 (refused at a limit), or something else (a failure).
struct Ends {
  long timed_out = 0, refused = 0, other = 0;
  std::string first_other;
};
Ends read_ends(Conns& conns) {
  Ends e;
  for (auto& c : conns) {
    std::string out = c->read(int(kHeaderTimeoutMs) + 10'000, "\r\n\r\n");
    const int s = status_of(out);
    if (s == 408) {
      ++e.timed_out;
    } else if (s == 503) {
      ++e.refused;
    } else {
      ++e.other;
      if (e.first_other.empty()) e.first_other = out.empty() ? "(closed with no answer)" : out.substr(0, 200);
    }
  }
  return e;
}

int slow_count() { return std::max(10, env_int("UWITTER_TORTURE_SLOW", 1000)); }

class SlowClients : public ::testing::Test {
 protected:
  void SetUp() override { raise_own_fd_limit(); }

  // uwitter-web with a short header timeout; `wrap` runs it under a shell
  // command (a ulimit), `extra` adds flags.
  void start(const std::string& wrap = "", std::vector<std::string> extra = {}) {
    std::vector<std::string> argv;
    if (!wrap.empty()) argv = {"/bin/sh", "-c", wrap + " && exec \"$0\" \"$@\""};
    for (std::string a :
         {std::string(UWITTER_WEB_BIN), std::string("--listen"), std::string("127.0.0.1:0"),
          std::string("--data"), dir_.file("data"), std::string("--access-log"), std::string("/dev/null"),
          std::string("--header-timeout-ms"), std::to_string(kHeaderTimeoutMs)})
      argv.push_back(a);
    argv.insert(argv.end(), extra.begin(), extra.end());
    ASSERT_TRUE(web_.start(argv, dir_.file("web.stderr")));
    ASSERT_TRUE(web_.wait_listening(1, 30s)) << web_.stderr_tail();
    port_ = web_.port("http");
    kept_ = std::make_unique<kit::HttpClient>("http://127.0.0.1:" + std::to_string(port_));
    ASSERT_EQ(kept_->get("/").status, 200);
  }
  double metric(const std::string& name) { return kit::metric(kept_->get("/metrics").body, name); }
  Window normal(std::chrono::milliseconds span) { return normal_client(*kept_, port_, span); }
  // The normal client after the attack: everything answered 200 again.
  void expect_normal_again() {
    EXPECT_TRUE(kit::eventually(
        [&] {
          Window w = normal(200ms);
          return w.kept_other == 0 && w.fresh_503 == 0 && w.fresh_other == 0 && w.fresh_200 > 0;
        },
        20s));
    EXPECT_EQ(web_.terminate(30s), 0) << web_.stderr_tail();
  }
  static void print(const std::string& attack, const Window& before, const Window& during,
                    const std::string& more = "") {
    fmt::print("[torture] slow {}: normal client before: {}\n[torture] slow {}: normal client during: {}{}\n",
               attack, before.text(), attack, during.text(), more);
  }

  // Every unfinished request is cut off with 408 within the header timeout;
  // meanwhile the normal client is answered 200 on both kinds of connection.
  void slow_requests(const std::string& attack, int n, const std::string& begin) {
    Window before = normal(1500ms);
    Conns conns = open_slow(port_, n, begin);
    Trickle trickle(conns);
    // While they are all open: the header timeout counts from each request's
    // first byte, so measure for well under it.
    Window during = normal(std::chrono::milliseconds(kHeaderTimeoutMs / 2));
    const double open = metric("http_active_connections");
    trickle.stop();
    Ends ends = read_ends(conns);
    print(
        attack, before, during,
        fmt::format(" ({} connections open at its end, {} of {} cut off with 408)", open, ends.timed_out, n));
    EXPECT_EQ(ends.timed_out, n) << ends.refused << " refused, " << ends.other
                                 << " other: " << ends.first_other;
    EXPECT_EQ(during.kept_other + during.fresh_503 + during.fresh_other, 0) << during.first_odd;
    EXPECT_EQ(before.kept_other + before.fresh_503 + before.fresh_other, 0) << before.first_odd;
    EXPECT_GT(during.fresh_200, 0);
  }

  kit::TempDir dir_;
  kit::ChildProcess web_;
  uint16_t port_ = 0;
  std::unique_ptr<kit::HttpClient> kept_;
};

}  // namespace

TEST_F(SlowClients, SlowHeadersAreCutOffWith408AndANormalClientIsServedMeanwhile) {
  start();
  slow_requests("headers", slow_count(), "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  expect_normal_again();
}

TEST_F(SlowClients, SlowBodiesAreCutOffWith408AndANormalClientIsServedMeanwhile) {
  start();
  slow_requests("bodies", slow_count() / 2,
                "POST /api/v1/uweets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 1000\r\n\r\n{\"text\":\"");
  expect_normal_again();
}

// 400 connections pipeline 2,000 GET /static/app.js each and never read.
TEST_F(SlowClients, FourHundredSlowReadersAddUnder50MiBGivenBackAndANormalClientIsServed) {
  start();
  ASSERT_EQ(kept_->get("/static/app.js").status, 200);
  Window before = normal(1500ms);
  const long rss_before = rss_kib(web_.pid());
  const int n = std::max(10, slow_count() * 2 / 5);
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += "GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n";
  Conns slow;
  std::vector<size_t> sent;
  for (int i = 0; i < n; ++i) {
    slow.push_back(std::make_unique<RawConn>(port_, 4096));
    ASSERT_TRUE(slow.back()->connected()) << i;
    sent.push_back(slow.back()->send_some(burst));
  }
  // Each sends the rest of its burst as the server reads it, until every one
  // still open is paused on its backlog (see WebSite.SlowReadersThatPipeline…).
  double paused = 0, open = 0;
  EXPECT_TRUE(kit::eventually(
      [&] {
        for (size_t i = 0; i < slow.size(); ++i)
          if (sent[i] < burst.size()) sent[i] += slow[i]->send_some(burst.substr(sent[i]));
        paused = metric("http_paused_connections");
        open = metric("http_active_connections") - 1;  // but the normal client's
        return paused >= 1 && paused == open;
      },
      60s))
      << paused << " paused of " << open << " open";
  Window during = normal(2000ms);
  const long rss_during = rss_kib(web_.pid());
  const double queued = metric("http_queued_response_bytes");
  const double buffered = metric("http_buffered_input_bytes");
  slow.clear();
  EXPECT_TRUE(kit::eventually([&] { return metric("http_queued_response_bytes") == 0; }, 20s));
  long rss_after = rss_kib(web_.pid());
  if (test::kRssMeaningful) {
    EXPECT_TRUE(
        kit::eventually([&] { return (rss_after = rss_kib(web_.pid())) - rss_before < 8 * 1024; }, 10s));
  }
  print("readers", before, during,
        fmt::format(" ({} paused of {}; queued responses {:.0f} KiB, unparsed input {:.0f} KiB; RSS {} -> {} "
                    "-> {} KiB)",
                    paused, n, queued / 1024, buffered / 1024, rss_before, rss_during, rss_after));
  if (test::kRssMeaningful) {
    EXPECT_LT(rss_during - rss_before, 50 * 1024) << "KiB for " << n << " slow readers";
  }
  EXPECT_LT(queued, n * 160.0 * 1024) << "at most the backlog limit + one response per connection";
  EXPECT_EQ(during.kept_other + during.fresh_503 + during.fresh_other, 0) << during.first_odd;
  EXPECT_GT(during.fresh_200, 0);
  expect_normal_again();
}

// --max-connections 100 and 150 slow-header clients: those beyond the limit
// are answered 503 at once, the normal client's kept-alive connection (one of
// the 100) is served throughout, and its new connections are refused with
// 503 — an answer, never a silent close — until the slow ones are cut off.
TEST_F(SlowClients, AFullConnectionLimitAnswers503AndKeptAliveClientsAreServed) {
  start("", {"--max-connections", "100"});
  Window before = normal(1500ms);
  Conns conns = open_slow(port_, 150, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  Trickle trickle(conns);
  Window during = normal(std::chrono::milliseconds(kHeaderTimeoutMs / 2));
  trickle.stop();
  Ends ends = read_ends(conns);
  print("connection limit", before, during,
        fmt::format(" (150 slow clients on --max-connections 100: {} cut off with 408, {} refused with 503; "
                    "{} of the normal client's new connections refused with 503)",
                    ends.timed_out, ends.refused, during.fresh_503));
  EXPECT_EQ(ends.timed_out + ends.refused, 150) << ends.other << " other: " << ends.first_other;
  EXPECT_GE(ends.refused, 51) << "100 slots, one of them the normal client's";
  EXPECT_EQ(during.kept_other, 0) << during.first_odd;
  EXPECT_EQ(during.fresh_other, 0) << during.first_odd;
  EXPECT_GT(during.fresh_503, 0);
  EXPECT_EQ(before.kept_other + before.fresh_503 + before.fresh_other, 0) << before.first_odd;
  expect_normal_again();
}

// An open-file limit of 96 under the default --max-connections 4096, and 150
// slow-header clients: past the descriptors, clients are answered 503 from the
// spare descriptor (never a silent close); the kept-alive client is served.
TEST_F(SlowClients, AnOpenFileLimitBelowTheAttackersAnswers503AndKeptAliveClientsAreServed) {
  start("ulimit -n 96");
  Window before = normal(1500ms);
  Conns conns = open_slow(port_, 150, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  Trickle trickle(conns);
  Window during = normal(std::chrono::milliseconds(kHeaderTimeoutMs / 2));
  const double exhausted = metric("http_fd_exhausted_total");
  trickle.stop();
  Ends ends = read_ends(conns);
  print("open-file limit", before, during,
        fmt::format(" (150 slow clients, ulimit -n 96: {} cut off with 408, {} refused with 503, "
                    "http_fd_exhausted_total {})",
                    ends.timed_out, ends.refused, exhausted));
  EXPECT_EQ(ends.timed_out + ends.refused, 150) << ends.other << " other: " << ends.first_other;
  EXPECT_GT(ends.refused, 0);
  EXPECT_EQ(during.kept_other, 0) << during.first_odd;
  EXPECT_EQ(during.fresh_other, 0) << during.first_odd;
  EXPECT_GT(during.fresh_503, 0);
  EXPECT_EQ(before.kept_other + before.fresh_503 + before.fresh_other, 0) << before.first_odd;
  expect_normal_again();
}

}  // namespace uw::torture

#endif  // UWITTER_WEB_BIN
