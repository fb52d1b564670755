// Integration tests of the HTML UI (web/http/pages*.cpp) against the real uwitter-web
// process: a libcurl client with a cookie jar plays the browser.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <memory>
#include <regex>
#include <string>

#include "bench/kit/http_client.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "tests/web/api_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {

using kit::ChildProcess;
using kit::html_input_value;
using kit::HttpClient;
using kit::HttpResponse;
using kit::read_file;
using kit::TempDir;
namespace {

// One uwitter-web on 127.0.0.1:<free port> with a fresh --data directory.
class WebServer {
 public:
  explicit WebServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", dir_.path()};
    const auto db = db_args(&pg_uri_);  // a fresh PostgreSQL database in the "postgres" instances
    argv.insert(argv.end(), db.begin(), db.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    bool started = proc_.start(argv, dir_.file("stderr.log"));
    EXPECT_TRUE(started);
    EXPECT_TRUE(proc_.wait_listening()) << proc_.stderr_text();
    port_ = proc_.port("http");
    base_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  // Stops it with SIGTERM: a clean exit (status 0) also means no sanitizer report.
  ~WebServer() {
    int status = proc_.terminate();
    std::string err = proc_.stderr_text();
    EXPECT_EQ(status, 0) << err.substr(err.size() > 4000 ? err.size() - 4000 : 0);
  }
  const std::string& base() const { return base_; }
  uint16_t port() const { return port_; }
  // The SQLite database file under --data (plain TESTs: SQLite).
  std::string db_file() const { return dir_.file("uwitter.db"); }

 private:
  TempDir dir_;
  std::string pg_uri_;
  ChildProcess proc_;
  uint16_t port_ = 0;
  std::string base_;
};

// The text of the <p class="error"> message on a page ("" if none).
std::string error_message(const std::string& html) {
  std::smatch m;
  static const std::regex re(R"re(<p class="error" role="alert">([^<]*)</p>)re");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

// A number shown as "<b>N</b> word" on a profile page (-1 if absent).
long count_on_profile(const std::string& html, const std::string& word) {
  std::smatch m;
  std::regex re("<b>([0-9]+)</b> " + word + "<");
  return std::regex_search(html, m, re) ? std::stol(m[1].str()) : -1;
}

// A browser: a cookie jar, the site's Origin on every POST, forms read from pages.
class Browser {
 public:
  explicit Browser(const std::string& base) : base_(base), http_(base) {}
  HttpResponse get(const std::string& path) { return http_.get(path); }
  // GETs `page`, takes its csrf field, POSTs `fields` (+ csrf) to `action`.
  HttpResponse submit(const std::string& page, const std::string& action,
                      std::vector<std::pair<std::string, std::string>> fields) {
    auto form = http_.get(page);
    EXPECT_EQ(form.status, 200) << page;
    std::string token = html_input_value(form.body, "csrf");
    EXPECT_FALSE(token.empty()) << "no csrf field on " << page;
    fields.emplace_back("csrf", token);
    return http_.post_form(action, fields, {"Origin: " + base_});
  }
  HttpResponse post_raw(const std::string& action, const std::string& body,
                        std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: application/x-www-form-urlencoded");
    return http_.request("POST", action, body, headers);
  }
  std::string csrf_from(const std::string& page) { return html_input_value(http_.get(page).body, "csrf"); }
  HttpResponse register_user(const std::string& name, const std::string& password = "correct horse") {
    return submit("/accounts/register", "/accounts/register", {{"username", name}, {"password", password}});
  }
  HttpResponse login(const std::string& name, const std::string& password) {
    return submit("/accounts/login", "/accounts/login", {{"username", name}, {"password", password}});
  }
  HttpResponse post(const std::string& text) { return submit("/", "/post", {{"text", text}}); }
  HttpClient& http() { return http_; }
  const std::string& base() const { return base_; }

 private:
  std::string base_;
  HttpClient http_;
};

// One server per backend for the whole suite (each test makes its own users).
class Pages : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WebServer*& s = servers_[GetParam()];
    if (!s) s = new WebServer();
    server_ = s;
  }
  static void TearDownTestSuite() {
    for (auto& [backend, s] : servers_) delete s;
    servers_.clear();
    server_ = nullptr;
  }
  static const std::string& base() { return server_->base(); }
  // A registered, logged-in browser.
  std::unique_ptr<Browser> user(const std::string& name) {
    auto b = std::make_unique<Browser>(base());
    auto r = b->register_user(name);
    EXPECT_EQ(r.status, 303) << name << ": " << error_message(r.body);
    EXPECT_EQ(r.header("location"), "/");
    return b;
  }
  static inline std::map<std::string, WebServer*> servers_;
  static inline WebServer* server_ = nullptr;
};

// Each test runs on SQLite and on PostgreSQL (api_fixture.hpp: web_backends()).
class PagesPagination : public ::testing::TestWithParam<std::string> {};
class PagesNotifications : public ::testing::TestWithParam<std::string> {};
class PagesThrottle : public ::testing::TestWithParam<std::string> {};
class PagesRateLimits : public ::testing::TestWithParam<std::string> {};

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

// The anonymous front page is rendered once and shared between visitors; it must
// still show a uweet the moment its commit is acknowledged, and it carries no
// per-visitor token or cookie (the log-in and sign-up pages set the csrf cookie).
TEST_P(Pages, AnonymousFrontPageIsSharedYetShowsEachNewUweetAtOnce) {
  auto alice = user("frontpage_alice");
  Browser visitor(base());
  for (int i = 0; i < 3; ++i) {
    const std::string text = "front page uweet number " + std::to_string(i);
    auto before = visitor.get("/");
    ASSERT_EQ(before.status, 200);
    EXPECT_EQ(before.body.find(text), std::string::npos);
    EXPECT_EQ(before.header("set-cookie"), "") << "the shared page must not set a cookie";
    EXPECT_EQ(before.body.find("name=\"csrf\""), std::string::npos);
    ASSERT_EQ(alice->post(text).status, 303);
    auto after = visitor.get("/");
    ASSERT_EQ(after.status, 200);
    EXPECT_NE(after.body.find(text), std::string::npos) << "a cached page hid uweet " << i;
  }
  auto login = visitor.get("/accounts/login");
  EXPECT_NE(login.header("set-cookie").find("uw_csrf="), std::string::npos);
  EXPECT_FALSE(html_input_value(login.body, "csrf").empty());
}

// The id of the newest uweet on a page ("" if none).
std::string first_uweet_id(const std::string& html) {
  std::smatch m;
  static const std::regex re(R"re(<li class="uweet" id="uweet-([0-9]+)")re");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

TEST_P(Pages, DeleteOwnUweetAfterConfirmingWithoutJavaScript) {
  auto erin = user("del_erin");
  auto fred = user("del_fred");
  ASSERT_EQ(fred->submit("/u/del_erin", "/follow/del_erin", {}).status, 303);
  ASSERT_EQ(erin->post("soon <b>gone</b>").status, 303);
  const std::string id = first_uweet_id(erin->get("/u/del_erin").body);
  ASSERT_FALSE(id.empty());
  // The author sees a Delete link on their own uweet; nobody else does.
  EXPECT_NE(erin->get("/").body.find("href=\"/delete/" + id + "\""), std::string::npos);
  EXPECT_EQ(fred->get("/").body.find("href=\"/delete/" + id + "\""), std::string::npos);
  EXPECT_NE(fred->get("/").body.find("id=\"uweet-" + id + "\""), std::string::npos);

  auto confirm = erin->get("/delete/" + id);
  ASSERT_EQ(confirm.status, 200);
  EXPECT_NE(confirm.body.find("Delete this uweet?"), std::string::npos);
  EXPECT_NE(confirm.body.find("soon &lt;b&gt;gone&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(fred->get("/delete/" + id).status, 403);
  auto forged = fred->submit("/", "/delete/" + id, {});
  EXPECT_EQ(forged.status, 403);
  auto no_csrf = erin->post_raw("/delete/" + id, "", {"Origin: " + base()});
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(count_on_profile(erin->get("/u/del_erin").body, "uweet"), 1);

  auto done = erin->submit("/delete/" + id, "/delete/" + id, {});
  ASSERT_EQ(done.status, 303);
  EXPECT_EQ(done.header("location"), "/u/del_erin");
  EXPECT_EQ(count_on_profile(erin->get("/u/del_erin").body, "uweets"), 0);
  EXPECT_EQ(fred->get("/").body.find("id=\"uweet-" + id + "\""), std::string::npos);
  EXPECT_EQ(erin->get("/u/del_erin/" + id).status, 404);
  EXPECT_EQ(erin->get("/delete/" + id).status, 404);
}

TEST_P(Pages, PermalinkShowsTheUweetWithEscapedTitleAnd404sOnAWrongPair) {
  auto gail = user("perma_gail");
  user("perma_hank");
  ASSERT_EQ(gail->post("a \"quoted\" <i>word</i> & more").status, 303);
  const std::string id = first_uweet_id(gail->get("/u/perma_gail").body);
  ASSERT_FALSE(id.empty());
  Browser anon(base());
  // Every timeline links the uweet's time to its permalink.
  EXPECT_NE(anon.get("/").body.find("<a class=\"permalink\" href=\"/u/perma_gail/" + id + "\">"),
            std::string::npos);
  auto p = anon.get("/u/PERMA_GAIL/" + id);
  ASSERT_EQ(p.status, 200);
  EXPECT_NE(
      p.body.find(
          "<title>@perma_gail: “a &quot;quoted&quot; &lt;i&gt;word&lt;/i&gt; &amp; more” · Uwitter</title>"),
      std::string::npos)
      << p.body.substr(0, 600);
  EXPECT_NE(
      p.body.find(
          "<meta name=\"description\" content=\"a &quot;quoted&quot; &lt;i&gt;word&lt;/i&gt; &amp; more\">"),
      std::string::npos);
  EXPECT_EQ(anon.get("/u/perma_hank/" + id).status, 404);
  EXPECT_EQ(anon.get("/u/perma_gail/999999").status, 404);
  EXPECT_EQ(anon.get("/u/perma_gail/abc").status, 404);
  EXPECT_EQ(anon.get("/u/nobody_here/" + id).status, 404);
}

TEST_P(Pages, SettingsEditDisplayNameAndBioEscapedAndKeepWhatWasTypedOnError) {
  auto ian = user("set_ian");
  ASSERT_EQ(ian->post("my uweet").status, 303);
  auto form = ian->get("/settings");
  ASSERT_EQ(form.status, 200);
  EXPECT_EQ(html_input_value(form.body, "display_name"), "");
  auto bad = ian->submit("/settings", "/settings/profile",
                         {{"display_name", std::string(51, 'n')}, {"bio", "kept <bio>"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(error_message(bad.body).find("at most 50 characters"), std::string::npos)
      << error_message(bad.body);
  EXPECT_EQ(html_input_value(bad.body, "display_name"), std::string(51, 'n'));
  EXPECT_NE(bad.body.find(">kept &lt;bio&gt;</textarea>"), std::string::npos);
  auto ok =
      ian->submit("/settings", "/settings/profile", {{"display_name", "Ian <script>"}, {"bio", "I & me"}});
  ASSERT_EQ(ok.status, 303);
  EXPECT_EQ(ok.header("location"), "/settings?saved=1");
  Browser anon(base());
  auto prof = anon.get("/u/set_ian");
  EXPECT_NE(prof.body.find("<p class=\"display-name\">Ian &lt;script&gt;</p>"), std::string::npos);
  EXPECT_NE(prof.body.find("<p class=\"bio\">I &amp; me</p>"), std::string::npos);
  EXPECT_EQ(prof.body.find("<script>"), std::string::npos);
  // Beside each uweet, and again once it changes (rendered uweets are reused).
  EXPECT_NE(prof.body.find("<span class=\"display-name\">Ian &lt;script&gt;</span>"), std::string::npos);
  ASSERT_EQ(ian->submit("/settings", "/settings/profile", {{"display_name", "Ian B"}, {"bio", ""}}).status,
            303);
  auto again = anon.get("/u/set_ian");
  EXPECT_NE(again.body.find("<span class=\"display-name\">Ian B</span>"), std::string::npos);
  EXPECT_EQ(again.body.find("class=\"bio\""), std::string::npos);
  EXPECT_EQ(anon.get("/settings").status, 303);  // log in first
  auto no_csrf = ian->post_raw("/settings/profile", "display_name=x&bio=y", {"Origin: " + base()});
  EXPECT_EQ(no_csrf.status, 403);
}

TEST_P(Pages, ChangePasswordKeepsThisBrowserAndLogsOutTheOthers) {
  auto jan = user("pw_jan");
  Browser other(base());
  ASSERT_EQ(other.login("pw_jan", "correct horse").status, 303);
  ASSERT_NE(other.get("/").body.find("@pw_jan"), std::string::npos);
  auto mismatch = jan->submit("/settings", "/settings/password",
                              {{"current_password", "correct horse"},
                               {"new_password", "battery staple"},
                               {"new_password_again", "battery stapler"}});
  EXPECT_EQ(mismatch.status, 422);
  EXPECT_NE(error_message(mismatch.body).find("not the same"), std::string::npos);
  EXPECT_EQ(mismatch.body.find("battery staple"), std::string::npos) << "a password was shown again";
  auto wrong = jan->submit("/settings", "/settings/password",
                           {{"current_password", "not my password"},
                            {"new_password", "battery staple"},
                            {"new_password_again", "battery staple"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(error_message(wrong.body).find("current password is wrong"), std::string::npos);
  auto ok = jan->submit("/settings", "/settings/password",
                        {{"current_password", "correct horse"},
                         {"new_password", "battery staple"},
                         {"new_password_again", "battery staple"}});
  ASSERT_EQ(ok.status, 303);
  EXPECT_EQ(ok.header("location"), "/settings?password=changed");
  EXPECT_NE(jan->get("/settings?password=changed").body.find("Password changed"), std::string::npos);
  EXPECT_EQ(other.get("/").body.find("@pw_jan"), std::string::npos) << "the other browser is still logged in";
  Browser again(base());
  EXPECT_EQ(again.login("pw_jan", "correct horse").status, 401);
  EXPECT_EQ(again.login("pw_jan", "battery staple").status, 303);
}

TEST_P(Pages, DeleteAccountNeedsConfirmationAndPasswordWithoutJavaScriptAndLogsEveryBrowserOut) {
  auto kay = user("gone_kay");
  auto lou = user("gone_lou");
  Browser other(base());
  ASSERT_EQ(other.login("gone_kay", "correct horse").status, 303);
  ASSERT_EQ(lou->submit("/u/gone_kay", "/follow/gone_kay", {}).status, 303);
  ASSERT_EQ(kay->post("kay's last words").status, 303);
  const std::string id = first_uweet_id(kay->get("/u/gone_kay").body);
  ASSERT_FALSE(id.empty());
  ASSERT_NE(lou->get("/").body.find("id=\"uweet-" + id + "\""), std::string::npos);

  EXPECT_NE(kay->get("/settings").body.find("href=\"/settings/delete\""), std::string::npos);
  auto confirm = kay->get("/settings/delete");
  ASSERT_EQ(confirm.status, 200);
  EXPECT_NE(confirm.body.find("Delete your account?"), std::string::npos);
  EXPECT_NE(confirm.body.find("stays reserved for 30 days"), std::string::npos);
  auto unticked = kay->submit("/settings/delete", "/settings/delete", {{"password", "correct horse"}});
  EXPECT_EQ(unticked.status, 422);
  EXPECT_NE(error_message(unticked.body).find("Tick the box"), std::string::npos);
  auto wrong = kay->submit("/settings/delete", "/settings/delete",
                           {{"password", "not my password"}, {"confirm", "yes"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(error_message(wrong.body).find("password is wrong"), std::string::npos);
  EXPECT_EQ(wrong.body.find("not my password"), std::string::npos) << "a password was shown again";
  auto no_csrf =
      kay->post_raw("/settings/delete", "password=correct+horse&confirm=yes", {"Origin: " + base()});
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(lou->get("/u/gone_kay").status, 200) << "nothing was deleted yet";

  auto done = kay->submit("/settings/delete", "/settings/delete",
                          {{"password", "correct horse"}, {"confirm", "yes"}});
  ASSERT_EQ(done.status, 200);
  EXPECT_NE(done.body.find("Your account is deleted"), std::string::npos);
  EXPECT_EQ(kay->get("/").body.find("@gone_kay"), std::string::npos) << "this browser is still logged in";
  EXPECT_EQ(other.get("/").body.find("@gone_kay"), std::string::npos)
      << "the other browser is still logged in";
  EXPECT_EQ(lou->get("/").body.find("id=\"uweet-" + id + "\""), std::string::npos);
  EXPECT_EQ(lou->get("/u/gone_kay").status, 404);
  EXPECT_EQ(lou->get("/u/gone_kay/" + id).status, 404);
  Browser again(base());
  EXPECT_EQ(again.login("gone_kay", "correct horse").status, 401);
  auto taken = again.register_user("Gone_Kay");
  EXPECT_EQ(taken.status, 409);
  EXPECT_NE(error_message(taken.body).find("registered again after"), std::string::npos);
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

TEST_P(Pages, UweetLengthIsCheckedInCodePoints) {
  auto frank = user("frank");
  std::string too_long(142, 'x');
  auto r = frank->post(too_long);
  EXPECT_EQ(r.status, 422);
  EXPECT_FALSE(error_message(r.body).empty());
  EXPECT_NE(r.body.find(">" + too_long + "</textarea>"), std::string::npos) << "text kept in the form";
  EXPECT_EQ(count_on_profile(frank->get("/u/frank").body, "uweets"), 0);
  std::string emoji;
  for (int i = 0; i < 141; ++i) emoji += "\xF0\x9F\x98\x80";  // 141 code points, 564 bytes
  EXPECT_EQ(frank->post(emoji).status, 303);
  EXPECT_EQ(frank->post("   ").status, 422) << "blank";
  EXPECT_EQ(count_on_profile(frank->get("/u/frank").body, "uweet"), 1);
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

TEST_P(Pages, MarkupInUweetsIsShownEscaped) {
  auto hank = user("hank");
  ASSERT_EQ(hank->post("<script>alert('x')</script> & <b>bold</b>").status, 303);
  for (const std::string path : {"/", "/u/hank", "/search?q=alert"}) {
    auto page = hank->get(path);
    EXPECT_EQ(page.body.find("<script>alert"), std::string::npos) << path;
    EXPECT_NE(page.body.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"),
              std::string::npos)
        << path;
  }
}

TEST_P(Pages, MarkupAsUsernameIsRejectedAndEchoedEscaped) {
  Browser b(base());
  auto r = b.register_user("<script>x</script>");
  EXPECT_EQ(r.status, 422);
  EXPECT_FALSE(error_message(r.body).empty());
  EXPECT_EQ(r.body.find("<script>x"), std::string::npos);
  EXPECT_NE(r.body.find("value=\"&lt;script&gt;x&lt;/script&gt;\""), std::string::npos);
  EXPECT_EQ(b.get("/u/%3Cscript%3Ex%3C%2Fscript%3E").status, 404);
}

TEST_P(Pages, SqlMetacharactersAreJustText) {
  auto ivan = user("ivan");
  const std::string sql = "'; DROP TABLE users; -- \" OR 1=1";
  ASSERT_EQ(ivan->post(sql).status, 303);
  EXPECT_NE(ivan->get("/u/ivan").body.find("&#39;; DROP TABLE users; -- &quot; OR 1=1"), std::string::npos);
  EXPECT_EQ(ivan->get("/search?q=%27%20OR%201%3D1%20--").status, 200);
  EXPECT_EQ(ivan->get("/search?q=%22%2A%20NEAR%28").status, 200) << "FTS syntax is not interpreted";
  Browser b(base());
  EXPECT_EQ(b.login("ivan' --", "whatever1").status, 401);
  EXPECT_EQ(b.register_user("x' OR '1'='1").status, 422);
  EXPECT_EQ(b.get("/u/ivan").status, 200) << "users table still there";
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

// Timelines show 50 uweets a page, newest first, with an "Older uweets" link that
// continues exactly where the page ended (no uweet twice, none skipped).
TEST_P(PagesPagination, OlderLinkWalksTheWholeTimeline) {
  WebServer server;
  HttpClient api(server.base());
  const std::string json = "Content-Type: application/json";
  ASSERT_EQ(
      api.request("POST", "/api/v1/accounts", R"({"username":"pager","password":"correct horse"})", {json})
          .status,
      201);
  auto login =
      api.request("POST", "/api/v1/sessions", R"({"username":"pager","password":"correct horse"})", {json});
  ASSERT_EQ(login.status, 201);
  const std::string auth = "Authorization: Bearer " + login.json()["token"].get<std::string>();
  const int total = 73;
  for (int i = 1; i <= total; ++i) {
    nlohmann::json body = {{"text", "page uweet " + std::to_string(i) + "."}};
    ASSERT_EQ(api.request("POST", "/api/v1/uweets", body.dump(), {json, auth}).status, 201);
  }
  for (const std::string start : {"/", "/u/pager"}) {
    std::vector<int> seen;
    std::string path = start;
    int pages = 0;
    while (!path.empty() && pages < 10) {
      ++pages;
      auto r = api.get(path);
      ASSERT_EQ(r.status, 200) << path;
      static const std::regex item(R"(page uweet ([0-9]+)\.)");
      for (std::sregex_iterator it(r.body.begin(), r.body.end(), item), end; it != end; ++it) {
        seen.push_back(std::stoi((*it)[1].str()));
      }
      std::smatch m;
      static const std::regex older(R"re(rel="next" href="([^"]+)")re");
      path =
          std::regex_search(r.body, m, older) ? std::regex_replace(m[1].str(), std::regex("&amp;"), "&") : "";
    }
    EXPECT_EQ(pages, 2) << start;
    ASSERT_EQ(seen.size(), static_cast<size_t>(total)) << start;
    for (int i = 0; i < total; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], total - i) << start;
  }
}

TEST_P(PagesNotifications, HookCarriesATicketWhenANotifierIsConfigured) {
  WebServer server({"--notifier-url", "http://127.0.0.1:7701"});
  Browser b(server.base());
  ASSERT_EQ(b.register_user("mia").status, 303);
  for (const std::string path : {"/", "/u/mia", "/notifications"}) {
    auto page = b.get(path);
    ASSERT_EQ(page.status, 200) << path;
    std::smatch m;
    static const std::regex hook(
        R"re(<div id="notif" data-ticket-url="/api/v1/notifications/ticket" data-notifier-url="http://127.0.0.1:7701" data-ticket="([^"]+)" hidden></div>)re");
    EXPECT_TRUE(std::regex_search(page.body, m, hook)) << path;
  }
  auto list = b.get("/notifications");
  EXPECT_NE(list.body.find("id=\"notif-items\""), std::string::npos);
  EXPECT_EQ(Browser(server.base()).get("/notifications").header("location").rfind("/accounts/login", 0), 0u)
      << "anonymous visitors are sent to log in";
}

TEST_P(PagesNotifications, WithSeveralNotifiersTheHookNamesTheUsersOwnAndTheFallbackOrder) {
  WebServer server({"--notifier-url", "http://127.0.0.1:7701,http://127.0.0.1:7711"});
  Browser b(server.base());
  ASSERT_EQ(b.register_user("nora").status, 303);
  // The API's order for this user (its ticket route takes the session cookie).
  auto t = b.get("/api/v1/notifications/ticket");
  ASSERT_EQ(t.status, 200) << t.body;
  const auto order = t.json()["notifiers"].get<std::vector<std::string>>();
  ASSERT_EQ(order.size(), 2u);
  const std::string urls = "data-notifier-urls=\"" + order[0] + " " + order[1] + "\"";
  for (const std::string path : {"/", "/notifications"}) {
    auto page = b.get(path);
    ASSERT_EQ(page.status, 200) << path;
    const std::regex hook(
        "<div id=\"notif\" data-ticket-url=\"/api/v1/notifications/ticket\" data-notifier-url=\"" + order[0] +
        "\" data-ticket=\"[^\"]+\" " + urls + " hidden></div>");
    EXPECT_TRUE(std::regex_search(page.body, hook)) << path << "\n" << page.body.substr(0, 3000);
  }
  auto list = b.get("/notifications");
  EXPECT_NE(list.body.find("id=\"notifications\" data-ticket-url=\"/api/v1/notifications/ticket\" "
                           "data-notifier-url=\"" +
                           order[0] + "\""),
            std::string::npos);
  EXPECT_NE(list.body.find(urls + "><p id=\"notif-status\""), std::string::npos);
  const std::string csp = list.header("content-security-policy");
  EXPECT_NE(csp.find("connect-src 'self' http://127.0.0.1:7701 http://127.0.0.1:7711;"), std::string::npos)
      << csp;
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

// The stored history on /notifications, without JavaScript: rendered by the
// server, unread ones marked, a form button that marks them read.
TEST_P(Pages, NotificationsPageShowsTheStoredHistoryAndMarksItReadWithoutJavaScript) {
  auto nia = user("nia");
  auto oto = user("oto");
  ASSERT_EQ(nia->submit("/u/oto", "/follow/oto", {}).status, 303);
  ASSERT_EQ(oto->post("hello @nia <b>tea</b>").status, 303);
  ASSERT_EQ(oto->post("just tea").status, 303);

  auto page = nia->get("/notifications");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("2 unread"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("class=\"notif notif-mention unread\""), std::string::npos);
  EXPECT_NE(page.body.find("class=\"notif notif-uweet unread\""), std::string::npos);
  EXPECT_NE(page.body.find("&lt;b&gt;tea&lt;/b&gt;"), std::string::npos) << "the uweet, escaped";
  EXPECT_NE(page.body.find("<a class=\"mention\" href=\"/u/nia\""), std::string::npos)
      << "its mention linked";
  EXPECT_EQ(page.body.find("<b>tea</b>"), std::string::npos);
  EXPECT_NE(page.body.find("Mark all as read"), std::string::npos);
  EXPECT_NE(oto->get("/notifications").body.find("followed you"), std::string::npos);

  // The button, as a browser without JavaScript sends it.
  const std::string up_to = html_input_value(page.body, "up_to");
  ASSERT_FALSE(up_to.empty());
  auto marked = nia->submit("/notifications", "/notifications/read", {{"up_to", up_to}});
  ASSERT_EQ(marked.status, 303) << marked.body;
  EXPECT_EQ(marked.header("location"), "/notifications");
  auto read = nia->get("/notifications");
  EXPECT_EQ(read.body.find(" unread\""), std::string::npos) << "nothing shown as unread";
  EXPECT_NE(read.body.find("All read."), std::string::npos);
  EXPECT_NE(read.body.find("just tea"), std::string::npos) << "read ones stay listed";

  auto bad = nia->submit("/notifications", "/notifications/read", {{"up_to", "soon"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(error_message(bad.body).find("not a notification"), std::string::npos) << bad.body;
  EXPECT_EQ(nia->post_raw("/notifications/read", "up_to=" + up_to, {"Origin: " + base()}).status, 403)
      << "no csrf field";
  EXPECT_EQ(nia->get("/notifications?before=x").status, 400);
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

TEST_P(PagesRateLimits, SignUpAndPostFormsPastTheirLimitsAre429WithTheWait) {
  WebServer server(
      {"--signup-burst", "1", "--signup-rate", "1/h", "--post-burst", "1", "--post-rate", "1/h"});
  Browser first(server.base());
  ASSERT_EQ(first.register_user("nina").status, 303);
  Browser second(server.base());
  auto r = second.register_user("omar");
  EXPECT_EQ(r.status, 429);
  EXPECT_GT(std::stol(r.header("retry-after").empty() ? "0" : r.header("retry-after")), 0);
  EXPECT_NE(error_message(r.body).find("Too many sign-ups"), std::string::npos) << r.body;
  ASSERT_EQ(first.post("the one uweet").status, 303);
  auto p = first.post("one too many");
  EXPECT_EQ(p.status, 429);
  EXPECT_NE(error_message(p.body).find("try again in"), std::string::npos) << p.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, Pages, web_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, PagesPagination, web_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, PagesNotifications, web_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, PagesThrottle, web_backends(), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, PagesRateLimits, web_backends(), backend_name);

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
