// core/rate_limit.*: token buckets by key.
#include "core/rate_limit.hpp"

#include <gtest/gtest.h>

#include <string>

namespace uw {
namespace {

TEST(RateLimit, ABurstThenOneTokenPerIntervalPerKey) {
  RateLimit l(/*rate_per_s=*/0.5, /*burst=*/3);  // a token every 2 s
  const int64_t t0 = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(l.take("a", t0), 0) << i;
  EXPECT_EQ(l.take("a", t0), 2);         // empty: the next token in 2 s
  EXPECT_EQ(l.take("b", t0), 0);         // another key has its own bucket
  EXPECT_EQ(l.take("a", t0 + 1500), 1);  // 0.75 of a token: 0.5 s to go, said as 1
  EXPECT_EQ(l.take("a", t0 + 2000), 0);
  EXPECT_EQ(l.take("a", t0 + 2000), 2);  // spent again: a whole interval to wait
  // Idle for long: back to a full burst, never more.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(l.take("a", t0 + 3'600'000), 0) << i;
  EXPECT_GT(l.take("a", t0 + 3'600'000), 0);
}

TEST(RateLimit, AvailableLooksWithoutSpending) {
  RateLimit l(/*rate_per_s=*/1, /*burst=*/2);
  const int64_t t0 = 5'000'000;
  EXPECT_TRUE(l.available("a", t0));  // unknown key: a full bucket
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(l.available("a", t0));
  EXPECT_EQ(l.take("a", t0), 0);
  EXPECT_EQ(l.take("a", t0), 0);
  EXPECT_FALSE(l.available("a", t0));
  EXPECT_FALSE(l.available("a", t0 + 900));
  EXPECT_TRUE(l.available("a", t0 + 1000));
  EXPECT_TRUE(l.available("b", t0));
  RateLimit off(0, 1);
  EXPECT_TRUE(off.available("a", t0));
}

TEST(RateLimit, ZeroRateIsOff) {
  RateLimit l(0, 1);
  EXPECT_FALSE(l.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(l.take("a", 0), 0);
  EXPECT_EQ(l.size(), 0u);
}

TEST(RateLimit, MemoryStaysBoundedUnderAFloodOfKeys) {
  RateLimit l(1, 2);
  for (size_t i = 0; i < RateLimit::kMaxKeys * 3; ++i) (void)l.take("k" + std::to_string(i), 0);
  EXPECT_LE(l.size(), RateLimit::kMaxKeys);
}

}  // namespace
}  // namespace uw
