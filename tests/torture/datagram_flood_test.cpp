// Torture: datagram floods against a real uwitter-notifier. A source outside
// --allow, and forged datagrams from an allowed source (the trusted key's id,
// a fresh time, a new sender session each, a random signature: each costs a
// full verify). Asserted: every flood datagram is accounted for (rejected by
// reason, or dropped by the kernel and counted), the daemon keeps serving, and
// a real notification still reaches its follower afterwards. Reported, not
// asserted (performance is a benchmark's business): the notifier's CPU per
// flood datagram, real notifications delivered within 100 ms during the forged
// flood, and /healthz latency during it. docs/RELIABILITY.md records figures.
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;

// CPU seconds (user + system) the process has used so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(all.substr(all.rfind(')') + 2));  // fields from 3 on
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string rejected(const std::string& reason) {
  return "uwitter_notifier_rejected_total{reason=\"" + reason + "\"}";
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// Every datagram sent is either rejected with `reason` or a counted kernel drop.
void expect_accounted(NotifierHarness& h, const std::string& reason, double before_rejected,
                      double before_drops, size_t sent) {
  EXPECT_TRUE(eventually(
      [&] {
        double r = h.metric_value(rejected(reason)) - before_rejected;
        double d = h.metric_value("uwitter_notifier_kernel_drops_total") - before_drops;
        return r + d >= static_cast<double>(sent);
      },
      30s))
      << h.metrics();
}

void expect_still_delivers(NotifierHarness& h, int64_t id) {
  auto bob = h.stream(h.users.bob);
  h.send({h.post(id, "still here " + std::to_string(id))});
  EXPECT_TRUE(
      bob->wait_event([&](const SseEvent& e) { return e.data.find("still here") != std::string::npos; }, 10s))
      << bob->raw();
}

TEST(DatagramFlood, ASourceOutsideTheAllowListIsDroppedCheaplyAndCounted) {
  NotifierHarness h({"--allow", "127.0.0.1/32"});
  const size_t n = 200'000;
  auto bytes = h.seal({h.post(1, "from outside")});
  UdpSender outsider("127.0.0.2");
  double r0 = h.metric_value(rejected("disallowed_source"));
  double d0 = h.metric_value("uwitter_notifier_kernel_drops_total");
  double cpu0 = cpu_seconds(h.proc->pid());
  for (size_t i = 0; i < n; ++i) outsider.send(h.udp_port, bytes);
  expect_accounted(h, "disallowed_source", r0, d0, n);
  double cpu = cpu_seconds(h.proc->pid()) - cpu0;
  double handled = h.metric_value(rejected("disallowed_source")) - r0;
  EXPECT_EQ(h.http->get("/healthz").status, 200);
  expect_still_delivers(h, 2);
  std::printf(
      "[torture] disallowed-source flood: %zu sent, %.0f rejected, %.0f kernel drops; notifier CPU %.2f us "
      "per rejected datagram\n",
      n, handled, h.metric_value("uwitter_notifier_kernel_drops_total") - d0,
      handled > 0 ? cpu * 1e6 / handled : 0.0);
}

// Disabled until issue 13 item 1 (shedding a forged flood fairly) lands: on
// main at the time of writing a flood from one thread on these 2 cores
// (~44k/s) let 0 of 100 real notifications through within 100 ms, 11 of 100
// at all, /healthz p50 304 ms / p99 610 ms, and the kernel-drop counter did
// not account for every datagram sent. Run it with
// --gtest_also_run_disabled_tests.
TEST(DatagramFlood, DISABLED_ForgedSignaturesFromAnAllowedSourceAreCountedAndRealOnesStillArrive) {
  NotifierHarness h;
  // Forged datagrams: the trusted key's envelope, re-stamped per send with a
  // new sender session, the current time and a random canonical signature
  // (S < 2^252, so libsodium cannot refuse it early: a full verify each).
  // Header offsets as in docs/PROTOCOL.md: session at 13, sent-at at 29.
  const std::vector<uint8_t> base = h.seal({h.post(999'999, "forged")});
  std::vector<std::array<uint8_t, crypto_sign_BYTES>> sigs(1024);
  for (auto& sig : sigs) {
    randombytes_buf(sig.data(), sig.size());
    sig[crypto_sign_BYTES - 1] &= 0x0f;
  }
  auto put_be64 = [](uint8_t* p, uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
  };
  auto bob = h.stream(h.users.bob);
  double r0 = h.metric_value(rejected("bad_signature"));
  double d0 = h.metric_value("uwitter_notifier_kernel_drops_total");

  std::atomic<bool> stop{false};
  std::atomic<size_t> sent{0};
  std::thread flood([&] {
    UdpSender attacker;
    std::vector<uint8_t> d = base;
    for (size_t i = 0; !stop.load(); ++i) {
      put_be64(d.data() + 13, 0x5eed'0000'0000ull + i);
      put_be64(d.data() + 29, static_cast<uint64_t>(now_ms()));
      std::copy(sigs[i % sigs.size()].begin(), sigs[i % sigs.size()].end(), d.end() - crypto_sign_BYTES);
      attacker.send(h.udp_port, d);
      ++sent;
    }
  });
  // Real notifications, one at a time: each is on time when it reaches bob
  // within 100 ms of being sent; /healthz is probed between them.
  const int real = 100;
  int on_time = 0;
  std::vector<double> health_ms;
  const int64_t start_ms = now_ms();
  for (int i = 0; i < real; ++i) {
    const std::string text = "real " + std::to_string(i) + " end";
    h.send({h.post(1 + i, text)});
    on_time +=
        bob->wait_event([&](const SseEvent& e) { return e.data.find(text) != std::string::npos; }, 100ms);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(h.http->get("/healthz").status, 200);
    health_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double seconds = static_cast<double>(now_ms() - start_ms) / 1000.0;
  stop = true;
  flood.join();
  expect_accounted(h, "bad_signature", r0, d0, sent.load());
  // Late ones still arrive: nothing real is lost to the flood.
  size_t arrived = 0;
  EXPECT_TRUE(eventually(
      [&] {
        arrived = 0;
        for (const auto& e : bob->events())
          if (e.data.find("real ") != std::string::npos) ++arrived;
        return arrived == static_cast<size_t>(real);
      },
      15s))
      << arrived << " of " << real;
  std::printf(
      "[torture] forged flood: %zu forged in %.1f s (%.0f/s); real notifications %d/%d within 100 ms, "
      "%zu/%d in the end; /healthz p50 %.2f ms p99 %.2f ms\n",
      sent.load(), seconds, static_cast<double>(sent.load()) / seconds, on_time, real, arrived, real,
      percentile(health_ms, 0.5), percentile(health_ms, 0.99));
  expect_still_delivers(h, 5000);
}

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_NOTIFIER_BIN
