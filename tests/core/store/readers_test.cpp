// core/store/readers.cpp on both backends: reads run on the pool's threads
// (side by side), see what was committed, and complete on the loop; stop()
// finishes what is queued and drops what comes after; a database that cannot
// be opened is an error.
#include "core/store/readers.hpp"

#include <atomic>
#include <mutex>
#include <set>

#include "tests/core/store/store_threads_fixture.hpp"

namespace uw::test {
namespace {

using ReadersTest = StoreThreadsTest;

TEST_P(ReadersTest, ReadsRunOnReaderThreadsAndCompleteOnTheLoop) {
  const int64_t ann = user("ann");
  post(ann, "hello readers");
  auto readers = Readers::create(target(), 2, *mailbox_);
  ASSERT_TRUE(readers.ok()) << readers.error().message;
  std::optional<Result<std::string>> got;
  std::thread::id ran_on;
  (*readers)->call<std::string>(
      [&](Store& s) -> Result<std::string> {
        ran_on = std::this_thread::get_id();
        auto page = s.user_uweets(ann, std::nullopt, 10);
        if (page.items.empty()) return Error{404, "none", "no uweets"};
        return page.items[0].text;
      },
      [&](Result<std::string> r) {
        EXPECT_EQ(std::this_thread::get_id(), loop_thread_);
        got = std::move(r);
      });
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->error().message;
  EXPECT_EQ(**got, "hello readers");
  EXPECT_NE(ran_on, loop_thread_);
  // An error Result travels back as it is.
  std::optional<Result<int>> err;
  (*readers)->call<int>(
      [](Store&) -> Result<int> {
        return Error{404, "not_found", "gone"};
      },
      [&](Result<int> r) { err = std::move(r); });
  ASSERT_TRUE(run_until([&] { return err.has_value(); }));
  ASSERT_FALSE(err->ok());
  EXPECT_EQ(err->error().code, "not_found");
  (*readers)->stop();
}

TEST_P(ReadersTest, ThePoolReadsSideBySide) {
  user("ann");
  auto readers = Readers::create(target(), 2, *mailbox_);
  ASSERT_TRUE(readers.ok()) << readers.error().message;
  // Each read waits (up to 10 s) until both are running: only two threads
  // taking from one queue can finish both quickly.
  std::atomic<int> running{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  int done = 0;
  bool both_seen = true;
  for (int i = 0; i < 2; ++i) {
    (*readers)->call<bool>(
        [&](Store& s) -> Result<bool> {
          {
            std::lock_guard l(mu);
            threads.insert(std::this_thread::get_id());
          }
          ++running;
          const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
          while (running.load() < 2 && std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return running.load() >= 2 && s.user_by_name("ann").has_value();
        },
        [&](Result<bool> r) {
          both_seen = both_seen && r.ok() && *r;
          ++done;
        });
  }
  ASSERT_TRUE(run_until([&] { return done == 2; }));
  EXPECT_TRUE(both_seen);
  EXPECT_EQ(threads.size(), 2u);
  (*readers)->stop();
}

TEST_P(ReadersTest, StopFinishesQueuedReadsAndDropsLaterOnes) {
  auto readers = Readers::create(target(), 1, *mailbox_);
  ASSERT_TRUE(readers.ok()) << readers.error().message;
  int done = 0;
  for (int i = 0; i < 20; ++i)
    (*readers)->call<int>([i](Store&) -> Result<int> { return i; }, [&](Result<int>) { ++done; });
  (*readers)->stop();  // drains the queue: every completion is posted
  bool ran_after = false;
  (*readers)->call<int>(
      [&](Store&) -> Result<int> {
        ran_after = true;
        return 0;
      },
      [&](Result<int>) { ran_after = true; });
  ASSERT_TRUE(run_until([&] { return done == 20; }));
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_FALSE(ran_after);
}

TEST_P(ReadersTest, ADatabaseThatCannotBeOpenedIsAnError) {
  const std::string bad =
      postgres() ? "postgresql://nobody@127.0.0.1:1/none" : dir_.file("missing/uwitter.db");
  auto readers = Readers::create(bad, 2, *mailbox_);
  EXPECT_FALSE(readers.ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, ReadersTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace uw::test
