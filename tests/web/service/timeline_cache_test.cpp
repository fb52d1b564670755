// TimelineCache: the k-way merge must be exact or refuse (nullopt), never wrong.
#include "web/service/timeline_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <random>
#include <utility>
#include <vector>

namespace uw::web {
namespace {

using Source = TimelineCache::Source;

std::vector<int64_t> ids_of(const Page<int64_t>& p) { return p.items; }

TEST(TimelineMerge, MergesCompleteListsNewestFirst) {
  std::deque<int64_t> a{9, 5, 2}, b{8, 7, 1}, c{};
  auto p = TimelineCache::merge({{&a, true}, {&b, true}, {&c, true}}, std::nullopt, 10);
  ASSERT_TRUE(p);
  EXPECT_EQ(ids_of(*p), (std::vector<int64_t>{9, 8, 7, 5, 2, 1}));
  EXPECT_FALSE(p->next_before);
}

TEST(TimelineMerge, PagesWithBeforeAndNextCursor) {
  std::deque<int64_t> a{9, 5, 2}, b{8, 7, 1};
  std::vector<Source> s{{&a, true}, {&b, true}};
  auto p1 = TimelineCache::merge(s, std::nullopt, 4);
  ASSERT_TRUE(p1);
  EXPECT_EQ(ids_of(*p1), (std::vector<int64_t>{9, 8, 7, 5}));
  ASSERT_TRUE(p1->next_before);
  EXPECT_EQ(*p1->next_before, 5);
  auto p2 = TimelineCache::merge(s, p1->next_before, 4);
  ASSERT_TRUE(p2);
  EXPECT_EQ(ids_of(*p2), (std::vector<int64_t>{2, 1}));
  EXPECT_FALSE(p2->next_before);
}

TEST(TimelineMerge, ExactPageEndingAtLastItemHasNoNext) {
  std::deque<int64_t> a{3, 2, 1};
  auto p = TimelineCache::merge({{&a, true}}, std::nullopt, 3);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->items.size(), 3u);
  EXPECT_FALSE(p->next_before);
}

TEST(TimelineMerge, RefusesWhenAnIncompleteListCouldHideNewerItems) {
  // b is incomplete below 50: anything under 50 might be missing uweets of b.
  std::deque<int64_t> a{100, 40, 30}, b{60, 50};
  std::vector<Source> s{{&a, true}, {&b, false}};
  auto p = TimelineCache::merge(s, std::nullopt, 3);
  ASSERT_TRUE(p);  // 100, 60, 50 are all >= the floor (50)
  EXPECT_EQ(ids_of(*p), (std::vector<int64_t>{100, 60, 50}));
  EXPECT_TRUE(p->next_before);
  EXPECT_FALSE(TimelineCache::merge(s, std::nullopt, 4));  // 40 is below the floor
  EXPECT_FALSE(TimelineCache::merge(s, 50, 2));
}

TEST(TimelineMerge, FullPageFromIncompleteListHasNext) {
  std::deque<int64_t> a{10, 9};
  auto p = TimelineCache::merge({{&a, false}}, std::nullopt, 2);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->next_before);
  EXPECT_EQ(*p->next_before, 9);
}

TEST(TimelineMerge, EmptyIncompleteListRefuses) {
  std::deque<int64_t> a{}, b{5};
  EXPECT_FALSE(TimelineCache::merge({{&a, false}, {&b, true}}, std::nullopt, 1));
}

TEST(TimelineMerge, LimitIsClampedToOneHundred) {
  std::deque<int64_t> a;
  for (int64_t i = 300; i > 0; --i) a.push_back(i);
  auto p = TimelineCache::merge({{&a, true}}, std::nullopt, 1000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->items.size(), 100u);
  auto q = TimelineCache::merge({{&a, true}}, std::nullopt, 0);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->items.size(), 1u);
}

// Against a brute-force answer over random lists: whenever the merge answers, it
// equals the truth restricted to the full (uncached) lists.
TEST(TimelineMerge, AgreesWithBruteForceWheneverItAnswers) {
  std::mt19937 rng(7);
  int answered = 0;
  for (int round = 0; round < 300; ++round) {
    int n = 1 + static_cast<int>(rng() % 6);
    std::vector<std::vector<int64_t>> full(static_cast<size_t>(n));
    std::vector<int64_t> all;
    int64_t next_id = 1;
    for (int k = 0; k < 60; ++k) {
      auto& l = full[rng() % static_cast<size_t>(n)];
      l.insert(l.begin(), next_id);  // newest first
      all.push_back(next_id++);
    }
    std::vector<std::deque<int64_t>> cached(static_cast<size_t>(n));
    std::vector<Source> src;
    for (int i = 0; i < n; ++i) {
      size_t keep = rng() % (full[static_cast<size_t>(i)].size() + 2);
      keep = std::min(keep, full[static_cast<size_t>(i)].size());
      cached[static_cast<size_t>(i)].assign(full[static_cast<size_t>(i)].begin(),
                                            full[static_cast<size_t>(i)].begin() + static_cast<long>(keep));
      src.push_back({&cached[static_cast<size_t>(i)], keep == full[static_cast<size_t>(i)].size()});
    }
    std::sort(all.rbegin(), all.rend());
    std::optional<int64_t> before;
    if (rng() % 2) before = static_cast<int64_t>(rng() % 70);
    int limit = 1 + static_cast<int>(rng() % 12);
    std::vector<int64_t> truth;
    for (int64_t id : all)
      if (!before || id < *before) truth.push_back(id);
    bool more = truth.size() > static_cast<size_t>(limit);
    if (more) truth.resize(static_cast<size_t>(limit));
    auto p = TimelineCache::merge(src, before, limit);
    if (!p) continue;
    ++answered;
    EXPECT_EQ(p->items, truth) << "round " << round;
    EXPECT_EQ(p->next_before.has_value(), more) << "round " << round;
  }
  EXPECT_GT(answered, 100);
}

User user(int64_t id, const char* name) { return User{id, name, 0}; }
Uweet uw(int64_t id, int64_t author, const char* name) { return Uweet{id, author, name, "t", id}; }

TEST(TimelineCache, HomeMergesViewerAndFolloweesOnly) {
  TimelineCache c(8, 8);
  c.put_user(user(1, "alice"), "");
  c.put_user(user(2, "bob"), "");
  c.put_user(user(3, "carol"), "");
  c.add_uweet(uw(1, 2, "bob"));
  c.add_uweet(uw(2, 3, "carol"));
  c.add_uweet(uw(3, 1, "alice"));
  ASSERT_TRUE(c.add_follow(1, 2));
  auto h = c.home(1, std::nullopt, 10);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->items.size(), 2u);
  EXPECT_EQ(h->items[0].id, 3);
  EXPECT_EQ(h->items[1].id, 1);
  EXPECT_EQ(c.user(2)->followers, 1);
  ASSERT_TRUE(c.remove_follow(1, 2));
  EXPECT_EQ(c.home(1, std::nullopt, 10)->items.size(), 1u);
  EXPECT_EQ(c.user(2)->followers, 0);
}

// Another instance's uweet can commit (and arrive through the change feed)
// after newer ones: it goes to its place, and a change applied twice is one.
TEST(TimelineCache, AUweetOlderThanTheNewestGoesToItsPlaceAndOnlyOnce) {
  TimelineCache c(8, 8);
  c.put_user(user(1, "alice"), "");
  c.put_user(user(2, "bob"), "");
  c.add_uweet(uw(5, 1, "alice"));
  c.add_uweet(uw(7, 2, "bob"));
  EXPECT_TRUE(c.add_uweet(uw(6, 1, "alice")));   // committed late
  EXPECT_TRUE(c.add_uweet(uw(3, 1, "alice")));   // older than the list: complete, so at the end
  EXPECT_FALSE(c.add_uweet(uw(6, 1, "alice")));  // again: nothing changes
  auto a = c.author(1, std::nullopt, 10);
  ASSERT_TRUE(a);
  std::vector<int64_t> ids;
  for (const auto& u : a->items) ids.push_back(u.id);
  EXPECT_EQ(ids, (std::vector<int64_t>{6, 5, 3}));
  EXPECT_EQ(c.user(1)->uweets, 3);
  auto p = c.public_page(std::nullopt, 10);
  ASSERT_TRUE(p);
  ids.clear();
  for (const auto& u : p->items) ids.push_back(u.id);
  EXPECT_EQ(ids, (std::vector<int64_t>{7, 6, 5, 3}));
  EXPECT_EQ(c.max_uweet_id(), 7);
  // Below an incomplete list's oldest id it stays out (the list remains an
  // exact run), but still counts.
  TimelineCache small(2, 2);
  small.put_user(user(1, "alice"), "");
  for (int64_t i = 10; i <= 12; ++i) small.add_uweet(uw(i, 1, "alice"));
  EXPECT_TRUE(small.add_uweet(uw(4, 1, "alice")));
  EXPECT_EQ(small.uweet(4), nullptr);
  EXPECT_EQ(small.user(1)->uweets, 4);
  EXPECT_EQ(small.author(1, std::nullopt, 2)->items[1].id, 11);
  EXPECT_EQ(c.follower_ids(1), std::vector<int64_t>{});
  ASSERT_TRUE(c.add_follow(2, 1));
  EXPECT_EQ(c.follower_ids(1), std::vector<int64_t>{2});
}

TEST(TimelineCache, EvictedUweetsMakeDeepPagesFallBack) {
  TimelineCache c(3, 3);
  c.put_user(user(1, "alice"), "");
  for (int64_t i = 1; i <= 5; ++i) c.add_uweet(uw(i, 1, "alice"));
  EXPECT_EQ(c.uweet_count(), 3u);
  EXPECT_EQ(c.uweet(1), nullptr);
  auto first = c.author(1, std::nullopt, 2);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->items[0].id, 5);
  EXPECT_FALSE(c.author(1, std::nullopt, 4));  // needs ids 2 and 1, no longer cached
  EXPECT_FALSE(c.public_page(3, 2));
  EXPECT_EQ(c.user(1)->uweets, 5);
}

TEST(TimelineCache, RemovedUweetLeavesEveryListAndTheCount) {
  TimelineCache c(3, 3);
  c.put_user(user(1, "alice"), "");
  c.put_user(user(2, "bob"), "");
  ASSERT_TRUE(c.add_follow(2, 1));
  for (int64_t i = 1; i <= 5; ++i) c.add_uweet(uw(i, 1, "alice"));  // 5, 4, 3 cached
  const auto v = c.uweets_version();
  c.remove_uweet(1, 4);
  EXPECT_NE(c.uweets_version(), v);
  EXPECT_EQ(c.uweet(4), nullptr);
  EXPECT_EQ(c.user(1)->uweets, 4);
  auto h = c.home(2, std::nullopt, 2);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->items.size(), 2u);
  EXPECT_EQ(h->items[0].id, 5);
  EXPECT_EQ(h->items[1].id, 3);
  EXPECT_FALSE(c.home(2, std::nullopt, 3));  // 2 and 1 are not cached: still refuses, never wrong
  EXPECT_EQ(c.public_page(std::nullopt, 2)->items[1].id, 3);
  c.remove_uweet(1, 1);  // not cached: only the count changes
  EXPECT_EQ(c.user(1)->uweets, 3);
}

TEST(TimelineCache, RemovedUserTakesUweetsFollowsAndSessionsWithThem) {
  TimelineCache c(8, 8);
  c.put_user(user(1, "alice"), "");
  c.put_user(user(2, "bob"), "");
  c.put_user(user(3, "carol"), "");
  ASSERT_TRUE(c.add_follow(1, 2));  // alice follows bob
  ASSERT_TRUE(c.add_follow(2, 3));  // bob follows carol
  c.add_uweet(uw(1, 2, "bob"));
  c.add_uweet(uw(2, 3, "carol"));
  c.add_uweet(uw(3, 2, "bob"));
  c.put_session("hb1", 2, 100);
  c.put_session("hb2", 2, 100);
  c.put_session("ha", 1, 100);
  const auto users = c.users_version();
  const auto uweets = c.uweets_version();
  c.remove_user(2, {1});
  EXPECT_NE(c.users_version(), users);
  EXPECT_EQ(c.users_removed(), 1u);
  EXPECT_NE(c.uweets_version(), uweets);
  EXPECT_EQ(c.user(2), nullptr);
  EXPECT_EQ(c.user_by_name("bob"), nullptr);
  EXPECT_EQ(c.uweet(1), nullptr);
  EXPECT_EQ(c.uweet(3), nullptr);
  EXPECT_TRUE(c.user(1)->followees.empty());
  EXPECT_EQ(c.user(3)->followers, 0);
  EXPECT_FALSE(c.session("hb1", 1));
  EXPECT_FALSE(c.session("hb2", 1));
  EXPECT_EQ(c.session("ha", 1), std::optional<int64_t>(1));
  auto pub = c.public_page(std::nullopt, 10);
  ASSERT_TRUE(pub);
  ASSERT_EQ(pub->items.size(), 1u);
  EXPECT_EQ(pub->items[0].id, 2);
  auto h = c.home(1, std::nullopt, 10);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->items.empty());
  c.remove_user(2, {1});  // again: nothing to do
  EXPECT_EQ(c.user_count(), 2u);
}

TEST(TimelineCache, NamesAreCaseInsensitive) {
  TimelineCache c;
  c.put_user(user(4, "Bob"), "h");
  ASSERT_NE(c.user_by_name("bob"), nullptr);
  ASSERT_NE(c.user_by_name("BOB"), nullptr);
  EXPECT_EQ(c.user_by_name("bobby"), nullptr);
  EXPECT_EQ(c.user_by_name(""), nullptr);
}

TEST(TimelineCache, ExpiredSessionsAreForgotten) {
  TimelineCache c;
  c.put_session("h1", 7, 100);
  EXPECT_EQ(c.session("h1", 99), std::optional<int64_t>(7));
  EXPECT_FALSE(c.session("h1", 100));
  EXPECT_EQ(c.session_count(), 0u);
  c.put_session("h2", 8, 100);
  c.drop_session("h2");
  EXPECT_FALSE(c.session("h2", 1));
}

// A live reload (ServiceImpl::rewarm) takes a fresh cache's contents: what
// the old one held is gone, and every version grows past both, so a page or
// fragment rendered from the old contents is not taken for current.
TEST(TimelineCacheReplace, TakesTheFreshContentsAndKeepsVersionsGrowing) {
  TimelineCache c;
  c.put_user(user(1, "alice"), "");
  c.put_user(user(2, "bob"), "");
  c.add_uweet(uw(1, 2, "bob"));
  c.put_session("old", 1, 100);
  c.remove_user(2, {});
  const auto users = c.users_version(), uweets = c.uweets_version(), removed = c.users_removed();
  TimelineCache fresh;
  fresh.put_user(user(1, "alice"), "");
  fresh.put_user(user(3, "carol"), "");
  fresh.add_uweet(uw(5, 3, "carol"));
  fresh.put_session("new", 3, 100);
  const auto fresh_users = fresh.users_version(), fresh_uweets = fresh.uweets_version();
  c.replace(std::move(fresh));
  EXPECT_GT(c.users_version(), std::max(users, fresh_users));
  EXPECT_GT(c.uweets_version(), std::max(uweets, fresh_uweets));
  EXPECT_GT(c.users_removed(), removed);
  EXPECT_EQ(c.session("old", 50), std::nullopt);
  EXPECT_EQ(c.session("new", 50), std::optional<int64_t>(3));
  ASSERT_NE(c.user_by_name("carol"), nullptr);
  EXPECT_NE(c.uweet(5), nullptr);
  EXPECT_EQ(c.user_count(), 2u);
}

}  // namespace
}  // namespace uw::web
