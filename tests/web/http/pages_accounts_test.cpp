// web/http/pages_accounts.cpp against the real uwitter-web: sign up, log in, the
// session cookie, the login throttle.
#include <gtest/gtest.h>

#include <string>

#include "tests/web/http/pages_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {
namespace {

TEST_P(Pages, MarkupAsUsernameIsRejectedAndEchoedEscaped) {
  Browser b(base());
  auto r = b.register_user("<script>x</script>");
  EXPECT_EQ(r.status, 422);
  EXPECT_FALSE(error_message(r.body).empty());
  EXPECT_EQ(r.body.find("<script>x"), std::string::npos);
  EXPECT_NE(r.body.find("value=\"&lt;script&gt;x&lt;/script&gt;\""), std::string::npos);
  EXPECT_EQ(b.get("/u/%3Cscript%3Ex%3C%2Fscript%3E").status, 404);
}

TEST_P(Pages, DuplicateUsernameIs409AndKeepsInput) {
  user("judy");
  Browser b(base());
  auto r = b.register_user("JUDY");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(error_message(r.body).find("taken"), std::string::npos);
  EXPECT_NE(r.body.find("value=\"JUDY\""), std::string::npos);
  EXPECT_EQ(r.body.find("correct horse"), std::string::npos) << "password never echoed";
}

TEST_P(Pages, WrongPasswordSaysTheSameAsUnknownUser) {
  user("kate");
  Browser b(base());
  auto wrong = b.login("kate", "not the password");
  auto unknown = b.login("nobody_here", "not the password");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_FALSE(error_message(wrong.body).empty());
  EXPECT_EQ(error_message(wrong.body), error_message(unknown.body));
  EXPECT_EQ(wrong.body.find("not the password"), std::string::npos);
  EXPECT_NE(wrong.body.find("value=\"kate\""), std::string::npos);
  EXPECT_TRUE(b.http().cookie("uw_session").empty());
}

TEST_P(Pages, InvalidSessionCookieMeansLoggedOut) {
  HttpClient c(base());
  auto r = c.get("/", {"Cookie: uw_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Create an account"), std::string::npos);
  bool cleared = false;
  for (auto [it, end] = r.headers.equal_range("set-cookie"); it != end; ++it) {
    if (it->second.rfind("uw_session=;", 0) == 0 && it->second.find("Max-Age=0") != std::string::npos)
      cleared = true;
  }
  EXPECT_TRUE(cleared);
  // A POST with it is sent to log in, not executed.
  Browser b(base());
  std::string token = b.csrf_from("/accounts/login");
  ASSERT_FALSE(token.empty());
  auto p = b.http().post_form(
      "/post", {{"text", "ghost"}, {"csrf", token}},
      {"Origin: " + base(), "Cookie: uw_csrf=" + b.http().cookie("uw_csrf") + "; uw_session=garbage"});
  EXPECT_EQ(p.status, 303) << p.body;
  EXPECT_EQ(p.header("location").rfind("/accounts/login", 0), 0u);
}

TEST_P(PagesThrottle, RepeatedBadLoginsGet429WithRetryAfter) {
  WebServer server;
  Browser victim(server.base());
  ASSERT_EQ(victim.register_user("lucy", "right password").status, 303);
  Browser attacker(server.base());
  HttpResponse r;
  int attempts = 0;
  for (; attempts < 30; ++attempts) {
    r = attacker.login("lucy", "wrong password " + std::to_string(attempts));
    if (r.status != 401) break;
  }
  ASSERT_EQ(r.status, 429) << "after " << attempts << " attempts";
  EXPECT_GE(attempts, 1);
  long retry = std::stol(r.header("retry-after").empty() ? "0" : r.header("retry-after"));
  EXPECT_GT(retry, 0);
  EXPECT_NE(error_message(r.body).find("Too many"), std::string::npos);
  // Even the right password is refused while throttled.
  EXPECT_EQ(attacker.login("lucy", "right password").status, 429);
}

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
