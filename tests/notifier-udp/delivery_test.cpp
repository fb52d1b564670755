// notifier-udp/delivery.cpp on a real loop, with a real fan-out worker over a
// real follow graph: a post reaches every follower's inbox, one notification
// per person per uweet (the mentioned get the mention, a late mention is
// dropped), a repeated follow is not sent again, a small per-turn budget still
// delivers everything, and a fan-out without a database fails cleanly.
#include "notifier-udp/delivery.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include "bench/kit/temp_dir.hpp"
#include "core/http/server.hpp"
#include "core/store/store.hpp"
#include "notifier-udp/event_log.hpp"
#include "notifier-udp/inbox.hpp"
#include "notifier-udp/streams.hpp"
#include "tests/test_loop.hpp"

namespace uw::notifier {
namespace {

constexpr int kFollowers = 5;

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(db_, Store::Options{});
    ASSERT_TRUE(s.ok());
    auto& st = *s.value();
    alice_ = st.create_user("alice", "x", 1).value().id;
    for (int i = 0; i < kFollowers; ++i) {
      const int64_t f = st.create_user("f" + std::to_string(i), "x", 1).value().id;
      ASSERT_TRUE(st.follow(f, alice_, 2).ok());
      followers_.push_back(f);
    }
    ASSERT_TRUE(log_.open(dir_.file("events.log"), LogFormat::Json, LogLevel::Debug));
  }
  void TearDown() override {
    if (!delivery_) return;
    int closed = 0;
    delivery_->close([&] { ++closed; });
    streams_->close([&] { ++closed; });
    server_->shutdown(0, [] {});
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(closed, 2);
    delivery_.reset();
    streams_.reset();
    server_.reset();
  }

  void start(Delivery::Options opts = {}, bool with_db = true) {
    FanoutWorker::Options w;
    w.db_path = with_db ? db_ : "";
    w.chunk = 2;  // several chunks per fan-out
    delivery_ = std::make_unique<Delivery>(&loop_, opts, w, inboxes_, *streams_, log_);
    delivery_->start();
  }

  bool run_until(const std::function<bool()>& cond) { return l_.run_until(cond); }
  bool idle() const { return delivery_->stats().active_jobs == 0; }

  std::shared_ptr<const Note> post(int64_t uweet_id) {
    return make_note(++note_id_, sign::PostView{uweet_id, alice_, 1000, "alice", "hello"}, 0);
  }
  std::shared_ptr<const Note> mention(int64_t uweet_id, int64_t who) {
    return make_note(++note_id_, sign::MentionView{uweet_id, alice_, "alice", who, 1000, "hi @f"}, 0);
  }
  std::shared_ptr<const Note> follow(int64_t follower, int64_t followee) {
    return make_note(++note_id_, sign::FollowView{follower, "f", followee, 1000}, 0);
  }
  std::vector<NoteKind> kinds_of(int64_t user) const {
    std::vector<NoteKind> out;
    for (const auto& e : inboxes_.recent(user, 100)) out.push_back(e.note->kind);
    return out;
  }

  kit::TempDir dir_;
  std::string db_ = dir_.file("uwitter.db");
  int64_t alice_ = 0;
  std::vector<int64_t> followers_;
  uint64_t note_id_ = 0;
  test::TestLoop l_;  // before what uses it; checks at the end that every handle was closed
  uv_loop_t& loop_ = l_.loop;
  std::unique_ptr<http::Server> server_ =
      std::make_unique<http::Server>(&loop_, http::Limits{}, [](http::Request&&, http::Responder) {});
  std::unique_ptr<Streams> streams_ = std::make_unique<Streams>(&loop_, *server_, 60'000, 1024);
  Inboxes inboxes_{100};
  EventLog log_;
  std::unique_ptr<Delivery> delivery_;
};

TEST_F(DeliveryTest, APostReachesEveryFollowersInbox) {
  start();
  delivery_->deliver(post(10));
  ASSERT_TRUE(run_until([&] { return delivery_->stats().fanouts == 1 && idle(); }));
  for (int64_t f : followers_) {
    auto in = inboxes_.recent(f, 10);
    ASSERT_EQ(in.size(), 1u) << f;
    EXPECT_EQ(in[0].note->kind, NoteKind::Uweet);
    EXPECT_EQ(in[0].note->uweet_id, 10);
  }
  EXPECT_TRUE(inboxes_.recent(alice_, 10).empty());  // not the author
  const auto& s = delivery_->stats();
  EXPECT_EQ(s.delivered, static_cast<uint64_t>(kFollowers));
  EXPECT_EQ(s.pending_ids, 0u);
  EXPECT_EQ(s.fanout_errors, 0u);
}

TEST_F(DeliveryTest, AMentionedFollowerGetsTheMentionNotTheUweet) {
  start();
  const int64_t mentioned = followers_[1];
  delivery_->deliver(mention(11, mentioned));  // the same datagram as the post
  delivery_->deliver(post(11));
  ASSERT_TRUE(run_until([&] { return delivery_->stats().fanouts == 1 && idle(); }));
  EXPECT_EQ(kinds_of(mentioned), std::vector<NoteKind>{NoteKind::Mention});
  EXPECT_EQ(kinds_of(followers_[0]), std::vector<NoteKind>{NoteKind::Uweet});
  EXPECT_EQ(delivery_->stats().suppressed_mentioned, 1u);
  EXPECT_EQ(delivery_->stats().delivered, static_cast<uint64_t>(kFollowers));
}

TEST_F(DeliveryTest, AMentionAfterItsUweetArrivedIsDropped) {
  start();
  delivery_->deliver(post(12));
  ASSERT_TRUE(run_until([&] { return delivery_->stats().fanouts == 1 && idle(); }));
  delivery_->deliver(mention(12, followers_[2]));
  ASSERT_TRUE(run_until([&] { return delivery_->stats().suppressed_late_mention == 1 && idle(); }));
  EXPECT_EQ(kinds_of(followers_[2]), std::vector<NoteKind>{NoteKind::Uweet});
  // A mention of someone who does not follow the author is delivered.
  delivery_->deliver(mention(12, alice_ + 100));
  ASSERT_TRUE(run_until([&] { return inboxes_.recent(alice_ + 100, 10).size() == 1 && idle(); }));
}

TEST_F(DeliveryTest, ARepeatedFollowIsNotSentAgain) {
  start();
  delivery_->deliver(follow(followers_[0], alice_));
  ASSERT_TRUE(run_until([&] { return inboxes_.recent(alice_, 10).size() == 1 && idle(); }));
  delivery_->deliver(follow(followers_[0], alice_));  // unfollowed and followed again
  delivery_->deliver(follow(followers_[3], alice_));  // someone else: sent
  ASSERT_TRUE(run_until([&] { return inboxes_.recent(alice_, 10).size() == 2 && idle(); }));
  EXPECT_EQ(delivery_->stats().suppressed_repeat_follow, 1u);
  EXPECT_EQ(kinds_of(alice_), (std::vector<NoteKind>{NoteKind::Follow, NoteKind::Follow}));
}

TEST_F(DeliveryTest, ASmallPerTurnBudgetStillDeliversEverything) {
  Delivery::Options o;
  o.per_turn = 1;
  o.small_job = 0;  // every chunk is "big": round-robin between the two fan-outs
  start(o);
  delivery_->deliver(post(20));
  delivery_->deliver(post(21));
  ASSERT_TRUE(run_until([&] { return delivery_->stats().fanouts == 2 && idle(); }));
  for (int64_t f : followers_) EXPECT_EQ(inboxes_.recent(f, 10).size(), 2u) << f;
  EXPECT_EQ(delivery_->stats().delivered, 2u * kFollowers);
  EXPECT_EQ(delivery_->stats().pending_ids, 0u);
}

TEST_F(DeliveryTest, WithoutADatabaseAPostFailsAndSingleRecipientsStillWork) {
  start({}, /*with_db=*/false);
  delivery_->deliver(post(30));
  ASSERT_TRUE(run_until([&] { return delivery_->stats().fanout_errors == 1 && idle(); }));
  for (int64_t f : followers_) EXPECT_TRUE(inboxes_.recent(f, 10).empty());
  delivery_->deliver(follow(followers_[0], alice_));
  ASSERT_TRUE(run_until([&] { return inboxes_.recent(alice_, 10).size() == 1 && idle(); }));
}

}  // namespace
}  // namespace uw::notifier
