// notifier-udp/verify_queue.cpp: who gets the next signature check. Established
// sessions before new-session claims, sources in turn, new sessions admitted at
// a bounded rate per source and in total, a source held to its share, and each
// shed datagram counted by reason.
#include "notifier-udp/verify_queue.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>
#include <vector>

namespace uw::notifier {
namespace {

using Standing = sign::Verifier::Standing;

sockaddr_storage source(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  inet_pton(AF_INET, ip, &in->sin_addr);
  return ss;
}
const sockaddr* sa(const sockaddr_storage& s) { return reinterpret_cast<const sockaddr*>(&s); }

// A datagram whose first byte names it (the queue does not look inside).
std::vector<uint8_t> datagram(uint8_t tag, size_t n = 200) { return std::vector<uint8_t>(n, tag); }

// A session never named before: each push below claims its own unless it says otherwise.
uint64_t fresh_session() {
  static uint64_t n = 1000;
  return ++n;
}

uint64_t shed(const VerifyQueue& q, Shed s) { return q.stats().shed[static_cast<size_t>(s)]; }

// Tags of everything pop() hands out, in order.
std::vector<int> drain(VerifyQueue& q) {
  std::vector<int> tags;
  VerifyQueue::Item it;
  while (q.pop(&it)) tags.push_back(it.bytes[0]);
  return tags;
}

TEST(VerifyQueue, HandsOutACopyWithItsSourceAndReceiveTime) {
  VerifyQueue q;
  auto a = source("127.0.0.1", 4000);
  auto d = datagram(7, 321);
  ASSERT_EQ(q.push(sa(a), Standing::Established, fresh_session(), d, 12345, 1000), Shed::Count_);
  d.assign(d.size(), 0);  // the queue holds its own copy
  EXPECT_EQ(q.size(), 1u);
  VerifyQueue::Item it;
  ASSERT_TRUE(q.pop(&it));
  EXPECT_EQ(it.size, 321u);
  EXPECT_EQ(it.bytes[0], 7);
  EXPECT_EQ(it.bytes[320], 7);
  EXPECT_EQ(it.received_ns, 12345u);
  auto* in = reinterpret_cast<const sockaddr_in*>(it.addr());
  EXPECT_EQ(ntohs(in->sin_port), 4000);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.pop(&it));
}

TEST(VerifyQueue, EstablishedSessionsGoBeforeNewSessionClaims) {
  VerifyQueue q;
  auto forger = source("127.0.0.1", 5000), real = source("127.0.0.1", 6000);
  for (uint8_t i = 0; i < 5; ++i)
    ASSERT_EQ(q.push(sa(forger), Standing::NewSession, fresh_session(), datagram(100 + i), 0, 0),
              Shed::Count_);
  ASSERT_EQ(q.push(sa(real), Standing::Established, fresh_session(), datagram(1), 0, 0), Shed::Count_);
  auto tags = drain(q);
  ASSERT_EQ(tags.size(), 6u);
  EXPECT_EQ(tags[0], 1) << "the established datagram arrived last and goes first";
}

TEST(VerifyQueue, SourcesTakeTurnsOneDatagramEach) {
  VerifyQueue q;
  auto busy = source("127.0.0.1", 5000), quiet = source("127.0.0.1", 6000), other = source("10.0.0.1", 5000);
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(q.push(sa(busy), Standing::Established, fresh_session(), datagram(1), 0, 0), Shed::Count_);
  ASSERT_EQ(q.push(sa(quiet), Standing::Established, fresh_session(), datagram(2), 0, 0), Shed::Count_);
  ASSERT_EQ(q.push(sa(other), Standing::Established, fresh_session(), datagram(3), 0, 0), Shed::Count_);
  auto tags = drain(q);
  ASSERT_EQ(tags.size(), 12u);
  // The same address on another port, and another address on the same port, are other sources.
  EXPECT_EQ((std::vector<int>{tags[0], tags[1], tags[2]}), (std::vector<int>{1, 2, 3}));
}

TEST(VerifyQueue, NewSessionsAreAdmittedAtABoundedRatePerSource) {
  VerifyQueue::Options o;
  o.source_new_per_s = 2;
  o.source_new_burst = 4;
  VerifyQueue q(o);
  auto forger = source("127.0.0.1", 5000), restarted = source("127.0.0.1", 6000);
  int admitted = 0;
  for (int i = 0; i < 1000; ++i)
    admitted += q.push(sa(forger), Standing::NewSession, fresh_session(), datagram(9), 0, 0) == Shed::Count_;
  EXPECT_EQ(admitted, 4) << "the burst, then nothing within the same millisecond";
  EXPECT_EQ(shed(q, Shed::SourceNewSessionRate), 996u);
  // Another source (a restarted sender, on a new port) still has its own allowance.
  EXPECT_EQ(q.push(sa(restarted), Standing::NewSession, fresh_session(), datagram(1), 0, 0), Shed::Count_);
  // Established datagrams of the flooding source are not limited by it.
  EXPECT_EQ(q.push(sa(forger), Standing::Established, fresh_session(), datagram(2), 0, 0), Shed::Count_);
  // One second later: two more for the forger.
  admitted = 0;
  for (int i = 0; i < 100; ++i)
    admitted +=
        q.push(sa(forger), Standing::NewSession, fresh_session(), datagram(9), 0, 1000) == Shed::Count_;
  EXPECT_EQ(admitted, 2);
}

// A restarted sender's first burst: every datagram claims the same new session
// before the first one is verified. One pays; the rest queue behind it unpaid,
// to be checked again (and charged, if the claim was false) when their turn comes.
TEST(VerifyQueue, ABurstOfOneNewSessionPaysOnceAndTheRestFollowUnpaid) {
  VerifyQueue::Options o;
  o.source_new_per_s = 1;
  o.source_new_burst = 2;
  VerifyQueue q(o);
  auto restarted = source("127.0.0.1", 6000);
  const uint64_t session = fresh_session();
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(q.push(sa(restarted), Standing::NewSession, session, datagram(1), 0, 0), Shed::Count_) << i;
  VerifyQueue::Item it;
  ASSERT_TRUE(q.pop(&it));
  EXPECT_FALSE(it.unpaid) << "the first paid";
  int unpaid = 0;
  while (q.pop(&it)) unpaid += it.unpaid;
  EXPECT_EQ(unpaid, 99);
  // Another made-up session from the same source pays (one token left), then none.
  EXPECT_EQ(q.push(sa(restarted), Standing::NewSession, fresh_session(), datagram(2), 0, 0), Shed::Count_);
  EXPECT_EQ(q.charge(sa(restarted), 0), Shed::SourceNewSessionRate) << "an unpaid follower of a false claim";
  EXPECT_EQ(shed(q, Shed::SourceNewSessionRate), 1u);
  EXPECT_EQ(q.charge(sa(restarted), 1000), Shed::Count_) << "a second later";
}

TEST(VerifyQueue, NewSessionsOverEverySourceAreBoundedToo) {
  VerifyQueue::Options o;
  o.new_per_s = 10;
  o.new_burst = 20;
  VerifyQueue q(o);
  int admitted = 0;
  // A forger on many ports: each port has its own allowance, the total binds.
  for (uint16_t port = 1; port <= 200; ++port) {
    auto s = source("127.0.0.1", port);
    admitted += q.push(sa(s), Standing::NewSession, fresh_session(), datagram(9), 0, 0) == Shed::Count_;
  }
  EXPECT_EQ(admitted, 20);
  EXPECT_EQ(shed(q, Shed::NewSessionRate), 180u);
  EXPECT_EQ(shed(q, Shed::SourceNewSessionRate), 0u);
}

TEST(VerifyQueue, ASourceIsHeldToItsShareOfTheSlotsAndTheRestIsShed) {
  VerifyQueue::Options o;
  o.slots = 64;
  VerifyQueue q(o);
  auto a = source("127.0.0.1", 5000), b = source("127.0.0.1", 6000);
  // Alone, a source may fill every slot.
  int taken = 0;
  for (int i = 0; i < 64; ++i)
    taken += q.push(sa(a), Standing::Established, fresh_session(), datagram(1), 0, 0) == Shed::Count_;
  EXPECT_EQ(taken, 64);
  EXPECT_EQ(q.free_slots(), 0u);
  EXPECT_EQ(q.push(sa(b), Standing::Established, fresh_session(), datagram(2), 0, 0), Shed::QueueFull);
  (void)drain(q);
  // Two sources: neither may take more than half.
  ASSERT_EQ(q.push(sa(b), Standing::Established, fresh_session(), datagram(2), 0, 0), Shed::Count_);
  taken = 0;
  for (int i = 0; i < 64; ++i)
    taken += q.push(sa(a), Standing::Established, fresh_session(), datagram(1), 0, 0) == Shed::Count_;
  EXPECT_EQ(taken, 32);
  EXPECT_EQ(shed(q, Shed::SourceBacklog), 32u);
  EXPECT_EQ(q.push(sa(b), Standing::Established, fresh_session(), datagram(2), 0, 0), Shed::Count_)
      << "b still has room";
}

TEST(VerifyQueue, SourceTableIsBoundedAndForgetsIdleSources) {
  VerifyQueue::Options o;
  o.max_sources = 100;
  VerifyQueue q(o);
  VerifyQueue::Item it;
  for (uint32_t i = 0; i < 5000; ++i) {
    auto s = source("127.0.0.1", static_cast<uint16_t>(1 + i % 60000));
    ASSERT_EQ(q.push(sa(s), Standing::Established, fresh_session(), datagram(1), 0, static_cast<int64_t>(i)),
              Shed::Count_);
    ASSERT_TRUE(q.pop(&it));
  }
  EXPECT_LE(q.sources(), 100u);
  EXPECT_EQ(q.stats().admitted, 5000u);
  EXPECT_EQ(q.stats().taken, 5000u);
}

TEST(VerifyQueue, ShedReasonsHaveTheirMetricNames) {
  EXPECT_STREQ(shed_name(Shed::SourceNewSessionRate), "new_session_source_rate");
  EXPECT_STREQ(shed_name(Shed::NewSessionRate), "new_session_rate");
  EXPECT_STREQ(shed_name(Shed::SourceBacklog), "source_backlog");
  EXPECT_STREQ(shed_name(Shed::QueueFull), "queue_full");
}

}  // namespace
}  // namespace uw::notifier
