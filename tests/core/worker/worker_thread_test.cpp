// WorkerThread and Watermark: a worker names its thread and lowers its own
// priority; waiters on a watermark wake when it passes their value, or on close.
#include "core/worker/worker_thread.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "core/worker/watermark.hpp"

namespace uw {
namespace {

using namespace std::chrono_literals;

TEST(WorkerThread, NamesItsThreadAndLowersOnlyItsOwnPriority) {
  std::string name;
  int nice_inside = -100;
  const int nice_outside = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  {
    WorkerThread t;
    t.start({"checkpointer", 7}, [&] {
      char buf[32] = {};
      pthread_getname_np(pthread_self(), buf, sizeof buf);
      name = buf;
      nice_inside = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    });
  }                                    // the destructor joins
  EXPECT_EQ(name, "uw-checkpointer");  // 15 characters: all Linux keeps
  EXPECT_GE(nice_inside, 7);
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), nice_outside);
}

TEST(Watermark, WaitersWakeWhenItPassesTheirValue) {
  Watermark w(5);
  EXPECT_TRUE(w.wait_at_least(5, 0ms));
  EXPECT_FALSE(w.wait_at_least(6, 10ms));
  std::thread t([&] {
    std::this_thread::sleep_for(10ms);
    w.advance(8);
  });
  EXPECT_TRUE(w.wait_at_least(7, 10s));
  EXPECT_EQ(w.value(), 8);
  t.join();
}

TEST(Watermark, CloseReleasesWaitersUnreached) {
  Watermark w;
  std::atomic<bool> reached{true};
  std::thread t([&] { reached = w.wait_at_least(100, 10s); });
  std::this_thread::sleep_for(10ms);
  w.close();
  t.join();  // well before the 10 s
  EXPECT_FALSE(reached);
}

}  // namespace
}  // namespace uw
