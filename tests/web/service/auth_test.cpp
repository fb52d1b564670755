// web/service/auth.* login throttling: per (account, address) and per address,
// and its state written out and read back (what survives a restart).
#include "web/service/auth.hpp"

#include <gtest/gtest.h>

#include <string>

namespace uw::web::auth {
namespace {

constexpr int64_t kNow = 1'800'000'000;

TEST(Throttle, FailuresElsewhereDoNotLockTheOwnersAddress) {
  Throttle t(5, 20, 300);
  for (int i = 0; i < 5; ++i) t.failure("alice", "10.0.0.66", kNow);
  EXPECT_GT(t.retry_after("alice", "10.0.0.66", kNow), 0);
  EXPECT_EQ(t.retry_after("alice", "10.0.0.1", kNow), 0);         // the owner's address
  EXPECT_EQ(t.retry_after("bob", "10.0.0.66", kNow), 0);          // the address is not over its own limit
  EXPECT_EQ(t.retry_after("alice", "10.0.0.66", kNow + 300), 0);  // the window passed
}

TEST(Throttle, AnAddressIsLimitedAcrossAccountsAndASuccessClearsOnlyItsPair) {
  Throttle t(5, 4, 300);
  for (int i = 0; i < 4; ++i) t.failure("user" + std::to_string(i), "10.0.0.9", kNow);
  EXPECT_GT(t.retry_after("someone", "10.0.0.9", kNow), 0);
  Throttle u(2, 100, 300);
  u.failure("carol", "10.0.0.3", kNow);
  u.failure("carol", "10.0.0.3", kNow);
  EXPECT_GT(u.retry_after("carol", "10.0.0.3", kNow), 0);
  u.success("carol", "10.0.0.3");
  EXPECT_EQ(u.retry_after("carol", "10.0.0.3", kNow), 0);
}

TEST(Throttle, SnapshotAndRestoreKeepWhatIsInsideTheWindow) {
  Throttle t(3, 20, 300);
  const std::string odd_name = "we ird\nname\t";  // keys are any bytes: hex in the file
  for (int i = 0; i < 3; ++i) t.failure(odd_name, "::1", kNow - 10);
  t.failure("old", "10.0.0.2", kNow - 400);  // already outside the window
  const std::string text = t.snapshot(kNow);
  Throttle r(3, 20, 300);
  ASSERT_TRUE(r.restore(text, kNow).ok()) << text;
  EXPECT_EQ(r.pairs(), 1u);
  EXPECT_EQ(r.addresses(), 1u);
  EXPECT_GT(r.retry_after(odd_name, "::1", kNow), 0);
  EXPECT_EQ(r.retry_after(odd_name, "::1", kNow + 291), 0);  // leaves the window when it would have
  // Read later, the same text holds nothing that has left the window.
  Throttle later(3, 20, 300);
  ASSERT_TRUE(later.restore(text, kNow + 1000).ok());
  EXPECT_EQ(later.pairs(), 0u);
}

TEST(Throttle, RestoreRefusesTextItCannotReadAndKeepsNothing) {
  for (const std::string bad :
       {"", "something else\n", "uwitter-login-throttle 1\nx 00 1\n", "uwitter-login-throttle 1\np zz 1\n",
        "uwitter-login-throttle 1\np 61 1,x\n", "uwitter-login-throttle 1\np 61 1"}) {
    Throttle t(3, 20, 300);
    auto r = t.restore(bad, kNow);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_throttle_state");
    EXPECT_EQ(t.pairs(), 0u);
  }
}

}  // namespace
}  // namespace uw::web::auth
