// Tests of the account features of the Store: delete_uweet and deletions_after
// (core/store/{sqlite,postgres}/uweets.cpp), set_profile and delete_other_sessions
// (…/store.cpp), delete_user and account_deletions_after (…/accounts.cpp): the
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

TEST_P(StoreContract, DeletedAccountTakesEverythingOfItsOwnWithIt) {
  const int64_t bob = user("bob");
  const int64_t amy = user("amy");
  const int64_t cid = user("cid");
  ASSERT_TRUE(store().follow(amy, bob, 1).ok());  // amy follows bob
  ASSERT_TRUE(store().follow(bob, cid, 1).ok());  // bob follows cid
  ASSERT_TRUE(store().follow(amy, cid, 1).ok());
  const int64_t b1 = post(bob, "tea by bob");
  NewUweet keyed{bob, "tea again @amy", 2, {amy}, std::string("key-b")};
  auto b2 = store().insert_uweet(keyed);
  ASSERT_TRUE(b2.ok()) << b2.error().message;
  NewUweet about{cid, "tea with @bob", 3, {bob}, std::nullopt};
  auto c1 = store().insert_uweet(about);
  ASSERT_TRUE(c1.ok()) << c1.error().message;
  const std::string s1(32, 'a'), s2(32, 'b'), hers(32, 'h');
  ASSERT_TRUE(store().create_session(s1, bob, 2'000'000'000).ok());
  ASSERT_TRUE(store().create_session(s2, bob, 2'000'000'000).ok());
  ASSERT_TRUE(store().create_session(hers, amy, 2'000'000'000).ok());
  index_all();

  auto d = store().delete_user(bob, 1'700'000'100'000, 1'700'086'400);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->user.username, "bob");
  EXPECT_EQ(d->uweet_ids, (std::vector<int64_t>{b1, b2->id}));
  EXPECT_EQ(d->follower_ids, std::vector<int64_t>{amy});
  EXPECT_EQ(d->followee_ids, std::vector<int64_t>{cid});
  EXPECT_GT(d->seq, 0);

  EXPECT_FALSE(store().user_by_id(bob).has_value());
  EXPECT_FALSE(store().user_by_name("BOB").has_value());
  EXPECT_FALSE(store().user_auth("bob").has_value());
  EXPECT_FALSE(store().uweet(b1).has_value());
  EXPECT_FALSE(store().uweet(b2->id).has_value());
  EXPECT_TRUE(store().mentions(b2->id).empty());
  EXPECT_TRUE(store().mentions(c1->id).empty());   // the mention of bob in cid's uweet
  EXPECT_TRUE(store().uweet(c1->id).has_value());  // cid's uweet itself stays
  EXPECT_FALSE(store().session_user(s1, 1).has_value());
  EXPECT_FALSE(store().session_user(s2, 1).has_value());
  EXPECT_EQ(store().session_user(hers, 1), amy);
  EXPECT_FALSE(store().is_following(amy, bob));
  EXPECT_EQ(store().counts(cid).followers, 1);  // amy's follow stays
  EXPECT_EQ(store().counts(amy).following, 1);
  EXPECT_EQ(store().followee_ids(amy), std::vector<int64_t>{cid});
  for (const auto& page :
       {store().public_timeline(std::nullopt, 10), store().home_timeline(amy, std::nullopt, 10),
        store().home_timeline_by_sql(amy, std::nullopt, 10), store().search("tea", std::nullopt, 10)}) {
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0].id, c1->id);
  }
  // Each uweet is in the uweet deletion log too, as a delete of its own.
  auto log = store().deletions_after(0, 10);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].uweet_id, b1);
  EXPECT_EQ(log[1].uweet_id, b2->id);
  EXPECT_EQ(log[1].author_id, bob);
  auto snap = store().warm_snapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->users.size(), 2u);
  EXPECT_EQ(snap->follows.size(), 1u);
  for (const auto& [author, n] : snap->uweet_counts) EXPECT_NE(author, bob);

  auto again = store().delete_user(bob, 1'700'000'200'000, 1'700'086'400);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "no_such_user");
}

TEST_P(StoreContract, DeletedAccountsNameIsReservedUntilItsTimeAndItsIdNeverComesBack) {
  const int64_t amy = user("amy");
  const int64_t bob = user("bob");  // the newest user: its id must not be given again
  const int64_t until = 1'700'086'400;
  ASSERT_TRUE(store().delete_user(bob, 1'700'000'000'000, until).ok());
  for (const char* name : {"bob", "BoB"}) {
    auto r = store().create_user(name, "$argon2id$fake", until - 1);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().status, 409);
    EXPECT_EQ(r.error().code, "username_reserved");
    EXPECT_NE(r.error().message.find("2023-11-15"), std::string::npos) << r.error().message;
  }
  auto other = store().create_user("bobby", "$argon2id$fake", until - 1);
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_GT(other->id, bob);
  auto later = store().create_user("Bob", "$argon2id$fake", until);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_GT(later->id, other->id);
  EXPECT_NE(later->id, amy);
  // A taken name is still "taken", not "reserved".
  EXPECT_EQ(store().create_user("amy", "$argon2id$fake", until).error().code, "username_taken");
}

TEST_P(StoreContract, AccountDeletionsAfterListsTheLogInOrder) {
  const int64_t amy = user("amy");
  const int64_t bob = user("bob");
  const int64_t cid = user("cid");
  ASSERT_TRUE(store().delete_user(cid, 10, 100).ok());
  ASSERT_TRUE(store().delete_user(amy, 11, 101).ok());
  auto all = store().account_deletions_after(0, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].user_id, cid);
  EXPECT_EQ(all[0].username, "cid");
  EXPECT_EQ(all[0].deleted_at, 10);
  EXPECT_EQ(all[0].reserved_until_s, 100);
  EXPECT_EQ(all[1].user_id, amy);
  EXPECT_LT(all[0].seq, all[1].seq);
  auto rest = store().account_deletions_after(all[0].seq, 10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].user_id, amy);
  EXPECT_TRUE(store().user_by_id(bob).has_value());
}

}  // namespace
}  // namespace uw::test
