// core/worker/thread_priority.cpp: lowering renices the calling thread only.
#include "core/worker/thread_priority.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace uw {
namespace {

int nice_of(pid_t tid) {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
}

TEST(ThreadPriority, LowersTheCallingThreadOnly) {
  const pid_t main_tid = gettid();
  const int main_nice = nice_of(main_tid);
  int seen = -100;
  bool lowered = false;
  std::thread t([&] {
    const int target = std::min(main_nice + 5, 19);
    lowered = lower_this_thread_priority(target);
    seen = nice_of(gettid());
  });
  t.join();
  ASSERT_TRUE(lowered);
  EXPECT_EQ(seen, std::min(main_nice + 5, 19));
  EXPECT_EQ(nice_of(main_tid), main_nice);  // the caller's thread, not the process
}

}  // namespace
}  // namespace uw
