// Tests of the stored notification history of the Store: follow() storing
// "followed you", notifications(), the read marker and the unread count
// (core/store/{sqlite,postgres}/notifications.cpp, follows): the contract
// suite on both backends.
#include <string>
#include <vector>

#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

constexpr int64_t kT = 1'700'000'000;  // unix seconds: follows happen here, uweets after

std::string kinds(const NotificationPage& p) {
  std::string out;
  for (const auto& n : p.items) {
    if (!out.empty()) out += ' ';
    out += n.kind == NotificationKind::follow    ? "follow"
           : n.kind == NotificationKind::mention ? "mention"
                                                 : "uweet";
    out += ':' + n.actor;
  }
  return out;
}

int64_t post_at(Store& s, int64_t author, const std::string& text, std::vector<int64_t> mentioned,
                int64_t at_ms = (kT + 10) * 1000) {
  NewUweet u{author, text, at_ms, std::move(mentioned), std::nullopt};
  auto r = s.insert_uweet(u);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r->id : 0;
}

TEST_P(StoreContract, NotificationHistoryMergesFollowsMentionsAndFolloweeUweetsNewestFirst) {
  const int64_t amy = user("amy");
  const int64_t bob = user("bob");
  const int64_t cid = user("cid");
  ASSERT_TRUE(store().follow(amy, bob, kT).ok());  // amy follows bob: bob hears of it
  const int64_t b1 = post_at(store(), bob, "hi all", {});
  const int64_t c1 = post_at(store(), cid, "hey @amy", {amy});
  const int64_t b2 = post_at(store(), bob, "@amy yo", {amy});  // followee and mention: one mention
  ASSERT_TRUE(store().follow(cid, amy, kT + 20).ok());
  post_at(store(), amy, "me @amy", {amy});  // her own uweet is nobody's notification to her
  post_at(store(), cid, "not for amy", {});

  auto page = store().notifications(amy, std::nullopt, 20);
  EXPECT_EQ(kinds(page), "follow:cid mention:bob mention:cid uweet:bob");
  EXPECT_FALSE(page.next_before.has_value());
  ASSERT_EQ(page.items.size(), 4u);
  ASSERT_TRUE(page.items[1].uweet.has_value());
  EXPECT_EQ(page.items[1].uweet->id, b2);
  EXPECT_EQ(page.items[1].uweet->text, "@amy yo");
  EXPECT_EQ(page.items[2].uweet->id, c1);
  EXPECT_EQ(page.items[3].uweet->id, b1);
  EXPECT_EQ(page.items[0].actor_id, cid);
  EXPECT_EQ(page.items[0].created_at, (kT + 20) * 1000);
  EXPECT_FALSE(page.items[0].uweet.has_value());
  EXPECT_EQ(kinds(store().notifications(bob, std::nullopt, 20)), "follow:amy");

  // One at a time, each cursor giving the next: the same list, nothing twice.
  std::vector<NotificationKey> seen;
  std::optional<NotificationKey> before;
  for (int i = 0; i < 10; ++i) {
    auto p = store().notifications(amy, before, 1);
    for (const auto& n : p.items) seen.push_back(n.key);
    if (!p.next_before) break;
    before = p.next_before;
  }
  ASSERT_EQ(seen.size(), page.items.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], page.items[i].key) << i;
  // A cursor stays put when newer entries arrive.
  auto first = store().notifications(amy, std::nullopt, 2);
  ASSERT_TRUE(first.next_before.has_value());
  post_at(store(), bob, "later", {});
  auto rest = store().notifications(amy, first.next_before, 10);
  EXPECT_EQ(kinds(rest), "mention:cid uweet:bob");
}

TEST_P(StoreContract, FolloweeUweetsCountOnlyFromTheFollowOn) {
  const int64_t amy = user("amy");
  const int64_t bob = user("bob");
  post_at(store(), bob, "before the follow", {}, (kT - 100) * 1000);
  ASSERT_TRUE(store().follow(amy, bob, kT).ok());
  post_at(store(), bob, "after the follow", {}, (kT + 1) * 1000);
  auto page = store().notifications(amy, std::nullopt, 10);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].uweet->text, "after the follow");
}

TEST_P(StoreContract, FollowedYouIsStoredOncePerPairWithinTheRepeatTime) {
  const int64_t amy = user("amy");
  const int64_t bob = user("bob");
  ASSERT_TRUE(store().follow(amy, bob, kT).ok());
  ASSERT_TRUE(store().unfollow(amy, bob).ok());
  auto again = store().follow(amy, bob, kT + 10);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);  // the follow itself is new
  EXPECT_EQ(kinds(store().notifications(bob, std::nullopt, 10)), "follow:amy");
  auto same = store().follow(amy, bob, kT + 20);  // already following: nothing new
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
  ASSERT_TRUE(store().unfollow(amy, bob).ok());
  ASSERT_TRUE(store().follow(amy, bob, kT + kFollowNotificationRepeatS + 1).ok());
  EXPECT_EQ(kinds(store().notifications(bob, std::nullopt, 10)), "follow:amy follow:amy");
}

TEST_P(StoreContract, DeletedUweetsAndAccountsLeaveTheHistory) {
  const int64_t amy = user("amy");
  const int64_t bob = user("bob");
  const int64_t cid = user("cid");
  ASSERT_TRUE(store().follow(amy, bob, kT).ok());
  ASSERT_TRUE(store().follow(bob, amy, kT).ok());
  ASSERT_TRUE(store().follow(cid, amy, kT).ok());
  const int64_t b1 = post_at(store(), bob, "gone soon @amy", {amy});
  post_at(store(), cid, "hello @amy", {amy});
  ASSERT_TRUE(store().delete_uweet(bob, b1, (kT + 30) * 1000).ok());
  EXPECT_EQ(kinds(store().notifications(amy, std::nullopt, 10)), "mention:cid follow:cid follow:bob");
  ASSERT_TRUE(store().mark_notifications_read(bob, NotificationKey{1 << 30, 0}).ok());

  ASSERT_TRUE(store().delete_user(cid, (kT + 40) * 1000, kT + 86'400).ok());  // cid as actor
  EXPECT_EQ(kinds(store().notifications(amy, std::nullopt, 10)), "follow:bob");
  ASSERT_TRUE(store().delete_user(bob, (kT + 50) * 1000, kT + 86'400).ok());  // bob as actor and recipient
  EXPECT_TRUE(store().notifications(amy, std::nullopt, 10).items.empty());
  EXPECT_EQ(query1("SELECT count(*) FROM follow_notifications"), "0");
  EXPECT_EQ(query1("SELECT count(*) FROM notification_reads"), "0");
}

TEST_P(StoreContract, ReadMarkerMovesOnlyForwardAndNeverPastTheNewest) {
  const int64_t amy = user("amy");
  const int64_t bob = user("bob");
  const int64_t cid = user("cid");
  ASSERT_TRUE(store().follow(amy, bob, kT).ok());
  EXPECT_EQ(store().unread_notifications(amy), 0);
  EXPECT_EQ(store().notifications_read_upto(amy), NotificationKey{});
  post_at(store(), bob, "one", {});
  post_at(store(), bob, "two", {});
  ASSERT_TRUE(store().follow(cid, amy, kT + 5).ok());
  EXPECT_EQ(store().unread_notifications(amy), 3);

  auto page = store().notifications(amy, std::nullopt, 10);
  ASSERT_EQ(page.items.size(), 3u);
  auto m = store().mark_notifications_read(amy, page.items[1].key);  // "two" and older
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(*m, page.items[1].key);
  EXPECT_EQ(store().unread_notifications(amy), 1);
  auto back = store().mark_notifications_read(amy, page.items[2].key);  // never backwards
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, page.items[1].key);
  EXPECT_EQ(store().unread_notifications(amy), 1);
  auto far = store().mark_notifications_read(amy, NotificationKey{int64_t{1} << 40, 7});  // clamped
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(*far, page.items[0].key);
  EXPECT_EQ(store().unread_notifications(amy), 0);
  post_at(store(), bob, "three", {});  // a new one after the clamp is unread
  EXPECT_EQ(store().unread_notifications(amy), 1);

  auto nobody = store().mark_notifications_read(999'999, NotificationKey{1, 0});
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().code, "no_such_user");

  // In the database: a store opened afresh (a restart) sees the same.
  auto again = Store::open(target(), {});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)->unread_notifications(amy), 1);
  EXPECT_EQ((*again)->notifications(amy, std::nullopt, 10).items.size(), 4u);
}

}  // namespace
}  // namespace uw::test
