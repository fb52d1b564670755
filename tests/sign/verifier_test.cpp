// Verifier: the full receive path, every rejection reason, sessions and rotation.
#include <gtest/gtest.h>

#include "sign/envelope.hpp"
#include "tests/sign/fixtures.hpp"

namespace uw::sign {
namespace {

using namespace testing;

struct Rig {
  SecretKey key = key_a();
  KeyRing ring;
  Rig() { ring.add(key.public_key()); }
  Datagram seal(Encoder& enc, int64_t t = kT0, std::vector<Event> evs = {sample_post()}) {
    Datagram d;
    EXPECT_TRUE(enc.seal(evs, t, &d));
    return d;
  }
};

uint64_t count(const Verifier& v, Reject r) { return v.stats().rejected[static_cast<size_t>(r)]; }

TEST(Verifier, AcceptsAValidDatagramAndExposesItsEvents) {
  Rig r;
  Encoder enc(r.key, 11, 1);
  Datagram d = r.seal(enc, kT0, {sample_post(), sample_follow(), sample_mention()});
  Verifier v(r.ring);
  DatagramView view;
  ASSERT_EQ(v.accept(d, kT0, &view), Reject::None);
  EXPECT_EQ(view.header().session_id, 11u);
  int n = 0;
  EXPECT_TRUE(view.visit_events([&](const EventView&) { ++n; }));
  EXPECT_EQ(n, 3);
  EXPECT_EQ(v.stats().accepted, 1u);
  EXPECT_EQ(v.stats().sessions, 1u);
}

TEST(Verifier, RejectsEachReasonAndCountsIt) {
  Rig r;
  Encoder enc(r.key, 11, 1);
  Datagram good = r.seal(enc);
  Datagram bad_sig = good;
  bad_sig.back() ^= 1;
  Datagram version3 = good;  // 2 is the heartbeat version: 3 is unknown
  version3[4] = 3;
  SecretKey other = key_b();
  Encoder other_enc(other, 3, 1);
  Datagram unknown = r.seal(other_enc);
  Encoder enc_old(r.key, 12, 1);
  struct Case {
    const char* name;
    Datagram d;
    int64_t now;
    Reject want;
  };
  std::vector<Case> cases = {
      {"empty", {}, kT0, Reject::Malformed},
      {"garbage", Datagram(200, 0xab), kT0, Reject::Malformed},
      {"too short", Datagram(good.begin(), good.begin() + 60), kT0, Reject::Malformed},
      {"version 3", version3, kT0, Reject::UnsupportedVersion},
      {"unknown key", unknown, kT0, Reject::UnknownKey},
      {"stale", good, kT0 + 30'001, Reject::Stale},
      {"future", good, kT0 - 5'001, Reject::Future},
      {"bad signature", bad_sig, kT0, Reject::BadSignature},
  };
  for (const auto& c : cases) {
    Verifier v(r.ring);
    EXPECT_EQ(v.accept(c.d, c.now, nullptr), c.want) << c.name;
    EXPECT_EQ(count(v, c.want), 1u) << c.name;
    EXPECT_EQ(v.stats().accepted, 0u) << c.name;
  }
  for (Reject x = Reject::None; x != Reject::Count_; x = static_cast<Reject>(static_cast<int>(x) + 1))
    EXPECT_STRNE(reject_name(x), "unknown");
  EXPECT_STREQ(reject_name(Reject::BadSignature), "bad_signature");
}

TEST(Verifier, EdgesOfTheTimeWindowAreAccepted) {
  Rig r;
  Encoder enc(r.key, 11, 1);
  Verifier v(r.ring, Verifier::Options{1000, 100, 4096});
  EXPECT_EQ(v.accept(r.seal(enc, kT0), kT0 + 1000, nullptr), Reject::None);
  EXPECT_EQ(v.accept(r.seal(enc, kT0 + 1100), kT0 + 1000, nullptr), Reject::None);
  EXPECT_EQ(v.accept(r.seal(enc, kT0 + 1101), kT0 + 1000, nullptr), Reject::Future);
  EXPECT_EQ(v.accept(r.seal(enc, kT0 - 1), kT0 + 1000, nullptr), Reject::Stale);
}

TEST(Verifier, RejectsReplaysAndAcceptsReorderingInsideTheWindow) {
  Rig r;
  Encoder enc(r.key, 11, 1);
  std::vector<Datagram> ds;
  for (int i = 0; i < 3000; ++i) ds.push_back(r.seal(enc));
  Verifier v(r.ring, Verifier::Options{30'000, 5'000, 1024});
  EXPECT_EQ(v.accept(ds[0], kT0, nullptr), Reject::None);
  EXPECT_EQ(v.accept(ds[0], kT0, nullptr), Reject::Duplicate);
  EXPECT_EQ(v.accept(ds[2], kT0, nullptr), Reject::None);
  EXPECT_EQ(v.accept(ds[1], kT0, nullptr), Reject::None) << "reordered, inside the window";
  EXPECT_EQ(v.accept(ds[1], kT0, nullptr), Reject::Duplicate);
  EXPECT_EQ(v.accept(ds[2999], kT0, nullptr), Reject::None);
  EXPECT_EQ(v.accept(ds[100], kT0, nullptr), Reject::TooOld) << "reordered, outside the window";
  EXPECT_EQ(v.accept(ds[2999 - 1000], kT0, nullptr), Reject::None);
  EXPECT_EQ(count(v, Reject::Duplicate), 2u);
  EXPECT_EQ(count(v, Reject::TooOld), 1u);
  EXPECT_EQ(v.stats().accepted, 5u);
  // A forged copy of an unseen in-window number is refused and does not burn it.
  Datagram forged = ds[2000];
  forged[forged.size() - 1] ^= 0x80;
  EXPECT_EQ(v.accept(forged, kT0, nullptr), Reject::BadSignature);
  EXPECT_EQ(v.accept(ds[2000], kT0, nullptr), Reject::None);
}

// precheck(): every check but the signature, no state change, and whether the
// datagram is in the key's current session (what a flood cannot fake without
// knowing the session id) or claims a new one.
TEST(Verifier, PrecheckTellsEstablishedFromNewSessionsWithoutAVerifyOrAStateChange) {
  Rig r;
  Verifier v(r.ring);
  Encoder enc(r.key, 11, 1);
  Datagram first = r.seal(enc), second = r.seal(enc);
  auto st = Verifier::Standing::Established;
  EXPECT_EQ(v.precheck(first, kT0, &st), Reject::None);
  EXPECT_EQ(st, Verifier::Standing::NewSession) << "no session of this key heard yet";
  EXPECT_EQ(v.stats().verifies, 0u);
  EXPECT_EQ(v.stats().sessions, 0u) << "precheck changes nothing";
  ASSERT_EQ(v.accept(first, kT0, nullptr), Reject::None);
  EXPECT_EQ(v.stats().verifies, 1u);
  EXPECT_EQ(v.precheck(second, kT0, &st), Reject::None);
  EXPECT_EQ(st, Verifier::Standing::Established);
  // A forgery with a made-up session id: a new-session claim, and its bad
  // signature is only found by the verify it costs.
  Datagram forged = r.seal(enc, kT0 + 1);
  for (int i = 0; i < 8; ++i) forged[13 + i] ^= 0x5a;  // the session id (docs/PROTOCOL.md)
  EXPECT_EQ(v.precheck(forged, kT0 + 1, &st), Reject::None);
  EXPECT_EQ(st, Verifier::Standing::NewSession);
  EXPECT_EQ(v.accept(forged, kT0 + 1, nullptr), Reject::BadSignature);
  EXPECT_EQ(v.stats().verifies, 2u);
  // Cheap rejections are counted by precheck itself, without a verify.
  EXPECT_EQ(v.precheck(first, kT0, &st), Reject::Duplicate);
  EXPECT_EQ(count(v, Reject::Duplicate), 1u);
  EXPECT_EQ(v.precheck(r.seal(enc, kT0 - 60'000), kT0, &st), Reject::Stale);
  EXPECT_EQ(count(v, Reject::Stale), 1u);
  EXPECT_EQ(v.stats().verifies, 2u);
  // Two copies both pass precheck while neither is accepted; accept() takes one.
  EXPECT_EQ(v.precheck(second, kT0, &st), Reject::None);
  ASSERT_EQ(v.accept(second, kT0, nullptr), Reject::None);
  EXPECT_EQ(v.accept(second, kT0, nullptr), Reject::Duplicate);
  EXPECT_EQ(v.stats().verifies, 3u) << "a duplicate found by accept() costs no verify";
}

TEST(Verifier, LossIsCountedWhenTheSenderRestarts) {
  Rig r;
  std::vector<SenderNote> notes;
  Verifier v(r.ring);
  v.on_note([&](const SenderNote& n) { notes.push_back(n); });
  Encoder first(r.key, 100, 1);
  for (int i = 1; i <= 10; ++i) {
    Datagram d = r.seal(first, kT0 + i);
    if (i == 4 || i == 5) continue;  // lost
    ASSERT_EQ(v.accept(d, kT0 + 10, nullptr), Reject::None);
  }
  Datagram straggler = r.seal(first, kT0 + 11);
  // The sender restarts: same key, new session id, later clock.
  Encoder second(r.key, 200, 1);
  ASSERT_EQ(v.accept(r.seal(second, kT0 + 20), kT0 + 20, nullptr), Reject::None);
  EXPECT_EQ(v.stats().lost, 2u) << "the old session's gaps are settled";
  EXPECT_EQ(v.stats().sessions, 2u);
  ASSERT_EQ(v.accept(r.seal(second, kT0 + 21), kT0 + 21, nullptr), Reject::None);
  // A late datagram of the first session no longer counts (nor restarts it).
  EXPECT_EQ(v.accept(straggler, kT0 + 22, nullptr), Reject::Stale);
  EXPECT_EQ(v.stats().sessions, 2u);
  ASSERT_GE(notes.size(), 3u);
  EXPECT_EQ(notes[0].kind, SenderNote::SessionStarted);
  EXPECT_EQ(notes[1].kind, SenderNote::SessionSettled);
  EXPECT_EQ(notes[1].session_id, 100u);
  EXPECT_EQ(notes[1].count, 2u);
  EXPECT_EQ(notes[1].first_seq, 10u);
  EXPECT_EQ(notes[2].kind, SenderNote::SessionStarted);
  EXPECT_EQ(notes[2].session_id, 200u);
}

// A receiver restarted while a sender's session ran on (its sequence still
// small): what was sent before the restart is unknown, not lost; a session
// that starts later is seen from its start, and its missing numbers are lost.
TEST(Verifier, ARestartedReceiverDoesNotCountItsPredecessorsDatagramsAsLost) {
  Rig r;
  std::vector<SenderNote> notes;
  Verifier::Options o;
  o.started_ms = kT0 + 100;  // the sender started at kT0, sent 1..100 to our predecessor
  o.join_grace_ms = 3'000;
  Verifier v(r.ring, o);
  v.on_note([&](const SenderNote& n) { notes.push_back(n); });
  Encoder running(r.key, 100, 101);
  ASSERT_EQ(v.accept(r.seal(running, kT0 + 1'000), kT0 + 1'000, nullptr), Reject::None);
  ASSERT_EQ(v.accept(r.seal(running, kT0 + 1'001), kT0 + 1'001, nullptr), Reject::None);
  EXPECT_EQ(v.stats().lost, 0u);
  EXPECT_EQ(v.open_gaps(), 0u);  // 1..100 are unknown, not open gaps
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].kind, SenderNote::SessionStarted);
  EXPECT_EQ(notes[0].count, 100u);
  // The sender restarts while we run; its first two datagrams are lost.
  Encoder restarted(r.key, 200, 3);
  ASSERT_EQ(v.accept(r.seal(restarted, kT0 + 9'000), kT0 + 9'000, nullptr), Reject::None);
  Encoder later(r.key, 200, 5);
  ASSERT_EQ(v.accept(r.seal(later, kT0 + 9'002), kT0 + 9'002, nullptr), Reject::None);
  EXPECT_EQ(v.stats().before_start, 100u);  // settled with the first session, not lost
  EXPECT_EQ(v.stats().lost, 0u);            // 1, 2 and 4 still open
  EXPECT_EQ(v.open_gaps(), 3u);
  // A key first heard long after our start: its session began while we ran.
  SecretKey other = key_b();
  r.ring.add(other.public_key());
  Encoder fresh(other, 300, 7);
  ASSERT_EQ(v.accept(r.seal(fresh, kT0 + 20'000), kT0 + 20'000, nullptr), Reject::None);
  EXPECT_EQ(v.stats().before_start, 100u);
  EXPECT_EQ(v.open_gaps(), 3u + 6u);  // 1..6 of the new key are missing, not unknown
}

TEST(Verifier, ScriptedRunWith37GapsCounts37Lost) {
  Rig r;
  Verifier v(r.ring);
  Encoder enc(r.key, 1, 1);
  std::vector<uint64_t> gaps;
  for (uint64_t g = 5; gaps.size() < 37; g += 26) gaps.push_back(g);
  for (uint64_t s = 1; s <= 1000; ++s) {
    Datagram d = r.seal(enc, kT0);
    if (std::find(gaps.begin(), gaps.end(), s) != gaps.end()) continue;
    ASSERT_EQ(v.accept(d, kT0, nullptr), Reject::None) << s;
  }
  EXPECT_EQ(v.stats().lost, 0u);
  Encoder restarted(r.key, 2, 1);
  ASSERT_EQ(v.accept(r.seal(restarted, kT0 + 1), kT0 + 1, nullptr), Reject::None);
  EXPECT_EQ(v.stats().lost, 37u);
  EXPECT_EQ(v.stats().accepted, 1000u - 37u + 1u);
}

TEST(Verifier, KeyRotationAcceptsBothThenRetiresTheOld) {
  Rig r;
  SecretKey next = key_b();
  Verifier v(r.ring);
  Encoder old_enc(r.key, 1, 1), new_enc(next, 2, 1);
  ASSERT_EQ(v.accept(r.seal(old_enc), kT0, nullptr), Reject::None);
  EXPECT_EQ(v.accept(r.seal(new_enc), kT0, nullptr), Reject::UnknownKey);
  r.ring.add(next.public_key());  // step 1: trust the new key
  EXPECT_EQ(v.accept(r.seal(new_enc), kT0, nullptr), Reject::None);
  EXPECT_EQ(v.accept(r.seal(old_enc), kT0, nullptr), Reject::None) << "both during the switch";
  EXPECT_TRUE(r.ring.retire(r.key.id()));  // step 3: retire the old one
  EXPECT_FALSE(r.ring.retire(r.key.id()));
  EXPECT_EQ(v.accept(r.seal(old_enc), kT0, nullptr), Reject::UnknownKey);
  EXPECT_EQ(v.accept(r.seal(new_enc), kT0, nullptr), Reject::None);
  EXPECT_EQ(v.stats().sessions, 2u) << "one sender per key id";
}

TEST(Verifier, ValidlySignedButMalformedEventsAreRejected) {
  // A datagram whose events do not parse is refused even with a valid signature
  // (built by hand: the Encoder never writes one).
  Rig r;
  Encoder enc(r.key, 1, 1);
  Datagram d = r.seal(enc);
  Datagram bad = d;
  bad[kHeaderBytes] = 9;  // unknown event type
  Verifier v(r.ring);
  EXPECT_EQ(v.accept(bad, kT0, nullptr), Reject::Malformed);
}

}  // namespace
}  // namespace uw::sign

namespace uw::sign {
namespace {

// Issue 14: a heartbeat (version 2, no events) is signed and numbered like any
// datagram; it makes a trailing gap visible, and the gap timeout counts it.
TEST(Verifier, HeartbeatRevealsATrailingGapThatTheTimeoutCounts) {
  Rig r;
  Encoder enc(r.key, 11, 1);
  Verifier::Options o;
  o.gap_timeout_ms = 1000;
  Verifier v(r.ring, o);
  ASSERT_EQ(v.accept(r.seal(enc), kT0, nullptr), Reject::None);  // 1
  (void)r.seal(enc);                                             // 2: lost
  (void)r.seal(enc);                                             // 3: lost
  Datagram hb;
  enc.seal_heartbeat(kT0 + 10, &hb);  // 4
  EXPECT_EQ(hb.size(), kHeartbeatBytes);
  DatagramView view;
  ASSERT_EQ(v.accept(hb, kT0 + 10, &view), Reject::None);
  EXPECT_TRUE(view.heartbeat());
  EXPECT_EQ(view.header().seq, 4u);
  EXPECT_TRUE(view.visit_events([](const EventView&) { ADD_FAILURE() << "a heartbeat has no events"; }));
  EXPECT_EQ(v.stats().heartbeats, 1u);
  EXPECT_EQ(v.open_gaps(), 2u);
  EXPECT_EQ(v.expire(kT0 + 500), 0u);  // not yet
  EXPECT_EQ(v.expire(kT0 + 1010), 2u);
  EXPECT_EQ(v.stats().lost, 2u);
  EXPECT_EQ(v.open_gaps(), 0u);
  // A replayed heartbeat is a duplicate like any datagram.
  EXPECT_EQ(v.accept(hb, kT0 + 20, nullptr), Reject::Duplicate);
}

TEST(Verifier, AVersion1DatagramWithoutEventsIsStillMalformed) {
  Rig r;
  Encoder enc(r.key, 11, 1);
  Datagram hb;
  enc.seal_heartbeat(kT0, &hb);
  hb[4] = kVersion;  // claims version 1: no events is not allowed there
  Verifier v(r.ring);
  EXPECT_EQ(v.accept(hb, kT0, nullptr), Reject::Malformed);
}

}  // namespace
}  // namespace uw::sign
