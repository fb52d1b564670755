// uwitter-notifier --listen-tcp as a real process (notifier-udp/tcp_ingest.cpp):
// length-prefixed envelopes over a raw TCP socket -> the one ingest path ->
// SSE; acknowledgements; resends are duplicates; bad input is counted and
// rejected (a 4 GB length, garbage, a half-sent frame, a peer outside
// --allow-tcp, too many connections), never a crash or unbounded memory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/kit/tcp_peer.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;
using kit::TcpPeer;

std::vector<std::string> tcp_args(std::vector<std::string> more = {}) {
  std::vector<std::string> a{"--listen-tcp", "127.0.0.1:0"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

size_t count_uweets(SseStream& s, int64_t uweet_id) {
  size_t n = 0;
  for (const auto& e : s.events())
    if (e.event == "uweet" && nlohmann::json::parse(e.data)["uweet_id"] == uweet_id) ++n;
  return n;
}

TEST(TcpIngest, FramesReachFollowersAndAreAcknowledged) {
  NotifierHarness h(tcp_args());
  ASSERT_NE(h.tcp_port, 0);
  auto bob = h.stream(h.users.bob);
  TcpPeer peer(h.tcp_port);
  ASSERT_TRUE(peer.ok());
  // Two frames in one write, and a third split across two writes.
  std::string two = TcpPeer::frame(h.seal({h.post(501, "first over tcp")})) +
                    TcpPeer::frame(h.seal({h.post(502, "second over tcp")}));
  ASSERT_TRUE(peer.write(two));
  std::string third = TcpPeer::frame(h.seal({h.post(503, "third, split")}));
  ASSERT_TRUE(peer.write(third.substr(0, 7)));
  ASSERT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_tcp_queued_bytes") == 7; }));
  ASSERT_TRUE(peer.write(third.substr(7)));
  auto ack = peer.wait_ack(3, 10s);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(*ack, 3u);
  for (int id : {501, 502, 503})
    ASSERT_TRUE(bob->wait_event(
        [id](const SseEvent& e) {
          return e.event == "uweet" && nlohmann::json::parse(e.data)["uweet_id"] == id;
        },
        10s))
        << bob->raw();
  auto m = h.metrics();
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_verified_total{transport=\"tcp\"}"), 3);
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_received_total{transport=\"udp\"}"), 0);
  EXPECT_EQ(metric(m, "uwitter_notifier_tcp_frames_total"), 3);
  EXPECT_EQ(metric(m, "uwitter_notifier_tcp_connections"), 1);
  EXPECT_EQ(metric(m, "uwitter_notifier_tcp_queued_bytes"), 0);
}

TEST(TcpIngest, AFrameResentAfterAReconnectIsADuplicateNotASecondNotification) {
  NotifierHarness h(tcp_args());
  auto bob = h.stream(h.users.bob);
  auto env = h.seal({h.post(601, "once only")});
  {
    TcpPeer first(h.tcp_port);
    ASSERT_TRUE(first.send_frame(env));
    ASSERT_TRUE(first.wait_ack(1, 10s));
  }  // the connection breaks; a sender that missed the ack sends it again
  TcpPeer second(h.tcp_port);
  ASSERT_TRUE(second.send_frame(env));
  ASSERT_TRUE(second.wait_ack(1, 10s));  // processed (as a duplicate): the sender may forget it
  // A later frame on the same stream proves everything before it was handled.
  ASSERT_TRUE(second.send_frame(h.seal({h.post(602, "marker")})));
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) {
        return e.event == "uweet" && nlohmann::json::parse(e.data)["uweet_id"] == 602;
      },
      10s));
  EXPECT_EQ(count_uweets(*bob, 601), 1u) << bob->raw();
  EXPECT_EQ(h.metric_value("uwitter_notifier_transport_duplicates_total{transport=\"tcp\"}"), 1);
  EXPECT_EQ(h.metric_value("uwitter_notifier_lost_total"), 0);
}

TEST(TcpIngest, AFourGigabyteLengthClosesTheConnectionAndIsCounted) {
  NotifierHarness h(tcp_args());
  TcpPeer peer(h.tcp_port);
  ASSERT_TRUE(peer.write(std::string("\xff\xff\xff\xff", 4) + std::string(1000, 'x')));
  EXPECT_TRUE(peer.wait_closed(10s));
  auto m = h.metrics();
  EXPECT_EQ(metric(m, "uwitter_notifier_tcp_closed_total{reason=\"bad_length\"}"), 1);
  EXPECT_EQ(metric(m, "uwitter_notifier_rejected_total{reason=\"oversized\"}"), 1);
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_rejected_total{transport=\"tcp\"}"), 1);
  EXPECT_EQ(metric(m, "uwitter_notifier_tcp_queued_bytes"), 0);
  // A zero length cannot start a frame either.
  TcpPeer zero(h.tcp_port);
  ASSERT_TRUE(zero.write(std::string(4, '\0')));
  EXPECT_TRUE(zero.wait_closed(10s));
  EXPECT_TRUE(eventually(
      [&] { return h.metric_value("uwitter_notifier_tcp_closed_total{reason=\"bad_length\"}") == 2; }));
  // The notifier is still serving.
  auto bob = h.stream(h.users.bob);
  TcpPeer good(h.tcp_port);
  ASSERT_TRUE(good.send_frame(h.seal({h.post(701, "still here")})));
  EXPECT_TRUE(bob->wait_event([](const SseEvent& e) { return e.event == "uweet"; }, 10s));
  EXPECT_TRUE(h.log_text().find("tcp_closed reason=bad_length") != std::string::npos) << h.log_text();
}

TEST(TcpIngest, GarbageFramesAreRejectedOneByOneAndTheStreamGoesOn) {
  NotifierHarness h(tcp_args());
  auto bob = h.stream(h.users.bob);
  TcpPeer peer(h.tcp_port);
  std::vector<uint8_t> garbage(300, 0x5a);
  auto forged = h.seal({h.post(801, "forged")});
  forged[forged.size() - 1] ^= 1;  // the signature no longer matches
  ASSERT_TRUE(peer.send_frame(garbage));
  ASSERT_TRUE(peer.send_frame(forged));
  ASSERT_TRUE(peer.send_frame(h.seal({h.post(802, "genuine")})));
  ASSERT_TRUE(peer.wait_ack(3, 10s));
  ASSERT_TRUE(bob->wait_event([](const SseEvent& e) { return e.event == "uweet"; }, 10s));
  EXPECT_EQ(count_uweets(*bob, 801), 0u);
  EXPECT_EQ(count_uweets(*bob, 802), 1u);
  auto m = h.metrics();
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_rejected_total{transport=\"tcp\"}"), 2);
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_verified_total{transport=\"tcp\"}"), 1);
}

TEST(TcpIngest, HalfSentFramesAndSilentPeersAreClosedAfterTheIdleTime) {
  NotifierHarness h(tcp_args({"--tcp-idle-ms", "300"}));
  TcpPeer half(h.tcp_port);
  std::string f = TcpPeer::frame(h.seal({h.post(901, "never finished")}));
  ASSERT_TRUE(half.write(f.substr(0, f.size() - 1)));
  TcpPeer silent(h.tcp_port);
  EXPECT_TRUE(half.wait_closed(10s));
  EXPECT_TRUE(silent.wait_closed(10s));
  EXPECT_TRUE(eventually([&] {
    auto m = h.metrics();
    return metric(m, "uwitter_notifier_tcp_closed_total{reason=\"idle\"}") == 2 &&
           metric(m, "uwitter_notifier_tcp_connections") == 0 &&
           metric(m, "uwitter_notifier_tcp_queued_bytes") == 0;
  }));
  EXPECT_TRUE(h.log_text().find("reason=partial_frame") != std::string::npos);
}

TEST(TcpIngest, PeersOutsideAllowTcpAreRejectedAndExtraConnectionsClosed) {
  NotifierHarness h(tcp_args({"--allow-tcp", "127.0.0.2/32", "--tcp-max-conns", "2"}));
  TcpPeer outsider(h.tcp_port);  // from 127.0.0.1
  ASSERT_TRUE(outsider.send_frame(h.seal({h.post(1001, "from outside")})));
  ASSERT_TRUE(outsider.wait_ack(1, 10s));
  EXPECT_TRUE(eventually(
      [&] { return h.metric_value("uwitter_notifier_rejected_total{reason=\"disallowed_source\"}") == 1; }));
  EXPECT_EQ(h.metric_value("uwitter_notifier_transport_verified_total{transport=\"tcp\"}"), 0);
  // --allow-tcp is TCP's own: UDP from 127.0.0.1 still counts (--allow is unset).
  h.send({h.post(1002, "udp is allowed")});
  EXPECT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_verified_total") == 1; }));
  TcpPeer second(h.tcp_port, "127.0.0.2");
  ASSERT_TRUE(second.ok());
  TcpPeer third(h.tcp_port, "127.0.0.2");  // one more than --tcp-max-conns
  EXPECT_TRUE(third.wait_closed(10s));
  EXPECT_EQ(h.metric_value("uwitter_notifier_tcp_closed_total{reason=\"too_many_connections\"}"), 1);
  ASSERT_TRUE(second.send_frame(h.seal({h.post(1003, "from inside")})));
  ASSERT_TRUE(second.wait_ack(1, 10s));
  EXPECT_TRUE(eventually(
      [&] { return h.metric_value("uwitter_notifier_transport_verified_total{transport=\"tcp\"}") == 1; }));
}

}  // namespace
}  // namespace uw::test

#endif
