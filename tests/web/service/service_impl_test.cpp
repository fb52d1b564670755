// The writer's group commit and the Service end to end in-process: a real
// SQLite file, a real libuv loop, real Argon2id on the threadpool.
#include "web/service/service_impl.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <thread>

#include "bench/kit/temp_dir.hpp"
#include "core/store/sqlite/store.hpp"
#include "core/store/writer.hpp"
#include "core/worker/loop_mailbox.hpp"
#include "tests/web/service/service_fixture.hpp"

namespace uw::web {
namespace {

using namespace std::chrono_literals;
using namespace test;

TEST(Writer, FailingJobInABatchRollsBackOnlyItself) {
  kit::TempDir dir;
  std::string db = dir.file("w.db");
  auto store = SqliteStore::open(db, {});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store.value()->create_user("alice", "hash", 1));
  Loop l;
  auto mb = std::make_unique<LoopMailbox>(&l.loop);
  Writer w(std::move(store.value()), *mb, nullptr);

  // Job 0 holds the writer until jobs 1-4 are queued, so they share one batch.
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::vector<std::optional<bool>> done(5);
  w.submit({[gate](Store&) {
              gate.wait();
              return true;
            },
            [&](bool c) { done[0] = c; }});
  auto post = [](const char* text) {
    return [text](Store& s) {
      NewUweet u;
      u.author_id = 1;
      u.text = text;
      u.created_at = 1;
      return s.insert_uweet(u).ok();
    };
  };
  uint64_t before = w.batches();
  w.submit({post("one"), [&](bool c) { done[1] = c; }});
  // Writes, then fails: its insert must vanish with it.
  w.submit({[p = post("rolled back")](Store& s) {
              (void)p(s);
              return false;
            },
            [&](bool c) { done[2] = c; }});
  w.submit({[](Store& s) { return s.create_user("alice", "h", 1).ok(); }, [&](bool c) { done[3] = c; }});
  w.submit({post("two"), [&](bool c) { done[4] = c; }});
  release.set_value();
  ASSERT_TRUE(run_until(&l.loop, [&] { return done[4].has_value(); }));
  EXPECT_EQ(done, (std::vector<std::optional<bool>>{true, true, false, false, true}));
  EXPECT_LE(w.batches() - before, 2u) << "jobs 1-4 should have shared one batch";
  EXPECT_EQ(count_rows(db, "uweets"), 2);
  EXPECT_EQ(count_rows(db, "users"), 1);
  w.stop();
  mb->close(nullptr);  // the handle's block is freed in the close callback
  mb.reset();
}

TEST(Writer, TypedCallReturnsTheJobsError) {
  kit::TempDir dir;
  auto store = SqliteStore::open(dir.file("w.db"), {});
  ASSERT_TRUE(store);
  Loop l;
  LoopMailbox* mb = new LoopMailbox(&l.loop);
  {
    Writer w(std::move(store.value()), *mb, nullptr);
    auto ok = await<User>(&l.loop, [&](auto done) {
      w.call<User>([](Store& s) { return s.create_user("bob", "h", 1); }, done);
    });
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->username, "bob");
    auto dup = await<User>(&l.loop, [&](auto done) {
      w.call<User>([](Store& s) { return s.create_user("BOB", "h", 1); }, done);
    });
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().status, 409);
  }
  mb->close([mb] { delete mb; });
}

// A batch that cannot even BEGIN (another connection holds SQLite's write
// lock past the busy timeout) tells each job the store's 503 db_busy with
// Retry-After, not 500 write_failed (issue 13 item 5); once the lock goes,
// the next call commits.
TEST(Writer, ABatchThatCannotBeginAnswersTheStores503WithRetryAfter) {
  kit::TempDir dir;
  const std::string db = dir.file("w.db");
  Store::Options o;
  o.busy_timeout_ms = 200;
  auto store = SqliteStore::open(db, o);
  ASSERT_TRUE(store);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Loop l;
  LoopMailbox* mb = new LoopMailbox(&l.loop);
  {
    Writer w(std::move(store.value()), *mb, nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    auto busy = await<User>(&l.loop, [&](auto done) {
      w.call<User>([](Store& s) { return s.create_user("bob", "h", 1); }, done);
    });
    const auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().status, 503);
    EXPECT_EQ(busy.error().code, "db_busy");
    EXPECT_GT(busy.error().retry_after_s, 0);
    EXPECT_NE(busy.error().message.find("locked"), std::string::npos) << busy.error().message;
    EXPECT_LT(took, 5s) << "bounded by the busy timeout (200 ms here)";
    ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
    auto ok = await<User>(&l.loop, [&](auto done) {
      w.call<User>([](Store& s) { return s.create_user("bob", "h", 1); }, done);
    });
    ASSERT_TRUE(ok) << ok.error().message;
    // A job's own failure is still its own, not the batch's.
    auto dup = await<User>(&l.loop, [&](auto done) {
      w.call<User>([](Store& s) { return s.create_user("BOB", "h", 1); }, done);
    });
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().status, 409);
  }
  sqlite3_close(other);
  mb->close([mb] { delete mb; });
}

// ---- Service ----------------------------------------------------------------

TEST(Service, RegisterLoginPostFollowAndReadHome) {
  Fixture f;
  f.open();
  User alice = f.reg("alice"), bob = f.reg("bob");
  auto dup = await<User>(&f.l.loop, [&](auto d) { f.svc->register_account("ALICE", "password123", "", d); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().status, 409);

  auto lr = f.login("Alice", "password123");
  ASSERT_TRUE(lr) << lr.error().message;
  auto v = f.svc->authenticate(lr->token);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->user_id, alice.id);

  ASSERT_TRUE(f.post(bob, "hello from bob to @alice"));
  ASSERT_TRUE(f.post(alice, "alice here"));
  EXPECT_EQ(f.home(alice).items.size(), 1u);
  auto fol = await<bool>(&f.l.loop, [&](auto d) { f.svc->follow(f.viewer(alice), "bob", d); });
  ASSERT_TRUE(fol);
  EXPECT_TRUE(fol.value());
  auto h = f.home(alice);
  ASSERT_EQ(h.items.size(), 2u);
  EXPECT_EQ(h.items[0].text, "alice here");
  EXPECT_EQ(h.items[1].author, "bob");

  // Events: 2 posts, 1 mention (bob -> alice), 1 follow.
  int posts = 0, mentions = 0, follows = 0;
  for (const auto& e : f.events) {
    if (std::holds_alternative<sign::PostEvent>(e)) ++posts;
    if (auto* m = std::get_if<sign::MentionEvent>(&e)) {
      ++mentions;
      EXPECT_EQ(m->mentioned_id, alice.id);
    }
    if (std::holds_alternative<sign::FollowEvent>(e)) ++follows;
  }
  EXPECT_EQ(posts, 2);
  EXPECT_EQ(mentions, 1);
  EXPECT_EQ(follows, 1);

  auto self = await<bool>(&f.l.loop, [&](auto d) { f.svc->follow(f.viewer(alice), "alice", d); });
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, "self_follow");
  auto nobody = await<bool>(&f.l.loop, [&](auto d) { f.svc->follow(f.viewer(alice), "nobody", d); });
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().status, 404);

  auto out = await<Unit>(&f.l.loop, [&](auto d) { f.svc->logout(lr->token, d); });
  ASSERT_TRUE(out);
  EXPECT_FALSE(f.svc->authenticate(lr->token));
}

TEST(Service, WrongPasswordAndUnknownUserGiveTheSameErrorThenThrottle) {
  Fixture f;
  f.open();
  f.reg("carol");
  auto wrong = f.login("carol", "not-the-password");
  auto unknown = f.login("nobody", "not-the-password", "10.0.0.2");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().status, 401);
  EXPECT_EQ(wrong.error().code, unknown.error().code);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
  ASSERT_FALSE(f.login("carol", "still-wrong"));
  ASSERT_FALSE(f.login("carol", "wrong-again"));
  auto throttled = f.login("carol", "password123");  // even the right one waits now
  ASSERT_FALSE(throttled);
  EXPECT_EQ(throttled.error().status, 429);
  EXPECT_GT(f.svc->retry_after_s("carol", "10.0.0.1"), 0);
  EXPECT_NE(throttled.error().message.find("seconds"), std::string::npos);
}

TEST(Service, IdempotencyKeyAnswersTheFirstUweetAndEmitsOnce) {
  Fixture f;
  f.open();
  User dave = f.reg("dave");
  auto a = f.post(dave, "only once", "key-1");
  auto b = f.post(dave, "only once", "key-1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(f.events.size(), 1u);
  EXPECT_EQ(f.home(dave).items.size(), 1u);
  auto bad = f.post(dave, std::string(142, 'x'));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().status, 422);
}

TEST(Service, RestartKeepsSessionsAndTimelines) {
  Fixture f;
  f.open();
  User gina = f.reg("gina");
  ASSERT_TRUE(f.post(gina, "before restart"));
  auto lr = f.login("gina", "password123");
  ASSERT_TRUE(lr);
  f.close();
  f.open();
  auto v = f.svc->authenticate(lr->token);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->username, "gina");
  auto h = f.home(gina);
  ASSERT_EQ(h.items.size(), 1u);
  EXPECT_EQ(h.items[0].text, "before restart");
}

TEST(Service, DeleteIsGoneFromCachesAndCountsAtOnceAndEmitsWhereTheUweetWent) {
  Fixture f;
  f.open();
  User hal = f.reg("hal"), ivy = f.reg("ivy"), jo = f.reg("jo");
  ASSERT_TRUE(await<bool>(&f.l.loop, [&](auto d) { f.svc->follow(f.viewer(ivy), "hal", d); }));
  auto keep = f.post(hal, "kept");
  auto gone = f.post(hal, "gone soon @jo", "key-9");
  ASSERT_TRUE(keep && gone);
  const auto version = f.svc->public_timeline_version();
  f.events.clear();

  auto other = await<Unit>(&f.l.loop, [&](auto d) { f.svc->delete_uweet(f.viewer(ivy), gone->id, d); });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().status, 403);
  auto unknown =
      await<Unit>(&f.l.loop, [&](auto d) { f.svc->delete_uweet(f.viewer(hal), gone->id + 50, d); });
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().status, 404);
  EXPECT_TRUE(f.events.empty());

  auto del = await<Unit>(&f.l.loop, [&](auto d) { f.svc->delete_uweet(f.viewer(hal), gone->id, d); });
  ASSERT_TRUE(del) << del.error().message;
  EXPECT_NE(f.svc->public_timeline_version(), version);
  for (const User& u : {hal, ivy}) {
    auto h = f.home(u);
    ASSERT_EQ(h.items.size(), 1u) << u.username;
    EXPECT_EQ(h.items[0].id, keep->id);
  }
  auto pub = await<Page<Uweet>>(&f.l.loop, [&](auto d) { f.svc->public_timeline(std::nullopt, 20, d); });
  ASSERT_TRUE(pub);
  ASSERT_EQ(pub->items.size(), 1u);
  auto prof = await<Profile>(&f.l.loop, [&](auto d) { f.svc->profile("hal", std::nullopt, d); });
  ASSERT_TRUE(prof);
  EXPECT_EQ(prof->counts.uweets, 1);
  auto one = await<Uweet>(&f.l.loop, [&](auto d) { f.svc->uweet(gone->id, d); });
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().status, 404);
  auto found = await<Page<Uweet>>(&f.l.loop, [&](auto d) { f.svc->search("gone", std::nullopt, 20, d); });
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->items.empty());

  // One delete for the followers' fan-out, one for the mentioned user.
  ASSERT_EQ(f.events.size(), 2u);
  const auto* fan = std::get_if<sign::DeleteEvent>(&f.events[0]);
  const auto* men = std::get_if<sign::DeleteEvent>(&f.events[1]);
  ASSERT_TRUE(fan && men);
  EXPECT_EQ(fan->uweet_id, gone->id);
  EXPECT_EQ(fan->author_id, hal.id);
  EXPECT_EQ(fan->author, "hal");
  EXPECT_EQ(fan->recipient_id, 0);
  EXPECT_EQ(men->recipient_id, jo.id);

  // The key stays used; the count stays right after a restart.
  auto retry = f.post(hal, "gone soon @jo", "key-9");
  ASSERT_FALSE(retry);
  EXPECT_EQ(retry.error().code, "uweet_deleted");
  f.close();
  f.open();
  auto after = await<Profile>(&f.l.loop, [&](auto d) { f.svc->profile("hal", std::nullopt, d); });
  ASSERT_TRUE(after);
  EXPECT_EQ(after->counts.uweets, 1);
  EXPECT_EQ(f.home(ivy).items.size(), 1u);
}

TEST(Service, ProfileIsValidatedStoredAndShownBesideUweetsAfterARestart) {
  Fixture f;
  f.open();
  User kim = f.reg("kim");
  ASSERT_TRUE(f.post(kim, "hello"));
  auto upd = [&](std::optional<std::string> dn, std::optional<std::string> bio) {
    return await<User>(&f.l.loop, [&](auto d) { f.svc->update_profile(f.viewer(kim), dn, bio, d); });
  };
  auto long_name = upd(std::string(51, 'x'), std::nullopt);
  ASSERT_FALSE(long_name);
  EXPECT_EQ(long_name.error().code, "display_name_too_long");
  EXPECT_TRUE(upd(std::string(50, 'x'), std::nullopt));                             // 50 code points fit
  EXPECT_EQ(upd("\xE2\x80\x8B", std::nullopt).error().code, "blank_display_name");  // U+200B alone
  EXPECT_EQ(upd("a\nb", std::nullopt).error().code, "control_character");
  EXPECT_EQ(upd(std::nullopt, std::string(161, 'y')).error().code, "bio_too_long");
  EXPECT_EQ(upd(std::nullopt, "tab\there").error().code, "control_character");
  auto ok = upd("  Kim \xE2\x98\x95 ", "Line one\r\nline two");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->display_name, "Kim \xE2\x98\x95");
  EXPECT_EQ(ok->bio, "Line one\nline two");
  auto bio_only = upd(std::nullopt, "just the bio");
  ASSERT_TRUE(bio_only);
  EXPECT_EQ(bio_only->display_name, "Kim \xE2\x98\x95");  // absent = unchanged
  auto h = f.home(kim);
  ASSERT_EQ(h.items.size(), 1u);
  EXPECT_EQ(h.items[0].author_display, "Kim \xE2\x98\x95");
  f.close();
  f.open();
  auto prof = await<Profile>(&f.l.loop, [&](auto d) { f.svc->profile("kim", std::nullopt, d); });
  ASSERT_TRUE(prof);
  EXPECT_EQ(prof->user.display_name, "Kim \xE2\x98\x95");
  EXPECT_EQ(prof->user.bio, "just the bio");
  EXPECT_EQ(f.home(kim).items.at(0).author_display, "Kim \xE2\x98\x95");
  auto cleared = upd("", "");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->display_name, "");
  EXPECT_EQ(f.home(kim).items.at(0).author_display, "");
}

}  // namespace
}  // namespace uw::web
