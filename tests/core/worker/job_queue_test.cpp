// JobQueue: jobs come out whole and in order; stop drains or ends at once; a
// bounded queue refuses what would pass its capacity until the worker releases.
#include "core/worker/job_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace uw {
namespace {

using namespace std::chrono_literals;

TEST(JobQueue, TakeMovesEveryQueuedJobInOrderUpToMax) {
  JobQueue<int> q;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.push(int(i)));
  std::vector<int> got;
  ASSERT_TRUE(q.take(got, 3));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2}));
  ASSERT_TRUE(q.take(got));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));  // appended
}

TEST(JobQueue, DrainStopLetsTheWorkerFinishThenEndsIt) {
  JobQueue<std::string> q;
  ASSERT_TRUE(q.push("a"));
  ASSERT_TRUE(q.push("b"));
  q.stop(Stop::Drain);
  std::string late = "late";
  EXPECT_FALSE(q.push(std::move(late)));
  EXPECT_EQ(late, "late") << "a refused job is left to its caller";
  auto a = q.take_one();
  auto b = q.take_one();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a + *b, "ab");
  EXPECT_FALSE(q.take_one());
  std::vector<std::string> none;
  EXPECT_FALSE(q.take(none));
}

TEST(JobQueue, NowStopEndsTheWorkerAtOnce) {
  JobQueue<int> q;
  ASSERT_TRUE(q.push(1));
  q.stop(Stop::Now);
  std::vector<int> got;
  EXPECT_FALSE(q.take(got));
  EXPECT_FALSE(q.poll(got));
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(q.stopped());
}

TEST(JobQueue, StopWakesAWaitingWorker) {
  JobQueue<int> q;
  std::thread worker([&] {
    std::vector<int> got;
    while (q.take(got)) {
    }
  });
  std::this_thread::sleep_for(20ms);  // let it block in take(); correctness does not depend on it
  q.stop(Stop::Drain);
  worker.join();  // hangs (and the test times out) if stop() did not wake it
}

TEST(JobQueue, CapacityCountsCostUntilReleased) {
  JobQueue<std::string> q(10);
  EXPECT_FALSE(q.push("x", 11));
  EXPECT_TRUE(q.push("y", 6));
  EXPECT_FALSE(q.push("z", 5)) << "6 + 5 > 10";
  std::vector<std::string> got;
  ASSERT_TRUE(q.take(got));
  EXPECT_FALSE(q.push("z", 5)) << "taken is not done: cost stays until release()";
  q.release(6);
  EXPECT_TRUE(q.push("z", 5));
}

TEST(JobQueue, TakeForReturnsEmptyHandedAfterTheTimeout) {
  JobQueue<int> q;
  std::vector<int> got;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(q.take_for(got, 30ms));
  EXPECT_TRUE(got.empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
  EXPECT_TRUE(q.poll(got));
  EXPECT_TRUE(got.empty());
}

TEST(JobQueue, ManyProducersLoseNothing) {
  JobQueue<int> q;
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p)
    producers.emplace_back([&q, p] {
      for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.push(p * 1000 + i));
    });
  long sum = 0;
  size_t n = 0;
  std::thread consumer([&] {
    std::vector<int> got;
    while (q.take(got)) {
      for (int v : got) sum += v;
      n += got.size();
      got.clear();
    }
  });
  for (auto& t : producers) t.join();
  q.stop(Stop::Drain);
  consumer.join();
  EXPECT_EQ(n, 4000u);
  EXPECT_EQ(sum, 3999L * 4000 / 2);
}

}  // namespace
}  // namespace uw
