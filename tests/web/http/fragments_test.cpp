// UweetFragments: reused uweet markup must be exactly what a fresh rendering
// gives, with the age filled in at the time of the page, and stay bounded.
#include "web/http/fragments.hpp"

#include <gtest/gtest.h>

#include "web/http/html.hpp"
#include "web/http/views.hpp"

namespace uw::web::views {
namespace {

Uweet make(int64_t id, std::string author, std::string text, int64_t created_at) {
  Uweet u;
  u.id = id;
  u.author = std::move(author);
  u.text = std::move(text);
  u.created_at = created_at;
  return u;
}

TEST(UweetFragments, ReusedMarkupEqualsAFreshRenderingAtEveryAge) {
  const int64_t t0 = 1'790'000'000'000;
  const Uweet u = make(7, "alice", "<b>hi</b> @bob & friends", t0);
  UweetFragments cache;
  // The same uweet on pages rendered at different times: only the age differs.
  for (int64_t age_ms : {0LL, 90'000LL, 4 * 3'600'000LL, 3 * 86'400'000LL, 40 * 86'400'000LL}) {
    TimelineView t;
    t.items = {u};
    EXPECT_EQ(timeline(t, t0 + age_ms, &cache), timeline(t, t0 + age_ms, nullptr)) << age_ms;
  }
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.hits(), 4u);
  const std::string item = uweet_item(u, t0 + 150'000);
  EXPECT_NE(item.find(">2m</time>"), std::string::npos) << item;
  EXPECT_NE(item.find("&lt;b&gt;hi&lt;/b&gt;"), std::string::npos) << item;
  EXPECT_EQ(item.find("<b>hi"), std::string::npos) << item;
}

TEST(UweetFragments, DropsTheOldestPastItsCapacity) {
  UweetFragments cache(3);
  for (int64_t id = 1; id <= 5; ++id) cache.get(make(id, "a", "text " + std::to_string(id), 0));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.hits(), 0u);
  cache.get(make(5, "a", "text 5", 0));  // still there
  EXPECT_EQ(cache.hits(), 1u);
  cache.get(make(1, "a", "text 1", 0));  // was dropped: rendered again
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_NE(cache.get(make(1, "a", "text 1", 0)).tail.find("text 1"), std::string::npos);
}

TEST(UweetFragments, AUweetThatLeftANameAsTextIsRenderedAgainOnceUsersChange) {
  bool carol_exists = false;
  Mentions m{[&](std::string_view n) { return n == "bob" || (carol_exists && n == "carol"); }, 1};
  UweetFragments cache;
  const Uweet linked = make(1, "alice", "hi @bob", 0), pending = make(2, "alice", "hi @carol", 0);
  EXPECT_NE(cache.get(linked, &m).tail.find("href=\"/u/bob\""), std::string::npos);
  EXPECT_EQ(cache.get(pending, &m).tail.find("href=\"/u/carol\""), std::string::npos);
  const uint64_t hits = cache.hits();
  EXPECT_EQ(cache.get(pending, &m).tail.find("href=\"/u/carol\""), std::string::npos);
  EXPECT_EQ(cache.hits(), hits + 1);  // same users: reused
  carol_exists = true;
  m.version = 2;  // carol signed up
  EXPECT_NE(cache.get(pending, &m).tail.find("href=\"/u/carol\""), std::string::npos);
  EXPECT_EQ(cache.hits(), hits + 1);  // rendered again, not reused
  (void)cache.get(linked, &m);
  EXPECT_EQ(cache.hits(), hits + 2);  // nothing left as text: never rendered again
}

TEST(UweetFragments, AUweetThatLinkedANameIsRenderedAgainOnceAUserIsDeleted) {
  bool bob_exists = true;
  Mentions m{[&](std::string_view n) { return bob_exists && n == "bob"; }, 1};
  UweetFragments cache;
  const Uweet linked = make(1, "alice", "hi @bob", 0), plain = make(2, "alice", "no names here", 0);
  EXPECT_NE(cache.get(linked, &m).tail.find("href=\"/u/bob\""), std::string::npos);
  (void)cache.get(plain, &m);
  const uint64_t hits = cache.hits();
  bob_exists = false;  // bob deleted his account
  m.version = 2;
  m.removed_version = 1;
  EXPECT_EQ(cache.get(linked, &m).tail.find("href=\"/u/bob\""), std::string::npos);
  EXPECT_EQ(cache.hits(), hits);  // rendered again, not reused
  (void)cache.get(plain, &m);
  EXPECT_EQ(cache.hits(), hits + 1);  // no @ in it: reused
}

}  // namespace
}  // namespace uw::web::views
