// notifier-udp/ingest.cpp in-process: a real UDP socket on 127.0.0.1 read by the
// Ingest on a real libuv loop, datagrams from kit::UdpSender, and offer() for
// the other transports' envelopes: accepted, replayed, disallowed, oversized,
// forged, counted per transport.
#include "notifier-udp/ingest.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/kit/temp_dir.hpp"
#include "bench/kit/udp_sender.hpp"
#include "core/clock.hpp"
#include "notifier-udp/event_log.hpp"
#include "sign/envelope.hpp"
#include "sign/keys.hpp"

namespace uw::notifier {
namespace {

using namespace std::chrono_literals;
using clock::now_ms;

struct Rig {
  uv_loop_t loop{};
  kit::TempDir dir;
  EventLog log;
  sign::SecretKey key;
  sign::KeyRing ring;
  sign::Encoder enc;
  std::vector<std::string> texts;  // the posts' texts, as the callback got them
  std::unique_ptr<Ingest> in;

  explicit Rig(const std::string& allow = "") : key((sign::init(), sign::SecretKey::generate())), enc(key) {
    uv_loop_init(&loop);
    EXPECT_TRUE(log.open(dir.file("events.log"), LogFormat::Human, LogLevel::Info));
    ring.add(key.public_key());
    Ingest::Options o;
    o.port = 0;
    if (!allow.empty()) {
      auto a = AllowList::parse(allow);
      EXPECT_TRUE(a);
      o.allow = o.allow_tcp = *a;
    }
    in = std::make_unique<Ingest>(&loop, ring, o, log, [this](const sign::EventView& ev, uint64_t) {
      if (auto* p = std::get_if<sign::PostView>(&ev)) texts.emplace_back(p->text);
    });
    auto ok = in->start();
    EXPECT_TRUE(ok) << ok.error().message;
  }
  ~Rig() {
    bool closed = false;
    in->close([&] { closed = true; });
    while (!closed) uv_run(&loop, UV_RUN_ONCE);
    in.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0) << "a handle leaked";
  }
  std::vector<uint8_t> seal(const std::string& text, int64_t id) {
    sign::Datagram d;
    EXPECT_TRUE(
        enc.seal(std::vector<sign::Event>{sign::PostEvent{id, 1, "alice", now_ms(), text}}, now_ms(), &d));
    return d;
  }
  // Runs the loop until pred() holds or 10 s pass (a 5 ms timer keeps uv_run returning).
  bool run_until(const std::function<bool()>& pred) {
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 5, 5);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred() && std::chrono::steady_clock::now() < deadline) uv_run(&loop, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
    return pred();
  }
  const TransportStats& of(Transport t) const { return in->stats().by_transport[static_cast<size_t>(t)]; }
};

sockaddr_in loopback(const char* ip) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(40000);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

TEST(Ingest, DatagramsFromTheSocketAreVerifiedOnceAndDeliveredInOrder) {
  Rig r;
  ASSERT_NE(r.in->port(), 0);
  kit::UdpSender udp;
  ASSERT_TRUE(udp.ok());
  auto first = r.seal("one", 1), second = r.seal("two", 2);
  ASSERT_TRUE(udp.send(r.in->port(), first));
  ASSERT_TRUE(udp.send(r.in->port(), second));
  ASSERT_TRUE(r.run_until([&] { return r.texts.size() == 2; }));
  EXPECT_EQ(r.texts, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(udp.send(r.in->port(), first));  // a copy: a replay, not an event
  ASSERT_TRUE(r.run_until([&] { return r.of(Transport::Udp).duplicates == 1; }));
  EXPECT_EQ(r.texts.size(), 2u);
  EXPECT_EQ(r.in->stats().received, 3u);
  EXPECT_EQ(r.in->stats().verified, 2u);
  EXPECT_EQ(r.of(Transport::Udp).verified, 2u);
}

TEST(Ingest, OversizedAndForgedDatagramsAreCountedAndNothingIsDelivered) {
  Rig r;
  kit::UdpSender udp;
  ASSERT_TRUE(udp.send(r.in->port(), std::vector<uint8_t>(1500, 0x55)));
  auto forged = r.seal("forged", 3);
  forged[forged.size() - 70] ^= 0x01;  // a signed byte changed
  ASSERT_TRUE(udp.send(r.in->port(), forged));
  ASSERT_TRUE(r.run_until([&] { return r.of(Transport::Udp).rejected == 2; }));
  EXPECT_EQ(r.in->stats().own_rejects[static_cast<size_t>(IngestReject::Oversized)], 1u);
  EXPECT_TRUE(r.texts.empty());
  // A real one still gets through after them.
  ASSERT_TRUE(udp.send(r.in->port(), r.seal("real", 4)));
  ASSERT_TRUE(r.run_until([&] { return r.texts.size() == 1; }));
}

TEST(Ingest, OfferedEnvelopesTakeTheSamePathWithTheirTransportsAllowList) {
  Rig r("127.0.0.1/32");
  auto env = r.seal("by tcp", 5);
  const auto ok_peer = loopback("127.0.0.1"), other = loopback("127.0.0.2");
  EXPECT_EQ(r.in->offer(Transport::Tcp, env, reinterpret_cast<const sockaddr*>(&other)), Verdict::Disallowed);
  EXPECT_TRUE(r.texts.empty());
  EXPECT_EQ(r.in->offer(Transport::Tcp, env, reinterpret_cast<const sockaddr*>(&ok_peer)), Verdict::Accepted);
  EXPECT_EQ(r.texts, std::vector<std::string>{"by tcp"});
  // The same envelope again by another transport: one sender, one replay window.
  EXPECT_EQ(r.in->offer(Transport::Amqp, env, nullptr), Verdict::Duplicate);
  EXPECT_EQ(r.in->offer(Transport::Http, std::vector<uint8_t>(1500, 1), nullptr, "127.0.0.1"),
            Verdict::Oversized);
  EXPECT_EQ(r.of(Transport::Tcp).received, 2u);
  EXPECT_EQ(r.of(Transport::Tcp).verified, 1u);
  EXPECT_EQ(r.of(Transport::Tcp).rejected, 1u);
  EXPECT_EQ(r.of(Transport::Amqp).duplicates, 1u);
  EXPECT_EQ(r.of(Transport::Http).rejected, 1u);
  EXPECT_EQ(r.in->stats().own_rejects[static_cast<size_t>(IngestReject::DisallowedSource)], 1u);
  // A framing refusal is that transport's rejection too.
  r.in->count_framing_reject(Transport::Tcp, IngestReject::Oversized, "127.0.0.1:40000", 1 << 20);
  EXPECT_EQ(r.of(Transport::Tcp).rejected, 2u);
}

TEST(Ingest, TheKernelsDropCounterIsReadAcrossItsWrap) {
  EXPECT_EQ(overflow_delta(10, 15), 5u);
  EXPECT_EQ(overflow_delta(0xFFFFFFF0u, 0x10u), 0x20u);
  const auto a = loopback("127.0.0.3");
  EXPECT_EQ(addr_text(reinterpret_cast<const sockaddr*>(&a)), "127.0.0.3:40000");
  EXPECT_STREQ(ingest_reject_name(IngestReject::DisallowedSource), "disallowed_source");
  EXPECT_STREQ(ingest_reject_name(IngestReject::Oversized), "oversized");
}

}  // namespace
}  // namespace uw::notifier
