// core/store/writer.cpp on both backends: group commit (every queued job in
// one transaction, at most max_batch), a failing job rolled back alone,
// completions on the loop only after the COMMIT, in submission order, and
// jobs after stop() failed at once.
#include "core/store/writer.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "core/metrics.hpp"
#include "tests/core/store/store_threads_fixture.hpp"

namespace uw::test {
namespace {

class WriterTest : public StoreThreadsTest {
 protected:
  // A job that holds the writer thread until release() (so what is submitted
  // meanwhile queues up and forms the next batch).
  Writer::Job blocker() {
    return Writer::Job{[this, f = gate_.get_future().share()](Store&) {
                         blocking_ = true;
                         f.wait();
                         return true;
                       },
                       [this](bool) { ++blocker_done_; }};
  }
  // Submits the blocker and waits until the writer thread runs it (its batch
  // is then taken: what comes next queues behind it).
  void block(Writer& w) {
    w.submit(blocker());
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!blocking_ && std::chrono::steady_clock::now() < end) std::this_thread::yield();
    ASSERT_TRUE(blocking_);
  }
  void release() { gate_.set_value(); }
  Writer::Job create(const std::string& name, bool keep, std::vector<std::string>* order) {
    return Writer::Job{[name, keep](Store& s) { return s.create_user(name, "h", 1).ok() && keep; },
                       [this, name, order](bool committed) {
                         EXPECT_EQ(std::this_thread::get_id(), loop_thread_);
                         // After COMMIT: another connection already sees a kept row.
                         EXPECT_EQ(store().user_by_name(name).has_value(), committed) << name;
                         order->push_back(name + (committed ? "+" : "-"));
                       }};
  }
  std::promise<void> gate_;
  std::atomic<bool> blocking_{false};
  int blocker_done_ = 0;
};

TEST_P(WriterTest, QueuedJobsCommitTogetherAndAFailingOneRollsBackAlone) {
  metrics::Registry reg;
  Writer w(open_again(), *mailbox_, &reg);
  std::vector<std::string> order;
  block(w);
  w.submit(create("ann", true, &order));
  w.submit(create("ben", false, &order));  // rolled back to its savepoint
  w.submit(create("cat", true, &order));
  release();
  ASSERT_TRUE(run_until([&] { return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<std::string>{"ann+", "ben-", "cat+"}));  // submission order
  EXPECT_EQ(blocker_done_, 1);
  EXPECT_EQ(w.batches(), 2u);  // the blocker alone, then the three queued behind it
  EXPECT_FALSE(store().user_by_name("ben"));
  EXPECT_NE(reg.render().find("uwitter_writer_batch_size_count 2"), std::string::npos) << reg.render();
  w.stop();
}

TEST_P(WriterTest, ABatchIsAtMostMaxBatchJobs) {
  Writer w(open_again(), *mailbox_, nullptr, /*max_batch=*/2);
  std::vector<std::string> order;
  block(w);
  for (const char* n : {"u1", "u2", "u3", "u4", "u5"}) w.submit(create(n, true, &order));
  release();
  ASSERT_TRUE(run_until([&] { return order.size() == 5; }));
  EXPECT_EQ(w.batches(), 4u);  // 1 + 2 + 2 + 1
  w.stop();
}

TEST_P(WriterTest, CallHandsBackTheResultOrTheErrorAfterTheCommit) {
  Writer w(open_again(), *mailbox_, nullptr);
  std::optional<Result<User>> made, dup;
  w.call<User>([](Store& s) { return s.create_user("dora", "h", 1); }, [&](Result<User> r) { made = r; });
  w.call<User>([](Store& s) { return s.create_user("DORA", "h", 1); }, [&](Result<User> r) { dup = r; });
  ASSERT_TRUE(run_until([&] { return made && dup; }));
  ASSERT_TRUE(made->ok()) << made->error().message;
  EXPECT_EQ((*made)->username, "dora");
  ASSERT_FALSE(dup->ok());  // usernames are unique regardless of case
  EXPECT_EQ(dup->error().status, 409) << dup->error().message;
  EXPECT_EQ(store().user_by_name("dora")->id, (*made)->id);
  w.stop();
}

TEST_P(WriterTest, AfterStopAJobFailsAtOnce) {
  Writer w(open_again(), *mailbox_, nullptr);
  w.stop();
  w.stop();  // idempotent
  std::optional<bool> committed;
  bool ran = false;
  w.submit(Writer::Job{[&](Store&) {
                         ran = true;
                         return true;
                       },
                       [&](bool c) { committed = c; }});
  ASSERT_TRUE(run_until([&] { return committed.has_value(); }));
  EXPECT_FALSE(*committed);
  EXPECT_FALSE(ran);
}

INSTANTIATE_TEST_SUITE_P(Backends, WriterTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace uw::test
