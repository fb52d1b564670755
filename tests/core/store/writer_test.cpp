// core/store/writer.cpp on both backends: group commit (every queued job in
// one transaction, at most max_batch), a failing job rolled back alone,
// completions on the loop only after the COMMIT, in submission order, and
// jobs after stop() failed at once.
#include "core/store/writer.hpp"

#include <algorithm>
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

TEST_P(WriterTest, InsertsOfABatchGoTogetherAndEachFailsAlone) {
  // The inserts queued together reach the store as one insert_uweets call
  // (one pipeline on PostgreSQL), with an ordinary job between them: each
  // answer is its own, and only the good ones commit.
  const int64_t bob = user("bob"), ann = user("ann");
  Writer w(open_again(), *mailbox_, nullptr);
  std::vector<std::optional<Result<Uweet>>> got(7);
  const auto insert = [&](size_t i, NewUweet u) {
    w.insert(std::move(u), [&, i](Result<Uweet> r) { got[i] = r; });
  };
  std::vector<std::string> order;
  block(w);
  insert(0, NewUweet{bob, "first of the batch", 1, {ann}, std::nullopt});
  insert(1, NewUweet{bob + 1000, "nobody wrote this", 2, {}, std::nullopt});  // unknown author
  insert(2, NewUweet{bob, "hi @ghost", 3, {ann, bob + 1000}, std::nullopt});  // unknown mention
  w.submit(create("cat", false, &order));                                     // rolled back alone
  insert(3, NewUweet{bob, "keyed once", 4, {}, "key-1"});
  insert(4, NewUweet{bob, "keyed again", 5, {}, "key-1"});               // the same key: the first uweet back
  insert(5, NewUweet{bob, std::string(142, 'x'), 6, {}, std::nullopt});  // too long
  insert(6, NewUweet{ann, "last of the batch", 7, {}, std::nullopt});
  release();
  ASSERT_TRUE(run_until([&] {
    return order.size() == 1 &&
           std::all_of(got.begin(), got.end(), [](const auto& g) { return g.has_value(); });
  }));
  EXPECT_EQ(w.batches(), 2u);  // the blocker, then everything queued behind it
  EXPECT_EQ(order, (std::vector<std::string>{"cat-"}));
  ASSERT_TRUE(got[0]->ok()) << got[0]->error().message;
  EXPECT_EQ(store().uweet((*got[0])->id)->text, "first of the batch");
  EXPECT_EQ(store().mentions((*got[0])->id), (std::vector<int64_t>{ann}));
  EXPECT_EQ((*got[0])->author, "bob");
  ASSERT_FALSE(got[1]->ok());
  EXPECT_EQ(got[1]->error().code, "no_such_user");
  ASSERT_FALSE(got[2]->ok());
  EXPECT_EQ(got[2]->error().code, "no_such_user");
  EXPECT_NE(got[2]->error().message.find(std::to_string(bob + 1000)), std::string::npos)
      << got[2]->error().message;
  ASSERT_TRUE(got[3]->ok()) << got[3]->error().message;
  ASSERT_TRUE(got[4]->ok()) << got[4]->error().message;
  EXPECT_EQ((*got[4])->id, (*got[3])->id);
  EXPECT_EQ((*got[4])->text, "keyed once");
  ASSERT_FALSE(got[5]->ok());
  EXPECT_EQ(got[5]->error().code, "uweet_too_long");
  ASSERT_TRUE(got[6]->ok()) << got[6]->error().message;
  EXPECT_GT((*got[6])->id, (*got[3])->id);
  EXPECT_EQ(store().counts(bob).uweets, 2);
  EXPECT_EQ(store().counts(ann).uweets, 1);
  EXPECT_TRUE(store().search("ghost", std::nullopt, 10).items.empty());
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
