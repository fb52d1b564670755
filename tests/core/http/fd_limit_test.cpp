// core/http/fd_limit.cpp: the soft open-file limit is raised to the hard one,
// and what was found at start is reported.
#include "core/http/fd_limit.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace uw::http {
namespace {

TEST(FdLimit, RaisesTheSoftLimitToTheHardOne) {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  ASSERT_NE(lim.rlim_max, RLIM_INFINITY) << "an unlimited hard limit is capped at fs.nr_open";
  if (lim.rlim_max < 128) GTEST_SKIP() << "hard limit too low to lower first";
  // Start from a lowered soft limit so there is something to raise.
  rlimit low = lim;
  low.rlim_cur = 100;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);

  auto r = raise_fd_limit();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->before, 100u);
  EXPECT_EQ(r->hard, lim.rlim_max);
  EXPECT_EQ(r->soft, lim.rlim_max);
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, lim.rlim_max);  // really set, not just reported

  // Already at the hard limit: nothing changes, and it says so.
  auto again = raise_fd_limit();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->before, lim.rlim_max);
  EXPECT_EQ(again->soft, lim.rlim_max);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);  // as found
}

}  // namespace
}  // namespace uw::http
