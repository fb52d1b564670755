// The HTML UI across its pages (web/http/pages.cpp, page_site.cpp) against the real
// uwitter-web: a whole journey, CSRF and Origin checks, form encoding, 404 pages,
// static assets, forms on an unavailable store. Each page handler file has its own
// tests beside this one (pages_<name>_test.cpp).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "tests/web/http/pages_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {
namespace {

TEST_P(Pages, FullJourneyFromSignUpToLogOut) {
  auto alice = user("alice");
  Browser bob(base());

  // Register via the form: 303 to /, session cookie set with the right flags.
  auto form = bob.get("/accounts/register");
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("<title>Sign up · Uwitter</title>"), std::string::npos);
  auto reg = bob.register_user("bob");
  ASSERT_EQ(reg.status, 303) << reg.body;
  std::string set_cookie;
  for (auto [it, end] = reg.headers.equal_range("set-cookie"); it != end; ++it) {
    if (it->second.rfind("uw_session=", 0) == 0) set_cookie = it->second;
  }
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Lax"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos) << set_cookie;

  // Log out, then log in again through the login form.
  ASSERT_EQ(bob.submit("/", "/accounts/logout", {}).status, 303);
  EXPECT_NE(bob.get("/").body.find("Create an account"), std::string::npos) << "logged out home";
  auto login = bob.login("bob", "correct horse");
  ASSERT_EQ(login.status, 303) << error_message(login.body);
  auto home = bob.get("/");
  EXPECT_NE(home.body.find("id=\"uweet-text\""), std::string::npos) << "post form for a logged-in user";
  EXPECT_EQ(home.body.find("id=\"notif\""), std::string::npos)
      << "no live-notification hook without --notifier-url";
  EXPECT_NE(bob.get("/notifications").body.find("Live notifications are unavailable"), std::string::npos);

  // Alice posts; Bob follows her and sees it on his home timeline.
  auto posted = alice->post("hello from alice, @bob");
  ASSERT_EQ(posted.status, 303) << error_message(posted.body);
  EXPECT_EQ(posted.header("location"), "/");
  EXPECT_EQ(bob.get("/").body.find("hello from alice"), std::string::npos) << "not followed yet";
  auto follow = bob.submit("/u/alice", "/follow/alice", {});
  ASSERT_EQ(follow.status, 303);
  EXPECT_EQ(follow.header("location"), "/u/alice");
  home = bob.get("/");
  EXPECT_NE(home.body.find("hello from alice, <a class=\"mention\" href=\"/u/bob\">@bob</a>"),
            std::string::npos);

  // Profile counts and the follow button state.
  auto prof = bob.get("/u/alice");
  ASSERT_EQ(prof.status, 200);
  EXPECT_EQ(count_on_profile(prof.body, "uweet"), 1);
  EXPECT_EQ(count_on_profile(prof.body, "follower"), 1);
  EXPECT_EQ(count_on_profile(prof.body, "following"), 0);
  EXPECT_NE(prof.body.find("action=\"/unfollow/alice\""), std::string::npos);
  EXPECT_EQ(count_on_profile(bob.get("/u/bob").body, "following"), 1);

  // Follower and following lists.
  auto followers = bob.get("/u/alice/followers");
  ASSERT_EQ(followers.status, 200);
  EXPECT_NE(followers.body.find("href=\"/u/bob\">@bob</a></li>"), std::string::npos);
  auto following = bob.get("/u/bob/following");
  ASSERT_EQ(following.status, 200);
  EXPECT_NE(following.body.find("href=\"/u/alice\">@alice</a></li>"), std::string::npos);

  // Search.
  auto found = bob.get("/search?q=hello");
  ASSERT_EQ(found.status, 200);
  EXPECT_NE(found.body.find("hello from alice"), std::string::npos);
  EXPECT_EQ(bob.get("/search?q=zebra").body.find("hello from alice"), std::string::npos);

  // Unfollow: counts go back, the uweet leaves Bob's home timeline.
  ASSERT_EQ(bob.submit("/u/alice", "/unfollow/alice", {}).status, 303);
  EXPECT_EQ(count_on_profile(bob.get("/u/alice").body, "followers"), 0);
  EXPECT_EQ(bob.get("/").body.find("hello from alice"), std::string::npos);

  // Log out: the old session cookie no longer works.
  std::string old = bob.http().cookie("uw_session");
  ASSERT_FALSE(old.empty());
  ASSERT_EQ(bob.submit("/", "/accounts/logout", {}).status, 303);
  HttpClient replay(base());
  auto anon = replay.get("/", {"Cookie: uw_session=" + old});
  EXPECT_EQ(anon.status, 200);
  EXPECT_NE(anon.body.find("Create an account"), std::string::npos);
}

TEST_P(Pages, PostWithoutCsrfIsForbiddenAndChangesNothing) {
  auto carol = user("carol");
  carol->get("/");
  auto r = carol->post_raw("/post", "text=sneaky", {"Origin: " + base()});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("Form expired"), std::string::npos);
  EXPECT_EQ(count_on_profile(carol->get("/u/carol").body, "uweets"), 0);
}

TEST_P(Pages, ForgedCsrfIsForbidden) {
  auto dave = user("dave");
  Browser other(base());
  std::string foreign = other.csrf_from("/accounts/login");  // valid, but for another browser's cookie
  ASSERT_FALSE(foreign.empty());
  const std::string forged[] = {foreign, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "",
                                dave->http().cookie("uw_csrf")};
  for (const auto& token : forged) {
    auto r = dave->http().post_form("/post", {{"text", "forged"}, {"csrf", token}}, {"Origin: " + base()});
    EXPECT_EQ(r.status, 403) << token;
  }
  EXPECT_EQ(count_on_profile(dave->get("/u/dave").body, "uweets"), 0);
}

TEST_P(Pages, WrongOrMissingOriginIsForbidden) {
  auto erin = user("erin");
  std::string token = erin->csrf_from("/");
  auto send = [&](std::vector<std::string> headers) {
    return erin->http().post_form("/post", {{"text", "cross-site"}, {"csrf", token}}, headers);
  };
  EXPECT_EQ(send({"Origin: http://evil.example"}).status, 403);
  EXPECT_EQ(send({"Origin: null"}).status, 403);
  EXPECT_EQ(send({"Referer: http://evil.example/page"}).status, 403);
  EXPECT_EQ(send({}).status, 403) << "neither Origin nor Referer";
  EXPECT_EQ(count_on_profile(erin->get("/u/erin").body, "uweets"), 0);
  // Referer alone from our own site is enough.
  EXPECT_EQ(send({"Referer: " + base() + "/"}).status, 303);
  EXPECT_EQ(count_on_profile(erin->get("/u/erin").body, "uweet"), 1);
}

TEST_P(Pages, InvalidUtf8InFormsIsRejected) {
  auto gina = user("gina");
  std::string token = gina->csrf_from("/");
  auto r = gina->post_raw("/post", "text=%FF%FEbad&csrf=" + token, {"Origin: " + base()});
  EXPECT_TRUE(r.status == 400 || r.status == 422) << r.status;
  EXPECT_EQ(count_on_profile(gina->get("/u/gina").body, "uweets"), 0);

  Browser anon(base());
  std::string t2 = anon.csrf_from("/accounts/register");
  auto reg = anon.post_raw("/accounts/register", "username=%C3%28x&password=longenough&csrf=" + t2,
                           {"Origin: " + base()});
  EXPECT_TRUE(reg.status == 400 || reg.status == 422) << reg.status;
  EXPECT_EQ(reg.body.find("\xC3\x28"), std::string::npos) << "invalid bytes never echoed";
}

TEST_P(Pages, UnknownPathsAndUsersGetHelpful404Pages) {
  Browser b(base());
  struct Case {
    std::string path, text;
  };
  const Case cases[] = {
      {"/u/nobody", "No such user"},         {"/u/nobody/followers", "No such user"},
      {"/no/such/page", "Page not found"},   {"/u/", "Page not found"},
      {"/static/nope.js", "Page not found"},
  };
  for (const auto& c : cases) {
    auto r = b.get(c.path);
    EXPECT_EQ(r.status, 404) << c.path;
    EXPECT_NE(r.body.find(c.text), std::string::npos) << c.path;
    EXPECT_NE(r.header("content-type").find("text/html"), std::string::npos) << c.path;
  }
  EXPECT_EQ(b.get("/?before=abc").status, 400);
  EXPECT_EQ(b.http().request("DELETE", "/").status, 405);
}

TEST_P(Pages, StaticAssetsHaveEtagsAndCaching) {
  HttpClient c(base());
  for (const std::string path : {"/static/app.css", "/static/app.js"}) {
    auto r = c.get(path);
    ASSERT_EQ(r.status, 200) << path;
    std::string etag = r.header("etag");
    EXPECT_FALSE(etag.empty());
    EXPECT_NE(r.header("cache-control").find("max-age"), std::string::npos);
    EXPECT_EQ(c.get(path, {"If-None-Match: " + etag}).status, 304) << path;
    auto head = c.request("HEAD", path);
    EXPECT_EQ(head.status, 200) << path;
    EXPECT_TRUE(head.body.empty());
  }
  EXPECT_EQ(c.request("HEAD", "/").status, 200);
  auto home = c.get("/");
  EXPECT_EQ(home.body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_EQ(home.body.find("style=\""), std::string::npos) << "no inline style";
  EXPECT_EQ(home.body.find(" onclick="), std::string::npos);
}

// Behind a load balancer the next request may reach another instance: with
// one --csrf-secret-file, a form served by one is accepted by the other;
// without it each process has its own secret and the other refuses it (403).
TEST(PagesCsrf, ASharedSecretFileLetsAFormServedByOneInstancePostToAnother) {
  TempDir shared;
  const std::string secret = shared.file("csrf.secret");
  for (bool with_file : {true, false}) {
    std::vector<std::string> extra;
    if (with_file) extra = {"--csrf-secret-file", secret};
    WebServer a(extra), b(extra);
    Browser on_a(a.base());
    auto form = on_a.get("/accounts/register");
    ASSERT_EQ(form.status, 200);
    const std::string token = html_input_value(form.body, "csrf");
    const std::string cookie = on_a.http().cookie("uw_csrf");
    ASSERT_FALSE(token.empty());
    ASSERT_FALSE(cookie.empty());
    HttpClient to_b(b.base());
    auto r = to_b.post_form(
        "/accounts/register",
        {{"username", with_file ? "across" : "refused"}, {"password", "correct horse"}, {"csrf", token}},
        {"Origin: " + b.base(), "Cookie: uw_csrf=" + cookie});
    if (with_file) {
      EXPECT_EQ(r.status, 303) << r.body;
      EXPECT_EQ(read_file(secret).size(), 65u) << "64 hex digits and a newline";
    } else {
      EXPECT_EQ(r.status, 403) << r.body;
    }
  }
}

// Issue 15 slice 7: a form refused because the store is unavailable (503,
// here SQLite locked by another process past --busy-timeout) is shown again
// with what was typed, why, and Retry-After, instead of an error page.
TEST(PagesForms, A503KeepsWhatWasTypedInEveryForm) {
  WebServer server({"--busy-timeout", "200"});
  Browser pia(server.base());
  ASSERT_EQ(pia.register_user("pia").status, 303);
  Browser quin(server.base());
  const std::string home_csrf = pia.csrf_from("/");
  const std::string settings_csrf = pia.csrf_from("/settings");
  const std::string signup_csrf = quin.csrf_from("/accounts/register");
  Browser rita(server.base());  // logs in as pia from another browser
  const std::string login_csrf = rita.csrf_from("/accounts/login");
  const std::string delete_csrf = pia.csrf_from("/settings/delete");
  ASSERT_FALSE(home_csrf.empty());

  sqlite3* other = nullptr;  // this test process takes the write lock
  ASSERT_EQ(sqlite3_open(server.db_file().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(other);
  const std::vector<std::string> origin{"Origin: " + server.base()};

  auto post = pia.http().post_form("/post", {{"text", "kept <tea> & cake"}, {"csrf", home_csrf}}, origin);
  EXPECT_EQ(post.status, 503) << post.body;
  EXPECT_FALSE(post.header("retry-after").empty());
  EXPECT_NE(post.body.find(">kept &lt;tea&gt; &amp; cake</textarea>"), std::string::npos) << post.body;
  EXPECT_NE(error_message(post.body).find("Nothing was saved"), std::string::npos) << post.body;

  auto profile = pia.http().post_form(
      "/settings/profile", {{"display_name", "Pia <P>"}, {"bio", "tea & more"}, {"csrf", settings_csrf}},
      origin);
  EXPECT_EQ(profile.status, 503) << profile.body;
  EXPECT_FALSE(profile.header("retry-after").empty());
  EXPECT_NE(profile.body.find("value=\"Pia &lt;P&gt;\""), std::string::npos) << profile.body;
  EXPECT_NE(profile.body.find(">tea &amp; more</textarea>"), std::string::npos);
  EXPECT_NE(error_message(profile.body).find("Nothing was saved"), std::string::npos);

  auto signup = quin.http().post_form(
      "/accounts/register", {{"username", "quin"}, {"password", "correct horse"}, {"csrf", signup_csrf}},
      origin);
  EXPECT_EQ(signup.status, 503) << signup.body;
  EXPECT_NE(signup.body.find("value=\"quin\""), std::string::npos) << signup.body;
  EXPECT_EQ(signup.body.find("correct horse"), std::string::npos) << "never the password";
  EXPECT_NE(error_message(signup.body).find("Nothing was saved"), std::string::npos);

  auto login = rita.http().post_form(
      "/accounts/login", {{"username", "pia"}, {"password", "correct horse"}, {"csrf", login_csrf}}, origin);
  EXPECT_EQ(login.status, 503) << login.body;  // the session could not be stored
  EXPECT_NE(login.body.find("value=\"pia\""), std::string::npos) << login.body;
  EXPECT_EQ(login.body.find("correct horse"), std::string::npos) << "never the password";
  EXPECT_NE(error_message(login.body).find("Nothing was saved"), std::string::npos);

  auto gone = pia.http().post_form(
      "/settings/delete", {{"password", "correct horse"}, {"confirm", "yes"}, {"csrf", delete_csrf}}, origin);
  EXPECT_EQ(gone.status, 503) << gone.body;
  EXPECT_NE(gone.body.find("Delete your account?"), std::string::npos)
      << "the confirmation again, not an error page";
  EXPECT_NE(error_message(gone.body).find("Nothing was saved"), std::string::npos);

  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_EQ(pia.post("kept <tea> & cake").status, 303) << "works once the lock is gone";
  EXPECT_EQ(rita.login("pia", "correct horse").status, 303);
}

INSTANTIATE_TEST_SUITE_P(Backends, Pages, web_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, PagesPagination, web_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, PagesNotifications, web_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, PagesThrottle, web_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, PagesRateLimits, web_backends(), backend_name);

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
