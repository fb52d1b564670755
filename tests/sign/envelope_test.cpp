// Encoder, Coalescer and DatagramView: round trips, bounds and malformed input.
#include "sign/envelope.hpp"

#include <gtest/gtest.h>

#include "tests/sign/fixtures.hpp"

namespace uw::sign {
namespace {

using namespace testing;

std::vector<EventView> events_of(const DatagramView& v, bool* ok) {
  std::vector<EventView> out;
  *ok = v.for_each_event([&](const EventView& e) { out.push_back(e); });
  return out;
}

TEST(Envelope, PostRoundTrips) {
  SecretKey k = key_a();
  Encoder enc(k, 5, 1);
  Datagram d;
  ASSERT_TRUE(enc.seal(std::vector<Event>{sample_post()}, kT0, &d));
  DatagramView v(d);
  ASSERT_TRUE(v.well_formed());
  EXPECT_EQ(v.header().version, kVersion);
  EXPECT_EQ(v.header().key_id, k.id());
  EXPECT_EQ(v.header().session_id, 5u);
  EXPECT_EQ(v.header().seq, 1u);
  EXPECT_EQ(v.header().sent_at_ms, kT0);
  EXPECT_EQ(v.header().event_count, 1);
  bool ok = false;
  auto evs = events_of(v, &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(evs.size(), 1u);
  const auto& p = std::get<PostView>(evs[0]);
  EXPECT_EQ(p.uweet_id, 42);
  EXPECT_EQ(p.author_id, 7);
  EXPECT_EQ(p.author, "alice");
  EXPECT_EQ(p.created_at_ms, kT0 - 5);
  EXPECT_EQ(p.text, "hello, uwitter");
  EXPECT_EQ(d.size(), kHeaderBytes + encoded_size(sample_post()) + kSignatureBytes);
}

TEST(Envelope, FollowRoundTrips) {
  SecretKey k = key_a();
  Encoder enc(k, 5, 1);
  Datagram d;
  ASSERT_TRUE(enc.seal(std::vector<Event>{sample_follow()}, kT0, &d));
  bool ok = false;
  auto evs = events_of(DatagramView(d), &ok);
  ASSERT_TRUE(ok);
  const auto& f = std::get<FollowView>(evs.at(0));
  EXPECT_EQ(f.follower_id, 7);
  EXPECT_EQ(f.follower, "alice");
  EXPECT_EQ(f.followee_id, 9);
  EXPECT_EQ(f.created_at_ms, kT0 - 4);
}

TEST(Envelope, MentionRoundTrips) {
  SecretKey k = key_a();
  Encoder enc(k, 5, 1);
  Datagram d;
  ASSERT_TRUE(enc.seal(std::vector<Event>{sample_mention()}, kT0, &d));
  bool ok = false;
  auto evs = events_of(DatagramView(d), &ok);
  ASSERT_TRUE(ok);
  const auto& m = std::get<MentionView>(evs.at(0));
  EXPECT_EQ(m.uweet_id, 43);
  EXPECT_EQ(m.author_id, 9);
  EXPECT_EQ(m.author, "bob");
  EXPECT_EQ(m.mentioned_id, 7);
  EXPECT_EQ(m.created_at_ms, kT0 - 3);
  EXPECT_EQ(m.text, "hi @alice");
}

TEST(Envelope, DeleteRoundTrips) {
  SecretKey k = key_a();
  Encoder enc(k, 5, 1);
  Datagram d;
  ASSERT_TRUE(enc.seal(
      std::vector<Event>{DeleteEvent{43, 9, "bob", 7, kT0 - 2}, DeleteEvent{44, 9, "bob", 0, kT0}}, kT0, &d));
  bool ok = false;
  auto evs = events_of(DatagramView(d), &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(evs.size(), 2u);
  const auto& x = std::get<DeleteView>(evs.at(0));
  EXPECT_EQ(x.uweet_id, 43);
  EXPECT_EQ(x.author_id, 9);
  EXPECT_EQ(x.author, "bob");
  EXPECT_EQ(x.recipient_id, 7);
  EXPECT_EQ(x.deleted_at_ms, kT0 - 2);
  EXPECT_EQ(std::get<DeleteView>(evs.at(1)).recipient_id, 0);
  EXPECT_EQ(encoded_size(Event{DeleteEvent{1, 2, "bob", 3, 4}}), 1 + 8 + 8 + 8 + 8 + 1 + 3u);
}

TEST(Envelope, NumbersDatagramsWithinSession) {
  SecretKey k = key_a();
  Encoder enc(k, 0, 10);
  EXPECT_NE(enc.session_id(), 0u);
  Datagram d;
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(enc.seal(std::vector<Event>{sample_follow()}, kT0, &d));
    EXPECT_EQ(DatagramView(d).header().seq, 10 + i);
    EXPECT_EQ(DatagramView(d).header().session_id, enc.session_id());
  }
  EXPECT_EQ(enc.next_seq(), 13u);
}

TEST(Envelope, RandomSessionIdsDiffer) {
  SecretKey k = key_a();
  EXPECT_NE(Encoder(k).session_id(), Encoder(k).session_id());
}

TEST(Envelope, SealRefusesWhatCannotBeSent) {
  SecretKey k = key_a();
  Encoder enc(k, 1, 1);
  Datagram d;
  struct Case {
    const char* name;
    std::vector<Event> events;
  };
  std::vector<Case> bad = {
      {"empty", {}},
      {"username too long", {PostEvent{1, 1, std::string(16, 'a'), 0, "x"}}},
      {"empty username", {FollowEvent{1, "", 2, 0}}},
      {"text too long", {PostEvent{1, 1, "a", 0, std::string(565, 'x')}}},
      {"mention text too long", {MentionEvent{1, 1, "a", 2, 0, std::string(565, 'x')}}},
      {"over 1200 bytes", {sample_post(1, std::string(564, 'x')), sample_post(2, std::string(564, 'x'))}},
  };
  for (const auto& c : bad) {
    EXPECT_FALSE(enc.seal(c.events, kT0, &d)) << c.name;
  }
  EXPECT_EQ(enc.next_seq(), 1u) << "a refused seal must not consume a sequence number";
  // The largest events still fit on their own.
  EXPECT_TRUE(enc.seal(
      std::vector<Event>{MentionEvent{1, 1, std::string(15, 'a'), 2, 0, std::string(564, 'x')}}, kT0, &d));
  EXPECT_LE(d.size(), kMaxDatagram);
}

TEST(Envelope, CoalescerFillsDatagramsUpTo1200Bytes) {
  SecretKey k = key_a();
  Encoder enc(k, 1, 1);
  Coalescer co(enc);
  std::vector<Datagram> out;
  size_t per_event = encoded_size(sample_post(1, text80()));
  size_t per_datagram = (kMaxDatagram - kHeaderBytes - kSignatureBytes) / per_event;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(co.add(sample_post(i, text80()), kT0, &out));
  co.flush(kT0, &out);
  EXPECT_TRUE(co.empty());
  size_t total = 0;
  int64_t next_id = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_LE(out[i].size(), kMaxDatagram);
    DatagramView v(out[i]);
    ASSERT_TRUE(v.well_formed());
    EXPECT_EQ(v.header().seq, i + 1);
    if (i + 1 < out.size()) {
      EXPECT_EQ(v.header().event_count, per_datagram);
    }
    EXPECT_TRUE(
        v.visit_events([&](const EventView& e) { EXPECT_EQ(std::get<PostView>(e).uweet_id, next_id++); }));
    total += v.header().event_count;
  }
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(out.size(), (100 + per_datagram - 1) / per_datagram);
}

TEST(Envelope, CoalescerMixesEventTypesInOrder) {
  SecretKey k = key_a();
  Encoder enc(k, 1, 1);
  Coalescer co(enc);
  std::vector<Datagram> out;
  ASSERT_TRUE(co.add(sample_post(), kT0, &out));
  ASSERT_TRUE(co.add(sample_follow(), kT0, &out));
  ASSERT_TRUE(co.add(sample_mention(), kT0, &out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(co.pending_events(), 3u);
  co.flush(kT0, &out);
  ASSERT_EQ(out.size(), 1u);
  bool ok = false;
  auto evs = events_of(DatagramView(out[0]), &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<PostView>(evs[0]));
  EXPECT_TRUE(std::holds_alternative<FollowView>(evs[1]));
  EXPECT_TRUE(std::holds_alternative<MentionView>(evs[2]));
}

TEST(Envelope, CoalescerRefusesAnEventThatCanNeverFit) {
  SecretKey k = key_a();
  Encoder enc(k, 1, 1);
  Coalescer co(enc, 300);
  std::vector<Datagram> out;
  EXPECT_FALSE(co.add(sample_post(1, std::string(400, 'x')), kT0, &out));
  EXPECT_FALSE(co.add(PostEvent{1, 1, std::string(20, 'a'), 0, "x"}, kT0, &out));
  EXPECT_TRUE(co.empty());
  co.flush(kT0, &out);
  EXPECT_TRUE(out.empty()) << "flushing nothing sends nothing";
}

TEST(Envelope, ViewRejectsWrongMagicAndShortBuffers) {
  SecretKey k = key_a();
  Encoder enc(k, 1, 1);
  Datagram d;
  ASSERT_TRUE(enc.seal(std::vector<Event>{sample_post()}, kT0, &d));
  Datagram bad = d;
  bad[0] = 'X';
  EXPECT_FALSE(DatagramView(bad).well_formed());
  EXPECT_FALSE(DatagramView(std::span<const uint8_t>{}).well_formed());
  EXPECT_FALSE(DatagramView().well_formed());
  bad = d;
  bad[4] = 3;  // 1 is events, 2 heartbeats: 3 is unknown
  EXPECT_FALSE(DatagramView(bad).well_formed());
  EXPECT_TRUE(DatagramView(bad).other_version());
  Datagram zero_events = d;
  zero_events[37] = 0;
  zero_events[38] = 0;
  EXPECT_FALSE(DatagramView(zero_events).well_formed());
  Datagram big(kMaxDatagram + 1, 0);
  std::copy(d.begin(), d.end(), big.begin());
  EXPECT_FALSE(DatagramView(big).well_formed());
}

TEST(Envelope, EventCountMustMatchExactly) {
  SecretKey k = key_a();
  Encoder enc(k, 1, 1);
  Datagram d;
  ASSERT_TRUE(enc.seal(std::vector<Event>{sample_post(), sample_follow()}, kT0, &d));
  for (uint16_t count : {1, 3, 500}) {
    Datagram bad = d;
    bad[37] = static_cast<uint8_t>(count >> 8);
    bad[38] = static_cast<uint8_t>(count);
    DatagramView v(bad);
    ASSERT_TRUE(v.well_formed());
    EXPECT_FALSE(v.events_valid()) << count;
  }
}

}  // namespace
}  // namespace uw::sign
