// PgStore reconnecting (core/store/postgres/conn.cpp; conn_test.cpp tests the rest of it) against a real
// server that this test stops and starts again on the same port and data
// (docs/STORAGE.md "Server restarts and storage faults"): while it is down
// statements answer 503 db_unavailable with Retry-After at once, reads say so
// through take_unavailable(), and once it is back the first BEGIN and the
// first read already work (they reconnect by themselves), with everything
// committed before still there.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "bench/kit/eventually.hpp"
#include "bench/kit/pg_server.hpp"
#include "core/store/store.hpp"

namespace uw::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

NewUweet uweet(int64_t author, const std::string& text) {
  NewUweet u;
  u.author_id = author;
  u.text = text;
  u.created_at = 1'700'000'000'000;
  return u;
}

TEST(PgConnRestart, StatementsAnswer503WhileTheServerIsDownAndWorkAgainAfterItsRestart) {
  kit::PgServer pg;  // its own server: this test stops it
  ASSERT_TRUE(pg.start()) << pg.error();
  const std::string uri = pg.create_database("uwitter");
  ASSERT_FALSE(uri.empty()) << pg.error();
  auto w = Store::open(uri, {});
  ASSERT_TRUE(w.ok()) << w.error().message;
  Store& writer = **w;
  Store::Options ro;
  ro.read_only = true;
  auto r = Store::open(uri, ro);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Store& reader = **r;

  auto alice = writer.create_user("alice", "$argon2id$fake", 1);
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(writer.begin().ok());
  auto kept = writer.insert_uweet(uweet(alice->id, "committed before the restart"));
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(writer.commit().ok());
  EXPECT_FALSE(reader.take_unavailable().has_value());

  ASSERT_TRUE(pg.stop());
  auto t0 = Clock::now();
  auto b = writer.begin();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().status, 503);
  EXPECT_EQ(b.error().code, "db_unavailable");
  EXPECT_GT(b.error().retry_after_s, 0);
  EXPECT_EQ(b.error().message.find("postgresql://"), std::string::npos)
      << "clients see this: " << b.error().message;
  // A read that returns a value, not a Result, says "could not look" here.
  EXPECT_FALSE(reader.user_by_id(alice->id).has_value());
  auto why = reader.take_unavailable();
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->code, "db_unavailable");
  EXPECT_FALSE(reader.take_unavailable().has_value()) << "taken means cleared";
  // Many statements while it is down: each at once (one connection attempt
  // per 250 ms, not one per statement).
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(writer.begin().ok());
  EXPECT_LT(Clock::now() - t0, 3s);

  ASSERT_TRUE(pg.start()) << pg.error();
  // The connections mend themselves; within the reconnect interval a
  // statement may still answer 503, never anything else.
  Result<Unit> again = Error{};
  ASSERT_TRUE(kit::eventually(
      [&] {
        again = writer.begin();
        return again.ok() || again.error().status != 503;
      },
      10s));
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto after = writer.insert_uweet(uweet(alice->id, "committed after the restart"));
  ASSERT_TRUE(after.ok()) << after.error().message;
  ASSERT_TRUE(writer.commit().ok());
  std::optional<User> found;
  ASSERT_TRUE(kit::eventually(
      [&] {
        found = reader.user_by_id(alice->id);
        return found.has_value();
      },
      10s));
  (void)reader.take_unavailable();
  auto page = reader.public_timeline(std::nullopt, 10);
  EXPECT_FALSE(reader.take_unavailable().has_value());
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, after->id);
  EXPECT_EQ(page.items[1].id, kept->id);
}

// Restarted while idle: the very first BEGIN and the first read after the
// restart work (the dead connection is found, mended and the statement run
// again), so the first request after a restart does not fail.
TEST(PgConnRestart, TheFirstBeginAndReadAfterARestartWhileIdleWork) {
  kit::PgServer pg;
  ASSERT_TRUE(pg.start()) << pg.error();
  const std::string uri = pg.create_database("uwitter");
  ASSERT_FALSE(uri.empty()) << pg.error();
  auto w = Store::open(uri, {});
  ASSERT_TRUE(w.ok()) << w.error().message;
  Store::Options ro;
  ro.read_only = true;
  auto r = Store::open(uri, ro);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto alice = (*w)->create_user("alice", "$argon2id$fake", 1);
  ASSERT_TRUE(alice.ok());

  ASSERT_TRUE(pg.stop());
  ASSERT_TRUE(pg.start()) << pg.error();
  auto b = (*w)->begin();
  EXPECT_TRUE(b.ok()) << b.error().message;
  (*w)->rollback();
  auto u = (*r)->user_by_id(alice->id);
  EXPECT_TRUE(u.has_value());
  EXPECT_FALSE((*r)->take_unavailable().has_value());
}

}  // namespace
}  // namespace uw::test
