// Tests of the account features of the Store: delete_uweet and deletions_after
// (core/store/{sqlite,postgres}/uweets.cpp), set_profile and delete_other_sessions
// (…/store.cpp): the
// contract suite on both backends.
#include <string>

#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

TEST_P(StoreContract, DeletedUweetLeavesEveryListCountAndSearch) {
  const int64_t bob = user("bob");
  const int64_t amy = user("amy");
  ASSERT_TRUE(store().follow(amy, bob, 1).ok());
  const int64_t keep = post(bob, "coffee stays");
  NewUweet nu{bob, "coffee goes @amy", 2, {amy}, std::string("key-1")};
  auto gone = store().insert_uweet(nu);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  index_all();
  ASSERT_EQ(store().search("coffee", std::nullopt, 10).items.size(), 2u);

  auto d = store().delete_uweet(bob, gone->id, 1'700'000'000'500);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->uweet.id, gone->id);
  EXPECT_EQ(d->uweet.text, "coffee goes @amy");
  EXPECT_EQ(d->uweet.author, "bob");
  EXPECT_EQ(d->mentioned_user_ids, std::vector<int64_t>{amy});
  EXPECT_GT(d->seq, 0);

  EXPECT_FALSE(store().uweet(gone->id).has_value());
  EXPECT_TRUE(store().mentions(gone->id).empty());
  EXPECT_EQ(store().counts(bob).uweets, 1);
  for (const auto& page :
       {store().public_timeline(std::nullopt, 10), store().user_uweets(bob, std::nullopt, 10),
        store().home_timeline(amy, std::nullopt, 10), store().home_timeline_by_sql(amy, std::nullopt, 10),
        store().search("coffee", std::nullopt, 10)}) {
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0].id, keep);
  }
  auto snap = store().warm_snapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->uweet_counts.size(), 1u);
  EXPECT_EQ(snap->uweet_counts[0].second, 1);
}

TEST_P(StoreContract, DeleteIsForTheAuthorOnlyAndOnce) {
  const int64_t bob = user("bob");
  const int64_t amy = user("amy");
  const int64_t id = post(bob, "mine");
  auto other = store().delete_uweet(amy, id, 1);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().status, 403);
  EXPECT_EQ(other.error().code, "not_your_uweet");
  EXPECT_TRUE(store().uweet(id).has_value());
  EXPECT_EQ(store().delete_uweet(bob, id + 100, 1).error().status, 404);
  ASSERT_TRUE(store().delete_uweet(bob, id, 1).ok());
  auto again = store().delete_uweet(bob, id, 2);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "no_such_uweet");
}

TEST_P(StoreContract, IdempotencyKeyOfADeletedUweetStaysUsedAndIdsNeverComeBack) {
  const int64_t bob = user("bob");
  NewUweet nu{bob, "once", 1, {}, std::string("k")};
  auto first = store().insert_uweet(nu);
  ASSERT_TRUE(first.ok());
  // The newest uweet is the one deleted: its id must not be handed out again.
  ASSERT_TRUE(store().delete_uweet(bob, first->id, 2).ok());
  auto replay = store().insert_uweet(nu);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().status, 409);
  EXPECT_EQ(replay.error().code, "uweet_deleted");
  EXPECT_EQ(store().counts(bob).uweets, 0);
  const int64_t next = post(bob, "a new one");
  EXPECT_GT(next, first->id);
  // Another author may use the same key.
  const int64_t amy = user("amy");
  NewUweet theirs{amy, "once", 3, {}, std::string("k")};
  EXPECT_TRUE(store().insert_uweet(theirs).ok());
}

TEST_P(StoreContract, DeletionsAfterListsTheLogInOrder) {
  const int64_t bob = user("bob");
  const int64_t a = post(bob, "a");
  const int64_t b = post(bob, "b");
  const int64_t c = post(bob, "c");
  auto da = store().delete_uweet(bob, b, 10);
  auto dc = store().delete_uweet(bob, a, 11);
  ASSERT_TRUE(da.ok() && dc.ok());
  auto all = store().deletions_after(0, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].uweet_id, b);
  EXPECT_EQ(all[0].author_id, bob);
  EXPECT_EQ(all[0].deleted_at, 10);
  EXPECT_EQ(all[1].uweet_id, a);
  EXPECT_LT(all[0].seq, all[1].seq);
  auto rest = store().deletions_after(all[0].seq, 10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].uweet_id, a);
  EXPECT_TRUE(store().uweet(c).has_value());
}

TEST_P(StoreContract, ProfileIsStoredVerbatimAndReadBackEverywhere) {
  const int64_t bob = user("bob");
  EXPECT_EQ(store().user_by_id(bob)->display_name, "");
  const std::string name = "Bob 'the' \"Builder\" ☕";
  const std::string bio = "Line one\nline two <b>not bold</b>; DROP TABLE users;--";
  ASSERT_TRUE(store().set_profile(bob, name, bio).ok());
  for (const auto& u :
       {*store().user_by_id(bob), *store().user_by_name("BOB"), store().users_after(0, 10).at(0)}) {
    EXPECT_EQ(u.display_name, name);
    EXPECT_EQ(u.bio, bio);
  }
  auto snap = store().warm_snapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->users.at(0).user.display_name, name);
  EXPECT_EQ(snap->users.at(0).user.bio, bio);
  EXPECT_EQ(snap->users.at(0).password_hash, "$argon2id$fake");
  ASSERT_TRUE(store().set_profile(bob, "", "").ok());
  EXPECT_EQ(store().user_by_id(bob)->bio, "");
  EXPECT_EQ(store().set_profile(bob + 100, "x", "y").error().code, "no_such_user");
}

TEST_P(StoreContract, DeleteOtherSessionsKeepsOnlyTheOneNamed) {
  const int64_t bob = user("bob");
  const int64_t amy = user("amy");
  const std::string keep(32, 'k'), other(32, 'o'), hers(32, 'h');
  for (const auto& [h, who] : {std::pair{keep, bob}, {other, bob}, {hers, amy}})
    ASSERT_TRUE(store().create_session(h, who, 2'000'000'000).ok());
  auto n = store().delete_other_sessions(bob, keep);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n.value(), 1);
  EXPECT_EQ(store().session_user(keep, 1), bob);
  EXPECT_FALSE(store().session_user(other, 1).has_value());
  EXPECT_EQ(store().session_user(hers, 1), amy);
  EXPECT_EQ(store().delete_other_sessions(bob, "").value(), 1);
  EXPECT_FALSE(store().session_user(keep, 1).has_value());
}

}  // namespace
}  // namespace uw::test
