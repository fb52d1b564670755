// web/service/service_impl_account.cpp in-process (service_fixture.hpp): the own
// password check, changing it, deleting the account, and their throttles.
#include <gtest/gtest.h>

#include <string>

#include "tests/web/service/service_fixture.hpp"

namespace uw::web {
namespace {

using namespace test;

TEST(Service, ChangePasswordNeedsTheCurrentOneAndEndsEveryOtherSession) {
  Fixture f;
  f.open();
  User lee = f.reg("lee");
  auto keep = f.login("lee", "password123");
  auto other = f.login("lee", "password123", "10.0.0.7");
  ASSERT_TRUE(keep && other);
  auto change = [&](const std::string& cur, const std::string& next) {
    return await<Unit>(&f.l.loop, [&](auto d) {
      f.svc->change_password(f.viewer(lee), keep->token, cur, next, "10.0.0.1", d);
    });
  };
  auto wrong = change("not-it-at-all", "brand new pass");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().status, 401);
  EXPECT_EQ(wrong.error().code, "wrong_password");
  auto weak = change("password123", "short");
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, "weak_password");
  EXPECT_TRUE(f.svc->authenticate(other->token));  // nothing changed yet
  auto ok = change("password123", "brand new pass");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(f.svc->authenticate(keep->token));
  EXPECT_FALSE(f.svc->authenticate(other->token));
  EXPECT_FALSE(f.login("lee", "password123", "10.0.0.9"));
  EXPECT_TRUE(f.login("lee", "brand new pass", "10.0.0.9"));
  // The ended session stays ended after a restart (it was deleted, not just forgotten).
  f.close();
  f.open();
  EXPECT_TRUE(f.svc->authenticate(keep->token));
  EXPECT_FALSE(f.svc->authenticate(other->token));
}

TEST(Service, WrongCurrentPasswordsAreThrottledLikeLogins) {
  Fixture f;
  f.open();  // 3 failures per account
  User max = f.reg("max");
  auto lr = f.login("max", "password123");
  ASSERT_TRUE(lr);
  Result<Unit> r = Unit{};
  for (int i = 0; i < 4; ++i)
    r = await<Unit>(&f.l.loop, [&](auto d) {
      f.svc->change_password(f.viewer(max), lr->token, "guess" + std::to_string(i) + "xxxx", "a new password",
                             "10.0.0.1", d);
    });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 429);
}

TEST(Service, DeleteAccountNeedsThePasswordAndForgetsEverythingAtOnce) {
  Fixture f;
  f.open();  // 3 failures per account
  User ned = f.reg("ned"), ora = f.reg("ora"), pia = f.reg("pia");
  for (const auto& edge : {std::pair{ora, "ned"}, {ned, "pia"}, {ora, "pia"}})
    ASSERT_TRUE(await<bool>(&f.l.loop, [&](auto d) { f.svc->follow(f.viewer(edge.first), edge.second, d); }));
  auto n1 = f.post(ned, "ned one");
  auto p1 = f.post(pia, "pia says hi to @ned");
  auto n2 = f.post(ned, "ned two", "key-n");
  ASSERT_TRUE(n1 && p1 && n2);
  auto s1 = f.login("ned", "password123");
  auto s2 = f.login("ned", "password123", "10.0.0.8");
  ASSERT_TRUE(s1 && s2);
  ASSERT_EQ(f.home(ora).items.size(), 3u);
  const auto users = f.svc->users_version();
  f.events.clear();
  auto del = [&](const std::string& pw) {
    return await<Unit>(&f.l.loop, [&](auto d) { f.svc->delete_account(f.viewer(ned), pw, "10.0.0.1", d); });
  };

  auto wrong = del("not the password");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().status, 401);
  EXPECT_EQ(wrong.error().code, "wrong_password");
  EXPECT_TRUE(f.svc->authenticate(s1->token));  // nothing happened
  EXPECT_TRUE(f.events.empty());

  auto ok = del("password123");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(f.svc->authenticate(s1->token));
  EXPECT_FALSE(f.svc->authenticate(s2->token));
  EXPECT_FALSE(f.svc->user_exists("ned"));
  EXPECT_NE(f.svc->users_version(), users);
  auto h = f.home(ora);
  ASSERT_EQ(h.items.size(), 1u);
  EXPECT_EQ(h.items[0].id, p1->id);
  auto pub = await<Page<Uweet>>(&f.l.loop, [&](auto d) { f.svc->public_timeline(std::nullopt, 20, d); });
  ASSERT_TRUE(pub);
  ASSERT_EQ(pub->items.size(), 1u);
  EXPECT_FALSE(await<Uweet>(&f.l.loop, [&](auto d) { f.svc->uweet(n1->id, d); }));
  auto gone = await<Profile>(&f.l.loop, [&](auto d) { f.svc->profile("ned", std::nullopt, d); });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().status, 404);
  auto pia_prof = await<Profile>(&f.l.loop, [&](auto d) { f.svc->profile("pia", std::nullopt, d); });
  ASSERT_TRUE(pia_prof);
  EXPECT_EQ(pia_prof->counts.followers, 1);  // ora's follow stays, ned's went
  auto ora_prof = await<Profile>(&f.l.loop, [&](auto d) { f.svc->profile("ora", std::nullopt, d); });
  ASSERT_TRUE(ora_prof);
  EXPECT_EQ(ora_prof->counts.following, 1);
  EXPECT_FALSE(f.login("ned", "password123", "10.0.0.9"));

  // One delete per follower (ora), naming no uweet: every uweet of ned.
  ASSERT_EQ(f.events.size(), 1u);
  const auto* ev = std::get_if<sign::DeleteEvent>(&f.events[0]);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->uweet_id, 0);
  EXPECT_EQ(ev->author_id, ned.id);
  EXPECT_EQ(ev->author, "ned");
  EXPECT_EQ(ev->recipient_id, ora.id);

  // The name is reserved; the same after a restart, with the caches warmed from the database.
  auto again = await<User>(&f.l.loop, [&](auto d) { f.svc->register_account("Ned", "password123", "", d); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "username_reserved");
  f.close();
  f.open();
  EXPECT_FALSE(f.svc->authenticate(s1->token));
  EXPECT_EQ(f.home(ora).items.size(), 1u);
  auto after = await<Profile>(&f.l.loop, [&](auto d) { f.svc->profile("ned", std::nullopt, d); });
  EXPECT_FALSE(after);
  User neo = f.reg("neo");
  EXPECT_GT(neo.id, pia.id);
}

TEST(Service, WrongPasswordsForDeleteAccountAreThrottledLikeLogins) {
  Fixture f;
  f.open();  // 3 failures per account
  User qi = f.reg("qi");
  Result<Unit> r = Unit{};
  for (int i = 0; i < 4; ++i)
    r = await<Unit>(&f.l.loop, [&](auto d) {
      f.svc->delete_account(f.viewer(qi), "guess" + std::to_string(i) + "xxxx", "10.0.0.1", d);
    });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 429);
  // Even the right one waits now.
  auto right = await<Unit>(
      &f.l.loop, [&](auto d) { f.svc->delete_account(f.viewer(qi), "password123", "10.0.0.1", d); });
  ASSERT_FALSE(right);
  EXPECT_EQ(right.error().status, 429);
  EXPECT_TRUE(f.svc->user_exists("qi"));
}

}  // namespace
}  // namespace uw::web
