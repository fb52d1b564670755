// ReplayWindow: replays, reordering inside and outside the window, loss accounting.
#include "sign/window.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace uw::sign {
namespace {

using C = ReplayWindow::Check;

TEST(ReplayWindow, RoundsWidthUpToAtLeast1024) {
  EXPECT_EQ(ReplayWindow(1).width(), 1024u);
  EXPECT_EQ(ReplayWindow(4000).width(), 4032u);
  EXPECT_EQ(ReplayWindow().width(), 4096u);
}

TEST(ReplayWindow, AcceptsInOrderAndRejectsDuplicates) {
  ReplayWindow w;
  for (uint64_t s = 1; s <= 100; ++s) {
    ASSERT_EQ(w.check(s), C::Fresh);
    EXPECT_EQ(w.update(s), 0u);
    EXPECT_EQ(w.check(s), C::Duplicate);
  }
  EXPECT_EQ(w.received(), 100u);
  EXPECT_EQ(w.highest(), 100u);
  EXPECT_EQ(w.check(0), C::TooOld);
}

TEST(ReplayWindow, AcceptsReorderingInsideTheWindow) {
  ReplayWindow w(1024);
  w.update(1);
  w.update(1000);
  EXPECT_EQ(w.check(500), C::Fresh);
  w.update(500);
  EXPECT_EQ(w.check(500), C::Duplicate);
  w.update(1024);
  EXPECT_EQ(w.check(2), C::Fresh) << "1024 behind the top is still inside";
  EXPECT_EQ(w.settle(), 1024u - 4u);
}

TEST(ReplayWindow, RejectsNumbersThatLeftTheWindow) {
  ReplayWindow w(1024);
  w.update(1);
  w.update(5000);
  EXPECT_EQ(w.check(5000 - 1024), C::Fresh);
  EXPECT_EQ(w.check(5000 - 1024 - 64 - 1), C::TooOld);
  EXPECT_EQ(w.check(1), C::TooOld);
  EXPECT_EQ(w.check(2), C::TooOld);
}

TEST(ReplayWindow, CountsExactly37LostAfterSettle) {
  std::mt19937_64 rng(37);
  std::set<uint64_t> gaps;
  while (gaps.size() < 37) gaps.insert(2 + rng() % 998);  // 1 and 1000 arrive
  ReplayWindow w;
  uint64_t lost = 0;
  for (uint64_t s = 1; s <= 1000; ++s) {
    if (gaps.count(s)) continue;
    ASSERT_EQ(w.check(s), C::Fresh);
    lost += w.update(s);
  }
  EXPECT_EQ(lost, 0u) << "nothing left a 4096-wide window yet";
  EXPECT_EQ(w.settle(), 37u);
  EXPECT_EQ(w.lost(), 37u);
  EXPECT_EQ(w.last_gap_first(), *gaps.begin());
  EXPECT_EQ(w.settle(), 0u) << "settling twice counts nothing twice";
}

TEST(ReplayWindow, CountsGapsAsTheyLeaveTheWindow) {
  // Narrow window, long scripted run with reordering and duplicates: every
  // number is either received once or counted lost once.
  std::mt19937_64 rng(7);
  const uint64_t n = 50'000;
  std::vector<uint64_t> order;
  std::set<uint64_t> dropped;
  for (uint64_t s = 1; s <= n; ++s) {
    if (rng() % 20 == 0 && s != n)
      dropped.insert(s);
    else
      order.push_back(s);
  }
  // Reorder within short runs (well inside the window), duplicate a few.
  for (size_t i = 0; i + 8 < order.size(); i += 8)
    std::shuffle(order.begin() + i, order.begin() + i + 8, rng);
  ReplayWindow w(1024);
  uint64_t lost = 0, dups = 0, received = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    uint64_t s = order[i];
    ASSERT_EQ(w.check(s), C::Fresh) << s;
    lost += w.update(s);
    ++received;
    if (i % 97 == 0) {
      ++dups;
      EXPECT_EQ(w.check(s), C::Duplicate);
    }
  }
  EXPECT_GT(lost, 0u);
  EXPECT_LT(lost, dropped.size());
  lost += w.settle();
  EXPECT_EQ(lost, dropped.size());
  EXPECT_EQ(w.received(), received);
  EXPECT_EQ(w.lost() + w.received(), n);
}

TEST(ReplayWindow, HugeJumpCountsEverythingSkipped) {
  ReplayWindow w(1024);
  w.update(1);
  w.update(2);
  uint64_t lost = w.update(1'000'000);
  lost += w.settle();
  EXPECT_EQ(lost, 1'000'000u - 3u);
  EXPECT_EQ(w.received(), 3u);
}

TEST(ReplayWindow, JoiningALongRunningSessionDoesNotCountItsPast) {
  ReplayWindow w(1024);
  EXPECT_EQ(w.update(1'000'000), 0u);
  EXPECT_EQ(w.floor(), 1'000'000u);
  EXPECT_EQ(w.check(999'999), C::TooOld) << "before the first number seen";
  w.update(1'000'002);
  EXPECT_EQ(w.settle(), 1u);
}

TEST(ReplayWindow, AStartThatWasReorderedStillCountsFromOne) {
  ReplayWindow w(1024);
  w.update(3);
  EXPECT_EQ(w.floor(), 1u);
  EXPECT_EQ(w.check(1), C::Fresh);
  w.update(1);
  EXPECT_EQ(w.settle(), 1u);  // 2 never came
}

TEST(ReplayWindow, AJoinedSessionCountsWhatNeverCameBelowItsFirstNumberAsBeforeStart) {
  ReplayWindow w(1024);
  w.join();
  w.update(100);
  EXPECT_EQ(w.floor(), 1u);
  EXPECT_EQ(w.open(), 0u);           // 1..99 are unknown, not open gaps
  EXPECT_EQ(w.check(99), C::Fresh);  // a reordered start is still taken
  w.update(99);
  w.update(102);  // 101 is a real gap
  EXPECT_EQ(w.open(), 1u);
  EXPECT_EQ(w.settle(), 1u);         // only 101 is lost
  EXPECT_EQ(w.before_start(), 98u);  // 1..98 never came: maybe a previous receiver's
  EXPECT_EQ(w.late(), 0u);
}

TEST(ReplayWindow, AJoinedSessionsUnknownNumbersExpireAsBeforeStartNotLost) {
  ReplayWindow w(1024);
  w.join();
  w.update(10);
  EXPECT_EQ(w.expire_through(9), 0u);
  EXPECT_EQ(w.before_start(), 9u);
  EXPECT_EQ(w.lost(), 0u);
  w.update(3);  // arrives after all: taken, neither late nor lost
  EXPECT_EQ(w.late(), 0u);
  EXPECT_EQ(w.settle(), 0u);
}

TEST(ReplayWindow, SettledWindowAcceptsNothing) {
  ReplayWindow w;
  w.update(1);
  w.settle();
  EXPECT_EQ(w.check(2), C::TooOld);
}

}  // namespace
}  // namespace uw::sign

namespace uw::sign {
namespace {

// The gap timeout (issue 14): a gap can be counted before it leaves the window,
// and then never again, whether the number turns up later or leaves unseen.
TEST(ReplayWindow, ExpiringAGapCountsItOnceAndALateArrivalIsStillTaken) {
  ReplayWindow w(1024);
  for (uint64_t s : {1, 2, 5}) w.update(s);
  EXPECT_EQ(w.open(), 2u);  // 3 and 4
  EXPECT_EQ(w.lost(), 0u);
  EXPECT_EQ(w.expire_through(4), 2u);
  EXPECT_EQ(w.last_gap_first(), 3u);
  EXPECT_EQ(w.open(), 0u);
  EXPECT_EQ(w.expire_through(4), 0u);  // once
  EXPECT_EQ(w.lost(), 2u);
  // 3 arrives late: fresh once, then a duplicate; counted late, not un-lost.
  ASSERT_EQ(w.check(3), ReplayWindow::Check::Fresh);
  w.update(3);
  EXPECT_EQ(w.check(3), ReplayWindow::Check::Duplicate);
  EXPECT_EQ(w.late(), 1u);
  // Sliding far on: 4 leaves the window unseen but was counted already.
  for (uint64_t s = 6; s <= 5000; ++s) w.update(s);
  EXPECT_EQ(w.lost(), 2u);
  EXPECT_EQ(w.settle(), 0u);
  EXPECT_EQ(w.lost(), 2u);
}

TEST(ReplayWindow, ExpiryStopsAtItsMarkAndLaterGapsCountWhenTheyLeave) {
  ReplayWindow w(4096);                      // 65 blocks: numbers below 1856 leave when the top reaches 6000
  for (uint64_t s : {1, 3, 6}) w.update(s);  // 2 missing, then 4 and 5
  EXPECT_EQ(w.open(), 3u);
  EXPECT_EQ(w.expire_through(2), 1u);  // only the gap that timed out
  EXPECT_EQ(w.open(), 2u);
  EXPECT_EQ(w.update(3000), 0u);  // 4, 5 and 7..2999 still inside
  EXPECT_EQ(w.open(), 2u + 2993u);
  // 4, 5 and 7..1855 leave unseen; 2 was counted already.
  EXPECT_EQ(w.update(6000), 2u + 1849u);
  EXPECT_EQ(w.lost(), 1u + 2u + 1849u);
}

}  // namespace
}  // namespace uw::sign
