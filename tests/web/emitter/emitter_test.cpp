// web/emitter.cpp: coalescing per loop turn, copies, spacing, error counting, clean close.
#include "web/emitter/emitter.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/metrics.hpp"
#include "sign/envelope.hpp"
#include "sign/keys.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"

namespace uw::web {
namespace {

// A plain UDP receiver on 127.0.0.1:<ephemeral>.
class Receiver {
 public:
  Receiver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Receiver() { ::close(fd_); }
  uint16_t port() const { return port_; }
  // Every datagram that arrives within timeout_ms of the previous one.
  std::vector<std::vector<uint8_t>> drain(int timeout_ms = 300) {
    std::vector<std::vector<uint8_t>> out;
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return out;
      std::vector<uint8_t> b(2048);
      ssize_t n = ::recv(fd_, b.data(), b.size(), 0);
      if (n <= 0) return out;
      b.resize(static_cast<size_t>(n));
      out.push_back(std::move(b));
    }
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

struct Fixture {
  Fixture() : key((sign::init(), sign::SecretKey::generate())) {
    uv_loop_init(&loop);
    ring.add(key.public_key());
  }
  ~Fixture() {
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0) << "a handle leaked";
  }
  std::unique_ptr<Emitter> make(EmitterConfig cfg) {
    auto e = Emitter::create(&loop, key, std::move(cfg), &metrics);
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
    return e.ok() ? std::move(e.value()) : nullptr;
  }
  void close(std::unique_ptr<Emitter>& e) {
    bool done = false;
    e->close([&] { done = true; });
    while (!done) uv_run(&loop, UV_RUN_ONCE);
    e.reset();
  }
  // Events in one datagram, verified with the public key.
  size_t events_in(const std::vector<uint8_t>& d) {
    sign::Verifier v(ring, {});
    sign::DatagramView view{std::span<const uint8_t>()};
    EXPECT_EQ(v.accept(d, test::now_ms(), &view), sign::Reject::None);
    size_t n = 0;
    view.for_each_event([&](const sign::EventView&) { ++n; });
    return n;
  }
  uint64_t count(const char* name) { return metrics.counter(name, "").value(); }

  uv_loop_t loop;
  sign::SecretKey key;
  sign::KeyRing ring;
  metrics::Registry metrics;
};

sign::Event post(int64_t id) {
  return sign::PostEvent{id, 1, "alice", test::now_ms(), "uweet number " + std::to_string(id)};
}

TEST(Emitter, CoalescesOneLoopTurnIntoOneSignedDatagram) {
  Fixture f;
  Receiver r;
  auto e = f.make({{{"127.0.0.1", r.port()}}});
  for (int i = 1; i <= 10; ++i) e->emit(post(i));  // all in one turn
  uv_run(&f.loop, UV_RUN_NOWAIT);
  auto got = r.drain();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(f.events_in(got[0]), 10u);
  EXPECT_EQ(f.count("uwitter_emitter_events_total"), 10u);
  EXPECT_EQ(f.count("uwitter_emitter_datagrams_total"), 1u);
  f.close(e);
}

TEST(Emitter, ManyEventsFillSeveralDatagramsUnderTheSizeLimit) {
  Fixture f;
  Receiver r;
  auto e = f.make({{{"127.0.0.1", r.port()}}});
  for (int i = 1; i <= 100; ++i) e->emit(post(i));
  uv_run(&f.loop, UV_RUN_NOWAIT);
  auto got = r.drain();
  ASSERT_GT(got.size(), 1u);
  size_t total = 0;
  for (const auto& d : got) {
    EXPECT_LE(d.size(), sign::kMaxDatagram);
    total += f.events_in(d);
  }
  EXPECT_EQ(total, 100u);
  f.close(e);
}

TEST(Emitter, FlushesInTheSameTurnWhenEmittedFromATimer) {
  Fixture f;
  Receiver r;
  auto e = f.make({{{"127.0.0.1", r.port()}}});
  // A 3 s timer keeps the loop alive: without the emitter's idle handle, the
  // poll phase would sleep until it fires before the end-of-turn flush.
  uv_timer_t keep, fire;
  uv_timer_init(&f.loop, &keep);
  uv_timer_start(
      &keep, [](uv_timer_t*) {}, 3000, 0);
  uv_timer_init(&f.loop, &fire);
  fire.data = e.get();
  uv_timer_start(
      &fire, [](uv_timer_t* t) { static_cast<Emitter*>(t->data)->emit(post(7)); }, 0, 0);
  auto t0 = std::chrono::steady_clock::now();
  uv_run(&f.loop, UV_RUN_ONCE);  // runs the timer, then (poll not blocking) the check flush
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2500));
  auto got = r.drain(50);
  ASSERT_EQ(got.size(), 1u);
  uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&fire), nullptr);
  f.close(e);
}

TEST(Emitter, SendsKCopiesToEveryTargetWithTheSameSequenceNumber) {
  Fixture f;
  Receiver a, b;
  EmitterConfig cfg{{{"127.0.0.1", a.port()}, {"127.0.0.1", b.port()}}};
  cfg.copies = 3;
  auto e = f.make(cfg);
  e->emit(post(1));
  uv_run(&f.loop, UV_RUN_NOWAIT);
  for (Receiver* r : {&a, &b}) {
    auto got = r->drain();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], got[1]);
    EXPECT_EQ(got[1], got[2]);
  }
  EXPECT_EQ(f.count("uwitter_emitter_datagrams_total"), 6u);
  f.close(e);
}

TEST(Emitter, SpacedCopiesArriveLaterAndCloseSendsTheRest) {
  Fixture f;
  Receiver r;
  EmitterConfig cfg{{{"127.0.0.1", r.port()}}};
  cfg.copies = 3;
  cfg.copy_spacing_us = 200'000;  // copies at +100 ms and +200 ms
  auto e = f.make(cfg);
  auto t0 = std::chrono::steady_clock::now();
  e->emit(post(1));
  uv_run(&f.loop, UV_RUN_NOWAIT);
  EXPECT_EQ(r.drain(20).size(), 1u);  // only the first so far
  while (f.count("uwitter_emitter_datagrams_total") < 2) uv_run(&f.loop, UV_RUN_ONCE);
  // A lower bound only (a slow machine can make it later, never earlier).
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(80));
  EXPECT_EQ(r.drain(50).size(), 1u);
  f.close(e);  // the third copy goes out on close rather than being lost
  EXPECT_EQ(r.drain(200).size(), 1u);
}

TEST(Emitter, SendErrorsAreCountedNeverRaised) {
  Fixture f;
  auto e = f.make({{{"127.0.0.1", 0}}});  // port 0: the kernel refuses the send
  for (int i = 0; i < 5; ++i) {
    e->emit(post(i));
    uv_run(&f.loop, UV_RUN_NOWAIT);
  }
  EXPECT_EQ(f.count("uwitter_emitter_send_errors_total") + f.count("uwitter_emitter_dropped_total"), 5u);
  EXPECT_EQ(f.count("uwitter_emitter_datagrams_total"), 0u);
  f.close(e);
}

TEST(Emitter, RejectsATargetThatIsNotAnIpLiteral) {
  Fixture f;
  auto e = Emitter::create(&f.loop, f.key, EmitterConfig{{{"localhost", 7700}}}, &f.metrics);
  EXPECT_FALSE(e.ok());
}

}  // namespace
}  // namespace uw::web
