// Tests of the store's lists (store_uweets.cpp, store_follows.cpp): follows,
// counts, timelines, search, keyset pagination walks, and the query plans
// that keep them on indexes.
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "core/store/sqlite/sql.hpp"
#include "core/store/sqlite/store.hpp"
#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

// Walks a newest-first list page by page and checks that every item is seen
// exactly once, in strictly descending key order, and that the last page has
// no cursor. Returns the keys seen.
template <class T>
std::vector<int64_t> walk(const std::function<Page<T>(std::optional<int64_t>)>& page_at,
                          const std::function<int64_t(const T&)>& key, int limit) {
  std::vector<int64_t> seen;
  std::optional<int64_t> before;
  for (int pages = 0; pages < 10000; ++pages) {
    Page<T> p = page_at(before);
    EXPECT_LE(p.items.size(), static_cast<size_t>(limit));
    for (const auto& item : p.items) {
      if (!seen.empty()) {
        EXPECT_LT(key(item), seen.back());
      }
      seen.push_back(key(item));
    }
    if (!p.next_before) break;
    EXPECT_EQ(p.items.size(), static_cast<size_t>(limit)) << "only a full page may have a cursor";
    before = p.next_before;
  }
  return seen;
}

std::vector<int64_t> newest_first(std::vector<int64_t> v) {
  std::sort(v.rbegin(), v.rend());
  return v;
}

int64_t uweet_id(const Uweet& u) { return u.id; }

// Like walk, for user pages (keyed on the follow row, which User does not
// carry): returns user ids in list order; a user may appear only once.
std::vector<int64_t> walk_users(const std::function<Page<User>(std::optional<int64_t>)>& page_at, int limit) {
  std::vector<int64_t> seen;
  std::set<int64_t> unique;
  std::optional<int64_t> before;
  for (int pages = 0; pages < 10000; ++pages) {
    Page<User> p = page_at(before);
    EXPECT_LE(p.items.size(), static_cast<size_t>(limit));
    for (const auto& u : p.items) {
      EXPECT_TRUE(unique.insert(u.id).second) << "user " << u.id << " twice";
      seen.push_back(u.id);
    }
    if (!p.next_before) break;
    EXPECT_EQ(p.items.size(), static_cast<size_t>(limit));
    if (before) {
      EXPECT_LT(*p.next_before, *before);
    }
    before = p.next_before;
  }
  return seen;
}

class StoreListsTest : public StoreContract {
 protected:
  // bob follows alice and carol; dave posts too but is not followed.
  void SetUp() override {
    StoreContract::SetUp();
    if (HasFatalFailure()) return;
    bob = user("bob"), alice = user("alice"), carol = user("carol"), dave = user("dave");
    ASSERT_TRUE(store().follow(bob, alice, 1).ok());
    ASSERT_TRUE(store().follow(bob, carol, 1).ok());
    const int64_t authors[] = {bob, alice, carol, dave};
    for (int i = 0; i < 40; ++i) {
      const int64_t a = authors[(i * 7) % 4];
      const int64_t id = post(a, "post number " + std::to_string(i) + (i % 3 == 0 ? " fizz" : ""));
      all.push_back(id);
      by_author[a].push_back(id);
      if (a != dave) home.push_back(id);
      if (i % 3 == 0) fizz.push_back(id);
    }
  }
  int64_t bob = 0, alice = 0, carol = 0, dave = 0;
  std::vector<int64_t> all, home, fizz;
  std::map<int64_t, std::vector<int64_t>> by_author;
};

TEST_P(StoreListsTest, PublicTimelineWalkVisitsEveryUweetOnce) {
  for (int limit : {1, 3, 7, 10, 40, 41, 100}) {
    auto seen = walk<Uweet>([&](auto b) { return store().public_timeline(b, limit); }, uweet_id, limit);
    EXPECT_EQ(seen, newest_first(all)) << "limit " << limit;
  }
}

TEST_P(StoreListsTest, UserUweetsWalkVisitsEveryUweetOfThatAuthorOnce) {
  for (int64_t a : {bob, alice, carol, dave}) {
    for (int limit : {1, 4, 10, 50}) {
      auto seen = walk<Uweet>([&](auto b) { return store().user_uweets(a, b, limit); }, uweet_id, limit);
      EXPECT_EQ(seen, newest_first(by_author[a])) << "author " << a << " limit " << limit;
    }
  }
  EXPECT_TRUE(store().user_uweets(9999, std::nullopt, 10).items.empty());
}

TEST_P(StoreListsTest, HomeTimelineHasOwnAndFolloweesUweetsOnly) {
  for (int limit : {1, 5, 30, 31}) {
    auto seen = walk<Uweet>([&](auto b) { return store().home_timeline(bob, b, limit); }, uweet_id, limit);
    EXPECT_EQ(seen, newest_first(home)) << "limit " << limit;
  }
  // Someone who follows nobody sees their own uweets.
  auto own = walk<Uweet>([&](auto b) { return store().home_timeline(dave, b, 8); }, uweet_id, 8);
  EXPECT_EQ(own, newest_first(by_author[dave]));
  // Unfollowing takes carol's uweets out.
  ASSERT_TRUE(store().unfollow(bob, carol).ok());
  auto after = walk<Uweet>([&](auto b) { return store().home_timeline(bob, b, 9); }, uweet_id, 9);
  std::vector<int64_t> expected = by_author[bob];
  expected.insert(expected.end(), by_author[alice].begin(), by_author[alice].end());
  EXPECT_EQ(after, newest_first(expected));
}

// The merge must give exactly the pages of the single SQL statement, on a
// random graph where authors post at very different rates.
TEST_P(StoreContract, HomeTimelineMergeMatchesTheSqlStatementPageForPage) {
  std::mt19937 rng(42);
  std::vector<int64_t> users;
  for (int i = 0; i < 30; ++i) users.push_back(user("u" + std::to_string(i)));
  for (int64_t a : users) {
    for (int64_t b : users) {
      if (a != b && rng() % 4 == 0) {
        ASSERT_TRUE(store().follow(a, b, 1).ok());
      }
    }
  }
  ASSERT_TRUE(store().begin().ok());
  for (int i = 0; i < 1500; ++i) {
    // Skewed: low-numbered users post far more often.
    const size_t who = std::min<size_t>(rng() % 30, rng() % 30);
    post(users[who], "p" + std::to_string(i));
  }
  ASSERT_TRUE(store().commit().ok());
  for (int64_t u : users) {
    for (int limit : {1, 7, 50}) {
      std::optional<int64_t> before;
      int pages = 0;
      do {
        const auto merged = store().home_timeline(u, before, limit);
        const auto sql = store().home_timeline_by_sql(u, before, limit);
        std::vector<int64_t> a, b;
        for (const auto& x : merged.items) a.push_back(x.id);
        for (const auto& x : sql.items) b.push_back(x.id);
        ASSERT_EQ(a, b) << "user " << u << " limit " << limit << " page " << pages;
        ASSERT_EQ(merged.next_before, sql.next_before);
        before = merged.next_before;
      } while (before && ++pages < (limit == 1 ? 20 : 1000));  // limit 1: the first pages suffice
    }
  }
}

TEST_P(StoreListsTest, SearchWalkFindsEveryMatchOnce) {
  index_all();
  for (int limit : {1, 4, 14, 100}) {
    auto seen = walk<Uweet>([&](auto b) { return store().search("FIZZ", b, limit); }, uweet_id, limit);
    EXPECT_EQ(seen, newest_first(fizz)) << "limit " << limit;
  }
  EXPECT_EQ(store().search("post fizz", std::nullopt, 100).items.size(), fizz.size());  // implicit AND
  EXPECT_EQ(store().search("number 7", std::nullopt, 100).items.size(), 1u);
}

TEST_P(StoreListsTest, PagesNeverExceedTheLimitAndEmptyLimitsGiveEmptyPages) {
  EXPECT_TRUE(store().public_timeline(std::nullopt, 0).items.empty());
  EXPECT_TRUE(store().public_timeline(std::nullopt, -5).items.empty());
  EXPECT_FALSE(store().public_timeline(std::nullopt, 0).next_before.has_value());
  auto before_first = store().public_timeline(all.front(), 10);
  EXPECT_TRUE(before_first.items.empty());
  EXPECT_FALSE(before_first.next_before.has_value());
  auto exact = store().public_timeline(std::nullopt, static_cast<int>(all.size()));
  EXPECT_EQ(exact.items.size(), all.size());
  EXPECT_FALSE(exact.next_before.has_value());  // no empty trailing page
}

// ---- search with user text ----------------------------------------------------

TEST_P(StoreContract, SearchTreatsFtsSyntaxAsPlainText) {
  const int64_t bob = user("bob");
  const int64_t tricky =
      post(bob, "C++ is NEAR me: \"quoted\" -minus col:on *star (paren) a AND b OR c NOT d ^caret");
  const int64_t other = post(bob, "something else entirely");
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"NEAR", 1},
      {"near", 1},
      {"\"quoted\"", 1},
      {"-minus", 1},
      {"col:on", 1},
      {"*star", 1},
      {"(paren)", 1},
      {"AND", 1},
      {"OR", 1},
      {"NOT", 1},
      {"^caret", 1},
      {"C++", 1},
      {"me:", 1},
      // FTS5 reads "NEAR(quoted" as the phrase "near quoted"; PostgreSQL ANDs the words.
      {"NEAR(quoted minus)", postgres() ? 1 : 0},
      {"quoted NEAR minus", 1},
      {"absent", 0},
  };
  index_all();
  for (const auto& [q, n] : cases) {
    auto page = store().search(q, std::nullopt, 10);
    EXPECT_EQ(page.items.size(), n) << q;
    if (n == 1) {
      EXPECT_EQ(page.items[0].id, tricky) << q;
    }
  }
  auto page = store().search("entirely else", std::nullopt, 10);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, other);
}

// Text that looks like markup is text: PostgreSQL's parser would take
// "<script>...</script>" for a tag and drop the words inside (schema step 2).
TEST_P(StoreContract, SearchFindsWordsInTextThatLooksLikeMarkup) {
  const int64_t bob = user("bob");
  const int64_t id = post(bob, "<script>alert('x')</script> & <b>bold</b> &amp;entity <style>styled</style>");
  index_all();
  for (const std::string q : {"alert", "bold", "entity", "styled", "<script>alert", "<b>bold</b>"}) {
    auto page = store().search(q, std::nullopt, 10);
    ASSERT_EQ(page.items.size(), 1u) << q;
    EXPECT_EQ(page.items[0].id, id) << q;
  }
}

TEST_P(StoreContract, SearchNeverProducesAnFtsSyntaxError) {
  const int64_t bob = user("bob");
  post(bob, "some text");
  // None of these may fail; those containing the word "text" find the uweet.
  const std::vector<std::string> nasty = {
      "\"",
      "\"\"",
      "\"\"\"",
      "'",
      "*",
      "-",
      ":",
      "^",
      "(",
      ")",
      "()",
      "NEAR",
      "NEAR(",
      "NEAR(a b, 3)",
      "AND",
      "OR",
      "NOT",
      "a AND",
      "OR b",
      "NOT NOT",
      "text:",
      ":text",
      "{text}",
      "text*",
      "* *",
      "+",
      "a\"b",
      "\"unterminated",
      "col : x",
      "'; DROP TABLE uweets; --",
      "\\",
      "%",
      "_",
      "\xC2\xA0",
      std::string("nul\0byte", 8),
      "\t\n\r",
      "\xE2\x80\x83",
      "x\x7fy",
      std::string(10 * 1024, 'a'),  // 10 KB, one word
      [] {                          // 10 KB of words, one of them "text"
        std::string s;
        while (s.size() < 10 * 1024) s += "text & | ! <-> ( ";
        return s;
      }(),
  };
  index_all();
  for (const auto& q : nasty) {
    // The exact MATCH expression the store runs must prepare and step cleanly.
    const std::string match = fts_query(q);
    if (!postgres() && !match.empty()) {
      sqlite3* db = static_cast<SqliteStore&>(store()).raw();
      sqlite3_stmt* s = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM search.uweets_fts WHERE uweets_fts MATCH ?1", -1,
                                   &s, nullptr),
                SQLITE_OK);
      sqlite3_bind_text(s, 1, match.data(), static_cast<int>(match.size()), SQLITE_TRANSIENT);
      EXPECT_EQ(sqlite3_step(s), SQLITE_ROW)
          << "query " << q << " -> " << match << ": " << sqlite3_errmsg(db);
      sqlite3_finalize(s);
    }
    const bool has_word = q.find("text") != std::string::npos;
    EXPECT_EQ(store().search(q, std::nullopt, 10).items.size(), has_word ? 1u : 0u) << q;
  }
  EXPECT_EQ(store().search("text", std::nullopt, 10).items.size(), 1u);
}

TEST(FtsQuery, QuotesEveryTokenAndDoublesQuotes) {
  EXPECT_EQ(fts_query(""), "");
  EXPECT_EQ(fts_query("   \t\n"), "");
  EXPECT_EQ(fts_query("hello"), "\"hello\"");
  EXPECT_EQ(fts_query("  hello   world "), "\"hello\" \"world\"");
  EXPECT_EQ(fts_query("say \"hi\""), "\"say\" \"\"\"hi\"\"\"");
  EXPECT_EQ(fts_query("NEAR(a b)"), "\"NEAR(a\" \"b)\"");
}

TEST_P(StoreContract, EmptyOrInvalidSearchIsAnEmptyPage) {
  post(user("bob"), "anything");
  index_all();
  for (const char* q : {"", "   ", "\n", "\xff", "ab\xc3"}) {
    auto page = store().search(q, std::nullopt, 10);
    EXPECT_TRUE(page.items.empty()) << q;
    EXPECT_FALSE(page.next_before.has_value());
  }
}

TEST_P(StoreContract, SearchIgnoresCaseAndDiacritics) {
  const int64_t id = post(user("bob"), "Café CRÈME brûlée");
  index_all();
  // SQLite's unicode61 tokenizer also folds diacritics; PostgreSQL's 'simple'
  // configuration folds case only (docs/STORAGE.md "PostgreSQL").
  const std::vector<const char*> sqlite_queries = {"cafe", "CAFÉ", "creme", "Brulee"};
  const std::vector<const char*> pg_queries = {"café", "CAFÉ", "crème", "BRÛLÉE"};
  for (const char* q : postgres() ? pg_queries : sqlite_queries) {
    auto page = store().search(q, std::nullopt, 10);
    ASSERT_EQ(page.items.size(), 1u) << q;
    EXPECT_EQ(page.items[0].id, id);
  }
}

// ---- follows --------------------------------------------------------------------

TEST_P(StoreContract, FollowIsIdempotentAndCounted) {
  const int64_t bob = user("bob"), alice = user("alice");
  post(alice, "one");
  post(alice, "two");
  auto first = store().follow(bob, alice, 5);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto second = store().follow(bob, alice, 6);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_TRUE(store().is_following(bob, alice));
  EXPECT_FALSE(store().is_following(alice, bob));
  const Counts a = store().counts(alice), b = store().counts(bob);
  EXPECT_EQ(a.uweets, 2);
  EXPECT_EQ(a.followers, 1);
  EXPECT_EQ(a.following, 0);
  EXPECT_EQ(b.uweets, 0);
  EXPECT_EQ(b.followers, 0);
  EXPECT_EQ(b.following, 1);

  auto un = store().unfollow(bob, alice);
  ASSERT_TRUE(un.ok());
  EXPECT_TRUE(*un);
  auto un2 = store().unfollow(bob, alice);
  ASSERT_TRUE(un2.ok());
  EXPECT_FALSE(*un2);
  EXPECT_FALSE(store().is_following(bob, alice));
  EXPECT_EQ(store().counts(alice).followers, 0);
}

TEST_P(StoreContract, SelfFollowIs422AndUnknownUserIs404) {
  const int64_t bob = user("bob");
  for (auto r : {store().follow(bob, bob, 1), store().unfollow(bob, bob)}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().status, 422);
    EXPECT_EQ(r.error().code, "self_follow");
  }
  for (auto r : {store().follow(bob, 777, 1), store().follow(777, bob, 1), store().unfollow(bob, 777)}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().status, 404);
    EXPECT_EQ(r.error().code, "no_such_user");
  }
  EXPECT_EQ(store().counts(bob).following, 0);
}

TEST_P(StoreContract, FollowerAndFollowingPagesWalkEveryoneOnceKeyedOnFollowRow) {
  const int64_t star = user("star");
  std::vector<int64_t> fans;
  for (int i = 0; i < 23; ++i) {
    const int64_t fan = user("fan" + std::to_string(i));
    fans.push_back(fan);
    ASSERT_TRUE(store().follow(fan, star, i).ok());
    ASSERT_TRUE(store().follow(star, fan, i).ok());
  }
  // Unfollow and re-follow: the re-follow is now the newest row.
  ASSERT_TRUE(store().unfollow(fans[0], star).ok());
  ASSERT_TRUE(store().follow(fans[0], star, 99).ok());
  std::vector<int64_t> expected(fans.rbegin(), fans.rend() - 1);
  expected.insert(expected.begin(), fans[0]);
  for (int limit : {1, 5, 23, 24}) {
    EXPECT_EQ(walk_users([&](auto b) { return store().followers(star, b, limit); }, limit), expected)
        << "limit " << limit;
    EXPECT_EQ(walk_users([&](auto b) { return store().following(star, b, limit); }, limit),
              std::vector<int64_t>(fans.rbegin(), fans.rend()))
        << "limit " << limit;
  }
  EXPECT_EQ(store().counts(star).followers, 23);
  EXPECT_EQ(store().counts(star).following, 23);
}

TEST_P(StoreContract, FollowerIdsComeInAscendingChunksAndFolloweeIdsAll) {
  const int64_t star = user("star");
  std::vector<int64_t> fans;
  for (int i = 0; i < 10; ++i) fans.push_back(user("f" + std::to_string(i)));
  for (auto it = fans.rbegin(); it != fans.rend(); ++it) ASSERT_TRUE(store().follow(*it, star, 1).ok());
  std::vector<int64_t> seen;
  int64_t after = 0;
  for (;;) {
    auto chunk = store().follower_ids(star, after, 4);
    if (chunk.empty()) break;
    EXPECT_LE(chunk.size(), 4u);
    seen.insert(seen.end(), chunk.begin(), chunk.end());
    after = chunk.back();
  }
  EXPECT_EQ(seen, fans);
  ASSERT_TRUE(store().follow(star, fans[3], 1).ok());
  ASSERT_TRUE(store().follow(star, fans[1], 1).ok());
  EXPECT_EQ(store().followee_ids(star), (std::vector<int64_t>{fans[1], fans[3]}));
}

// ---- query plans ----------------------------------------------------------------

std::string plan(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &s, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string out;
  while (s && sqlite3_step(s) == SQLITE_ROW) {
    out += reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
    out += "\n";
  }
  sqlite3_finalize(s);
  return out;
}

// The plans of the statements the store really runs (store_sql::sql).
TEST_F(StoreTest, ListsAreServedByIndexes) {
  using namespace store_sql;
  sqlite3* db = store().raw();
  struct Case {
    Id id;
    const char* index;  // must appear in the plan
  };
  const std::vector<Case> cases = {
      {kUserUweets, "uweets_by_author"},
      {kHomeTimeline, "COVERING INDEX uweets_by_author"},
      {kHomeTimeline, "follows_by_pair"},
      {kFollowersPage, "follows_followers_page"},
      {kFollowingPage, "follows_following_page"},
      {kFollowerIds, "follows_by_followee"},
      {kFolloweeIds, "follows_by_pair"},
      {kUweetByKey, "uweets_by_idempotency_key"},
      {kCountUweets, "uweets_by_author"},
      {kUserByName, "users_by_key"},
      {kSessionDeleteExpired, "sessions_by_expiry"},
      {kMentions, "PRIMARY KEY"},
      {kSearch, "VIRTUAL TABLE"},
      {kAuthorIds, "COVERING INDEX uweets_by_author"},
  };
  for (const auto& c : cases) {
    const std::string p = plan(db, sql(c.id));
    EXPECT_NE(p.find(c.index), std::string::npos) << sql(c.id) << "\n" << p;
  }
  // Lists in index order need no sort step; the home timeline sorts only ids
  // from a covering index, never whole rows.
  for (Id id :
       {kPublicTimeline, kUserUweets, kAuthorIds, kFollowersPage, kFollowingPage, kFollowerIds, kSearch}) {
    const std::string p = plan(db, sql(id));
    EXPECT_EQ(p.find("TEMP B-TREE FOR ORDER BY"), std::string::npos) << sql(id) << "\n" << p;
    EXPECT_EQ(p.find("SCAN a"), std::string::npos) << sql(id) << "\n" << p;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreListsTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace uw::test
