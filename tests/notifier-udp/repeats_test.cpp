// notifier-udp/repeats.cpp: a mention shadows its uweet's fan-out for the
// mention window; a follow notifies once per (follower, followee) per follow
// window; both records forget by age and by size.
#include "notifier-udp/repeats.hpp"

#include <gtest/gtest.h>

namespace uw::notifier {
namespace {

Repeats::Options opts(uint64_t mention_ms, uint64_t follow_ms, size_t max_entries = 1000) {
  Repeats::Options o;
  o.mention_window_ms = mention_ms;
  o.follow_window_ms = follow_ms;
  o.max_entries = max_entries;
  return o;
}

TEST(Repeats, MentionsAreListedPerUweetOnceEach) {
  Repeats r(opts(1000, 1000));
  EXPECT_EQ(r.mentioned(10), nullptr);
  r.note_mention(10, 2, 0);
  r.note_mention(10, 3, 1);
  r.note_mention(10, 2, 2);  // the same mention again: listed once
  r.note_mention(11, 4, 3);
  const auto* m = r.mentioned(10);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(*m, (std::vector<int64_t>{2, 3}));
  ASSERT_NE(r.mentioned(11), nullptr);
  EXPECT_EQ(*r.mentioned(11), std::vector<int64_t>{4});
}

TEST(Repeats, AMentionIsForgottenAfterItsWindow) {
  Repeats r(opts(100, 1000));
  r.note_mention(10, 2, 0);
  r.note_mention(10, 3, 50);
  r.note_mention(99, 9, 99);  // expiry runs on the next note
  ASSERT_NE(r.mentioned(10), nullptr);
  EXPECT_EQ(r.mentioned(10)->size(), 2u);
  r.note_mention(99, 9, 100);  // 0 + 100 <= 100: the first one goes
  ASSERT_NE(r.mentioned(10), nullptr);
  EXPECT_EQ(*r.mentioned(10), std::vector<int64_t>{3});
  r.note_mention(99, 9, 150);
  EXPECT_EQ(r.mentioned(10), nullptr);  // the uweet's entry goes with its last mention
}

TEST(Repeats, MentionsAreBoundedByCount) {
  Repeats r(opts(1'000'000, 1000, /*max_entries=*/2));
  r.note_mention(1, 1, 0);
  r.note_mention(2, 1, 1);
  r.note_mention(3, 1, 2);  // each note first trims to max_entries, then adds
  EXPECT_NE(r.mentioned(1), nullptr);
  r.note_mention(4, 1, 3);  // the oldest goes long before its window ends
  EXPECT_EQ(r.mentioned(1), nullptr);
  EXPECT_NE(r.mentioned(2), nullptr);
  r.note_mention(5, 1, 4);
  EXPECT_EQ(r.mentioned(2), nullptr);
  for (int64_t u : {3, 4, 5}) EXPECT_NE(r.mentioned(u), nullptr) << u;
}

TEST(Repeats, AFollowNotifiesOncePerWindow) {
  Repeats r(opts(1000, 100));
  EXPECT_TRUE(r.first_follow(1, 2, 0));
  EXPECT_FALSE(r.first_follow(1, 2, 50));  // unfollow + follow again: no second note
  EXPECT_TRUE(r.first_follow(2, 1, 50));   // the other direction is another pair
  EXPECT_TRUE(r.first_follow(1, 3, 60));
  EXPECT_FALSE(r.first_follow(1, 2, 99));
  EXPECT_TRUE(r.first_follow(1, 2, 100));  // the window has passed
  EXPECT_FALSE(r.first_follow(1, 2, 150));
}

TEST(Repeats, ARenewedFollowIsNotForgottenWithItsOldStamp) {
  Repeats r(opts(1000, 100));
  EXPECT_TRUE(r.first_follow(1, 2, 0));
  EXPECT_TRUE(r.first_follow(1, 2, 100));  // stamp 0 expired, stamp 100 recorded
  EXPECT_TRUE(r.first_follow(5, 6, 150));
  EXPECT_FALSE(r.first_follow(1, 2, 199));  // still within stamp 100's window
}

TEST(Repeats, ZeroFollowWindowNotifiesEveryFollow) {
  Repeats r(opts(1000, 0));
  EXPECT_TRUE(r.first_follow(1, 2, 0));
  EXPECT_TRUE(r.first_follow(1, 2, 0));
}

TEST(Repeats, FollowsAreBoundedByCount) {
  Repeats r(opts(1000, 1'000'000, /*max_entries=*/2));
  EXPECT_TRUE(r.first_follow(1, 10, 0));
  EXPECT_TRUE(r.first_follow(2, 10, 1));
  EXPECT_TRUE(r.first_follow(3, 10, 2));
  EXPECT_TRUE(r.first_follow(4, 10, 3));  // trims to the newest two, then records
  EXPECT_TRUE(r.first_follow(1, 10, 4));  // the oldest was forgotten early
  EXPECT_FALSE(r.first_follow(4, 10, 5));
}

}  // namespace
}  // namespace uw::notifier
