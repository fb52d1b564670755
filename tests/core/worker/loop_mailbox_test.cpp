// LoopMailbox: closures posted from worker threads run on the loop thread, in
// posting order; close() runs what is left, then frees the handle; a mailbox
// destroyed without close() drops what is queued and leaks no handle.
#include "core/worker/loop_mailbox.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include <thread>
#include <vector>

#include "tests/test_loop.hpp"

namespace uw {
namespace {

using Loop = test::TestLoop;

TEST(LoopMailbox, RunsPostsOnTheLoopThreadInOrder) {
  Loop l;
  LoopMailbox mb(&l.loop);
  const auto loop_thread = std::this_thread::get_id();
  std::vector<int> seen;
  bool on_loop = true;
  std::thread worker([&] {
    for (int i = 0; i < 100; ++i)
      mb.post([&, i] {
        on_loop = on_loop && std::this_thread::get_id() == loop_thread;
        seen.push_back(i);
        if (i == 99) mb.close(nullptr);
      });
  });
  worker.join();
  uv_run(&l.loop, UV_RUN_DEFAULT);
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
  EXPECT_TRUE(on_loop);
}

TEST(LoopMailbox, CloseRunsWhatIsQueuedThenCallsDone) {
  Loop l;
  LoopMailbox mb(&l.loop);
  int ran = 0;
  bool done = false;
  mb.post([&] { ++ran; });
  mb.post([&] { ++ran; });
  mb.close([&] { done = ran == 2; });
  EXPECT_EQ(ran, 2) << "close() runs the queue before it returns";
  uv_run(&l.loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(done);
}

TEST(LoopMailbox, DestroyedWithoutCloseDropsTheQueueAndClosesItsHandle) {
  Loop l;
  int ran = 0;
  {
    LoopMailbox mb(&l.loop);
    mb.post([&] { ++ran; });
  }
  uv_run(&l.loop, UV_RUN_DEFAULT);
  EXPECT_EQ(ran, 0);
}  // ~Loop: uv_loop_close fails if the handle were still open

}  // namespace
}  // namespace uw
