// uwitter-seed as a real process on a real SQLite file: what it writes, and
// the clear refusal of a --follows it could never satisfy.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

namespace {

#ifdef UWITTER_SEED_BIN
using uw::kit::run;

long count(const std::string& db, const char* sql) {
  sqlite3* h = nullptr;
  long n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

TEST(Seed, FillsANewDatabaseWithUsersFollowsOfUser0AndUweets) {
  uw::kit::TempDir tmp;
  const std::string db = tmp.file("seed.db");
  // Every other user followed: the distinct picks must cover all of them.
  auto r = run({UWITTER_SEED_BIN, "--db", db, "--users", "6", "--follows", "5", "--uweets", "40"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("seeded 6 users, 5 follows of user0, 40 uweets"), std::string::npos) << r.out;
  EXPECT_EQ(count(db, "SELECT count(*) FROM users"), 6);
  EXPECT_EQ(count(db,
                  "SELECT count(DISTINCT followee_id) FROM follows WHERE follower_id = "
                  "(SELECT id FROM users WHERE username = 'user0')"),
            5);
  EXPECT_EQ(count(db, "SELECT count(*) FROM follows"), 5);
  EXPECT_EQ(count(db, "SELECT count(*) FROM uweets"), 40);
}

TEST(Seed, MoreFollowsThanOtherUsersIsRefusedAtOnceWithAClearError) {
  uw::kit::TempDir tmp;
  // Before: it picked users at random until it had --follows distinct ones, forever.
  auto r = run({UWITTER_SEED_BIN, "--db", tmp.file("seed.db"), "--users", "3", "--follows", "3"},
               std::chrono::seconds(20));
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--follows 3: user0 can follow at most the 2 other users"), std::string::npos)
      << r.err;
}
#endif

}  // namespace
