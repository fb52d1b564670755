// Torture: datagram floods against a real uwitter-notifier. A source outside
// --allow, and forged datagrams from an allowed source (the trusted key's id,
// a fresh time, a new sender session each, a random signature: each would cost
// a full verify). Asserted: every flood datagram is accounted for (rejected or
// shed by reason, or dropped by the kernel and counted), the daemon keeps
// serving, and real notifications reach their follower during the forged flood
// (every one of them, most of them at once) and afterwards. Reported, not
// asserted beyond generous bounds (performance is a benchmark's business:
// bench/notifier --only flood): the notifier's CPU per flood datagram, real
// notifications delivered within 100 ms during the forged flood, and /healthz
// latency during it. docs/RELIABILITY.md records figures.
#include <fmt/format.h>
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

// What the notifier did with forged datagrams, summed from /metrics: verified
// and refused, refused before a verify, shed (each reason), dropped by the kernel.
struct ForgedFate {
  double bad_signature = 0, stale = 0, shed = 0, kernel_drops = 0, verifies = 0;
  static ForgedFate read(NotifierHarness& h) {
    const std::string m = h.metrics();
    ForgedFate f;
    f.bad_signature = metric(m, rejected("bad_signature"));
    f.stale = metric(m, rejected("stale"));
    for (const char* r : {"new_session_source_rate", "new_session_rate", "source_backlog", "queue_full"})
      f.shed += metric(m, std::string("uwitter_notifier_shed_total{reason=\"") + r + "\"}");
    f.kernel_drops = metric(m, "uwitter_notifier_kernel_drops_total");
    f.verifies = metric(m, "uwitter_notifier_verifies_total");
    return f;
  }
  double total() const { return bad_signature + stale + shed + kernel_drops; }
};

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

// Issue 13 item 1. Before the fix (every forged datagram verified on the loop,
// in arrival order) a flood from one thread on these 2 cores (~44k/s) let 0 of
// 100 real notifications through within 100 ms, 11 of 100 at all, /healthz p50
// 304 ms / p99 610 ms. Now new-session claims are admitted at a bounded rate
// per source, the real sender's established session goes first, and the loop
// spends at most one verify budget per turn. The goal (>= 99 within 100 ms,
// /healthz p99 < 20 ms) is measured by bench/notifier (--only flood); here the
// bounds are generous enough for a loaded shared machine.
TEST(DatagramFlood, ForgedSignaturesFromAnAllowedSourceAreShedAndRealOnesStillArrive) {
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
  const ForgedFate before = ForgedFate::read(h);
  const double lost_before = metric(h.metrics(), "uwitter_notifier_lost_total");

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
  // Paced (one per 30 ms, the flood running all along): this is load, not a wait for a condition.
  const auto pace_start = std::chrono::steady_clock::now();
  for (int i = 0; i < real; ++i) {
    std::this_thread::sleep_until(pace_start + i * 30ms);
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
  // Kernel drops are reported with the next datagram queued after them: one
  // real datagram after the flood carries the final count.
  h.send({h.post(4999, "after the flood")});
  ForgedFate after;
  EXPECT_TRUE(eventually(
      [&] {
        after = ForgedFate::read(h);
        return after.total() - before.total() >= static_cast<double>(sent.load());
      },
      30s))
      << h.metrics();
  const double verified_forgeries = after.bad_signature - before.bad_signature;
  // The flood was shed, not verified: at most its bounded new-session allowance
  // was spent on signature checks (a few per second per source, plus bursts).
  EXPECT_LT(verified_forgeries, 2000.0 + 0.01 * static_cast<double>(sent.load())) << h.metrics();
  EXPECT_GT(after.shed - before.shed, 0.5 * static_cast<double>(sent.load())) << h.metrics();
  // Late ones still arrive: nothing real is lost to the shedding. The kernel
  // may still drop real datagrams with the forged ones when the socket buffer
  // overflows (a loaded machine, the sanitizer build); then each real one
  // missing must be one the notifier counts as lost (a gap in the real
  // sender's sequence: counted, or open and pending).
  const bool kernel_dropped = after.kernel_drops > before.kernel_drops;
  size_t arrived = 0;
  double accounted = 0;
  EXPECT_TRUE(eventually(
      [&] {
        arrived = 0;
        for (const auto& e : bob->events())
          if (e.data.find("real ") != std::string::npos) ++arrived;
        if (arrived == static_cast<size_t>(real)) return true;
        const std::string m = h.metrics();
        accounted = (metric(m, "uwitter_notifier_lost_total") - lost_before) +
                    metric(m, "uwitter_notifier_open_gaps");
        return kernel_dropped && static_cast<double>(arrived) + accounted >= static_cast<double>(real);
      },
      15s))
      << arrived << " of " << real << " arrived; kernel drops " << after.kernel_drops - before.kernel_drops
      << ", counted lost or open gaps " << accounted;
  std::printf(
      "[torture] forged flood: %zu forged in %.1f s (%.0f/s): %.0f shed, %.0f verified (bad_signature), %.0f "
      "kernel drops; real notifications %d/%d within 100 ms, %zu/%d in the end; /healthz p50 %.2f ms p99 "
      "%.2f ms\n",
      sent.load(), seconds, static_cast<double>(sent.load()) / seconds, after.shed - before.shed,
      verified_forgeries, after.kernel_drops - before.kernel_drops, on_time, real, arrived, real,
      percentile(health_ms, 0.5), percentile(health_ms, 0.99));
  // Generous bounds (a loaded 2-core machine stalls processes for tens of ms,
  // and the sanitizer build runs this too: 84 of 100 on time there at load 14):
  // before the fix 0 of 100 were on time and the p99 was 610 ms.
  EXPECT_GE(on_time, real / 2);
  EXPECT_LT(percentile(health_ms, 0.99), 250.0);
  expect_still_delivers(h, 5000);
}

// Every sample of a metric family ("name{...}" and "name"), summed; 0 when none.
double family_sum(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  double sum = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.rfind(name, 0) != 0) continue;
    if (line.size() > name.size() && line[name.size()] != '{' && line[name.size()] != ' ') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// What happened to flood datagrams that were no real notification: rejected
// (any reason; rejected_total{reason="duplicate"} is duplicates_total), shed
// (any reason), dropped by the kernel.
double refused_so_far(NotifierHarness& h) {
  const std::string m = h.metrics();
  return family_sum(m, "uwitter_notifier_rejected_total") + family_sum(m, "uwitter_notifier_shed_total") +
         family_sum(m, "uwitter_notifier_kernel_drops_total");
}

// After a flood: a real post, which carries the kernel's final drop count and,
// the stream being in order, arrives after anything the flood caused; then
// every one of the `sent` flood datagrams accounted for (refused_so_far).
void expect_after_flood(NotifierHarness& h, kit::SseStream& bob, int64_t id, const std::string& text,
                        double refused0, size_t sent) {
  h.send({h.post(id, text)});
  ASSERT_TRUE(bob.wait_event([&](const SseEvent& e) { return e.data.find(text) != std::string::npos; }, 10s))
      << bob.raw();
  double refused = 0;
  EXPECT_TRUE(
      eventually([&] { return (refused = refused_so_far(h) - refused0) >= static_cast<double>(sent); }, 30s))
      << refused << " of " << sent << " flood datagrams accounted for\n"
      << h.metrics();
}

// Replays: 200 real datagrams, delivered once, then sent again 500 times each
// at full speed from another socket. Each replay is refused before any
// signature check (a duplicate inside the sender's replay window, too old
// beyond it), counted, and never notifies a second time.
TEST(DatagramFlood, ReplayedDatagramsAreRefusedUnverifiedCountedAndNeverNotifyTwice) {
  NotifierHarness h({"--log-level", "info"});  // debug logs every duplicate
  auto bob = h.stream(h.users.bob);
  const int originals = 200;
  std::vector<std::vector<uint8_t>> captured;
  for (int i = 0; i < originals; ++i)
    captured.push_back(h.seal({h.post(10'000 + i, "original " + std::to_string(i) + " end")}));
  for (const auto& d : captured) h.sender.send(h.udp_port, d);
  auto count_of = [&](const std::string& needle) {
    size_t n = 0;
    for (const auto& e : bob->events())
      if (e.data.find(needle) != std::string::npos) ++n;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return count_of("original ") == static_cast<size_t>(originals); }, 10s))
      << count_of("original ") << " of " << originals << " delivered";

  const double refused0 = refused_so_far(h);
  const double verifies0 = h.metric_value("uwitter_notifier_verifies_total");
  const double cpu0 = cpu_seconds(h.proc->pid());
  const size_t passes = 500;
  {
    UdpSender attacker;
    for (size_t k = 0; k < passes; ++k)
      for (const auto& d : captured) attacker.send(h.udp_port, d);
  }
  const size_t sent = passes * captured.size();
  // Once the post after them arrived, any second notification a replay caused would have arrived before it.
  ASSERT_NO_FATAL_FAILURE(expect_after_flood(h, *bob, 20'000, "after the replays", refused0, sent));
  const double cpu = cpu_seconds(h.proc->pid()) - cpu0;
  const std::string m = h.metrics();
  const double verifies = metric(m, "uwitter_notifier_verifies_total") - verifies0;
  // Refused before the signature check: the one real post after them was verified, the replays not.
  EXPECT_LT(verifies, 10.0) << m;
  for (int i = 0; i < originals; ++i)
    EXPECT_EQ(count_of("original " + std::to_string(i) + " end"), 1u) << "post " << i;
  EXPECT_EQ(count_of("original "), static_cast<size_t>(originals));
  EXPECT_EQ(h.http->get("/healthz").status, 200);
  std::printf(
      "[torture] replay flood: %zu replays of %d datagrams: %.0f duplicates, %.0f otherwise rejected, %.0f "
      "kernel drops, %.0f verified; %d notifications, none twice; notifier CPU %.2f us per replay\n",
      sent, originals, metric(m, "uwitter_notifier_duplicates_total"),
      family_sum(m, "uwitter_notifier_rejected_total") - metric(m, "uwitter_notifier_duplicates_total"),
      metric(m, "uwitter_notifier_kernel_drops_total"), verifies, originals,
      cpu * 1e6 / static_cast<double>(sent));
  expect_still_delivers(h, 20'001);
  EXPECT_EQ(h.proc->terminate(), 0) << h.proc->stderr_text();
}

// Garbage from an allowed source at full speed: random bytes of every length,
// real envelopes cut short, with one byte changed, or with bytes appended.
// Each is rejected and counted by reason; the "rejected" log lines stay within
// the flood limiter's rate; real notifications still arrive.
TEST(DatagramFlood, GarbageIsRejectedCountedAndLoggedAtABoundedRate) {
  NotifierHarness h({"--log-level", "info"});
  auto bob = h.stream(h.users.bob);
  h.send({h.post(1, "before the garbage")});
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) { return e.data.find("before the garbage") != std::string::npos; }, 10s));
  // Templates from another sender session of the same key (never sent whole),
  // so the harness's own sequence has no gap.
  sign::Encoder other{h.key};
  std::vector<std::vector<uint8_t>> templates;
  for (int i = 0; i < 16; ++i) {
    sign::Datagram d;
    const std::vector<sign::Event> events{h.post(100 + i, "template " + std::to_string(i))};
    ASSERT_TRUE(other.seal(events, now_ms(), &d));
    templates.push_back(d);
  }
  std::vector<std::vector<uint8_t>> garbage(4096);
  for (size_t i = 0; i < garbage.size(); ++i) {
    const auto& t = templates[i % templates.size()];
    auto& g = garbage[i];
    switch (i % 4) {
      case 0:  // random bytes, 0 to 1,500 of them
        g.resize(randombytes_uniform(1501));
        if (!g.empty()) randombytes_buf(g.data(), g.size());  // an empty vector's data() may be null
        break;
      case 1:  // a real envelope cut short
        g.assign(t.begin(), t.begin() + randombytes_uniform(static_cast<uint32_t>(t.size())));
        break;
      case 2:  // a real envelope with one byte changed
        g = t;
        g[randombytes_uniform(static_cast<uint32_t>(g.size()))] ^=
            static_cast<uint8_t>(1 + randombytes_uniform(255));
        break;
      default:  // a real envelope with bytes appended
        g = t;
        g.resize(g.size() + 1 + randombytes_uniform(1200), 0x41);
        break;
    }
  }
  const size_t log_lines0 = [&] {
    const std::string log = h.log_text();
    return static_cast<size_t>(std::count(log.begin(), log.end(), '\n'));
  }();
  const double refused0 = refused_so_far(h);
  const auto t0 = std::chrono::steady_clock::now();
  const size_t sent = 100'000;
  {
    UdpSender attacker;
    for (size_t i = 0; i < sent; ++i) attacker.send(h.udp_port, garbage[i % garbage.size()]);
  }
  ASSERT_NO_FATAL_FAILURE(expect_after_flood(h, *bob, 2, "after the garbage", refused0, sent));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string log = h.log_text();
  const size_t log_lines = static_cast<size_t>(std::count(log.begin(), log.end(), '\n')) - log_lines0;
  // The limiter: a burst of 80, then 20 lines a second (--log-rejects-per-s),
  // plus the few lines of the two real posts.
  EXPECT_LE(static_cast<double>(log_lines), 80 + 20 * seconds + 20) << log.substr(log.size() - 2000);
  const std::string m = h.metrics();
  std::string reasons;  // every reason that counted something, from the page itself
  {
    std::istringstream in(m);
    const std::string prefix = "uwitter_notifier_rejected_total{reason=\"";
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(prefix, 0) != 0) continue;
      const double v = std::stod(line.substr(line.rfind(' ') + 1));
      if (v > 0)
        reasons += fmt::format(" {} {:.0f}",
                               line.substr(prefix.size(), line.find('"', prefix.size()) - prefix.size()), v);
    }
  }
  EXPECT_EQ(h.http->get("/healthz").status, 200);
  std::printf("[torture] garbage flood: %zu sent in %.1f s:%s; %.0f shed, %.0f kernel drops; %zu log lines\n",
              sent, seconds, reasons.c_str(), family_sum(m, "uwitter_notifier_shed_total"),
              metric(m, "uwitter_notifier_kernel_drops_total"), log_lines);
  expect_still_delivers(h, 3);
  EXPECT_EQ(h.proc->terminate(), 0) << h.proc->stderr_text();
}

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_NOTIFIER_BIN
