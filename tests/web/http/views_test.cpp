// web/http/views.cpp: every page's frame (assets, nav, the live-notification
// hook), user text escaped everywhere, the pieces each view shows or leaves
// out, and nothing the CSP would refuse (inline scripts, style="", on*=).
#include "web/http/views.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <regex>

#include "web/http/assets.hpp"

namespace uw::web::views {
namespace {

bool has(const std::string& doc, const std::string& part) { return doc.find(part) != std::string::npos; }

// Every part is in doc.
void expect_has(const std::string& doc, std::initializer_list<std::string> parts) {
  for (const auto& p : parts) EXPECT_TRUE(has(doc, p)) << "missing: " << p << "\nin: " << doc;
}

Frame anonymous(std::string title = "Home") {
  Frame f;
  f.title = std::move(title);
  f.csrf = "csrf-tok";
  f.now_ms = 1'790'000'000'000;
  return f;
}

Frame logged_in(std::string title = "Home") {
  Frame f = anonymous(std::move(title));
  f.viewer = Viewer{3, "carol"};
  return f;
}

Uweet uweet(int64_t id, std::string author, std::string text) {
  Uweet u;
  u.id = id;
  u.author = std::move(author);
  u.text = std::move(text);
  u.created_at = 1'790'000'000'000 - 60'000;
  return u;
}

// What the Content-Security-Policy forbids must never be rendered.
void expect_csp_clean(const std::string& doc) {
  EXPECT_FALSE(std::regex_search(doc, std::regex("<script(?![^>]*\\bsrc=)"))) << "inline <script>";
  EXPECT_FALSE(std::regex_search(doc, std::regex("\\sstyle=")));
  EXPECT_FALSE(std::regex_search(doc, std::regex("\\son[a-z]+=")));
}

TEST(Views, TheLayoutLoadsEveryAssetByItsVersionedUrlScriptsInTableOrder) {
  const std::string doc = layout(anonymous(), "<p>x</p>");
  EXPECT_EQ(doc.rfind("<!doctype html>", 0), 0u);
  EXPECT_TRUE(has(doc, "<title>Home · Uwitter</title>"));
  size_t last_script = 0;
  for (const auto& a : assets()) {
    ASSERT_TRUE(has(doc, "\"" + a.url + "\"")) << a.name;
    if (a.in_every_page) {
      const size_t at = doc.find("<script src=\"" + a.url + "\" defer></script>");
      ASSERT_NE(at, std::string::npos) << a.name;
      EXPECT_GT(at, last_script) << a.name << " loads out of order";
      last_script = at;
    }
  }
  EXPECT_TRUE(has(doc, "<main class=\"col\" id=\"main\"><p>x</p></main>"));
  expect_csp_clean(doc);
}

TEST(Views, NavigationDependsOnTheViewer) {
  const std::string anon = layout(anonymous(), "");
  EXPECT_TRUE(has(anon, "href=\"/accounts/login\""));
  EXPECT_TRUE(has(anon, "href=\"/accounts/register\""));
  EXPECT_FALSE(has(anon, "/accounts/logout"));
  EXPECT_FALSE(has(anon, "id=\"notif\""));

  const std::string me = layout(logged_in(), "");
  EXPECT_TRUE(has(me, "<a class=\"me\" href=\"/u/carol\">@carol</a>"));
  EXPECT_TRUE(
      has(me, "action=\"/accounts/logout\"><input type=\"hidden\" name=\"csrf\" value=\"csrf-tok\">"));
  EXPECT_FALSE(has(me, "href=\"/accounts/register\""));
  EXPECT_FALSE(has(me, "id=\"notif\""));  // no notifier configured
}

TEST(Views, TheNotificationHookCarriesTheNotifierAndTicketWhenLoggedIn) {
  Frame f = logged_in();
  f.notifier_url = "http://127.0.0.1:9/\"x";
  f.ticket = "t<1>";
  const std::string doc = layout(f, "");
  EXPECT_TRUE(has(doc, "data-notifier-url=\"http://127.0.0.1:9/&quot;x\""));
  EXPECT_TRUE(has(doc, "data-ticket=\"t&lt;1&gt;\""));
  Frame anon = anonymous();
  anon.notifier_url = f.notifier_url;
  EXPECT_FALSE(has(layout(anon, ""), "id=\"notif\""));  // only for a viewer
}

TEST(Views, UserTextIsEscapedEverywhere) {
  Frame f = anonymous("<T>");
  f.search_q = "\"><script>";
  const std::string doc = layout(f, "");
  EXPECT_TRUE(has(doc, "<title>&lt;T&gt; · Uwitter</title>"));
  EXPECT_TRUE(has(doc, "value=\"&quot;&gt;&lt;script&gt;\""));
  EXPECT_FALSE(has(doc, "<script>"));
  EXPECT_EQ(csrf_field("a\"b"), "<input type=\"hidden\" name=\"csrf\" value=\"a&quot;b\">");

  const std::string item = uweet_item(uweet(5, "bob", "<img src=x> & co"), f.now_ms);
  expect_has(item, {"id=\"uweet-5\"", "href=\"/u/bob\">@bob</a>", "&lt;img src=x&gt; &amp; co"});
  EXPECT_FALSE(has(item, "<img"));
}

TEST(Views, ATimelineListsNewestFirstWithAPagerOrSaysItIsEmpty) {
  TimelineView t;
  t.empty_text = "Nothing <yet>";
  EXPECT_EQ(timeline(t, 0), "<p class=\"card empty\">Nothing &lt;yet&gt;</p>");
  t.items = {uweet(9, "alice", "second"), uweet(8, "bob", "first")};
  const std::string no_pager = timeline(t, 1'790'000'000'000);
  EXPECT_LT(no_pager.find("uweet-9"), no_pager.find("uweet-8"));
  EXPECT_FALSE(has(no_pager, "Older uweets"));
  t.next_before = 8;
  t.older_base = "/search?q=a&b&";
  EXPECT_TRUE(has(timeline(t, 0), "href=\"/search?q=a&amp;b&amp;before=8\">Older uweets</a>"));
}

TEST(Views, HomeHasTheComposeFormForAViewerAndTheHeroOtherwise) {
  HomeView v;
  v.compose.text = "draft <1>";
  v.compose.error = "Too long";
  const std::string me = home(logged_in(), v);
  EXPECT_TRUE(has(me, "action=\"/post\""));
  EXPECT_TRUE(has(me, ">draft &lt;1&gt;</textarea>"));
  EXPECT_TRUE(has(me, "<p class=\"error\" role=\"alert\">Too long</p>"));
  EXPECT_FALSE(has(me, "Create an account"));
  const std::string anon = home(anonymous(), HomeView{});
  EXPECT_FALSE(has(anon, "action=\"/post\""));
  EXPECT_TRUE(has(anon, "Latest from everyone"));
  expect_csp_clean(me);
}

TEST(Views, TheAuthFormsPostWhereTheyShouldAndKeepOnlyTheUsername) {
  AuthFormView v;
  v.username = "dave\"";
  v.next = "/u/bob";
  v.error = "Wrong password";
  const std::string login = auth_form(anonymous("Log in"), v);
  expect_has(login, {"action=\"/accounts/login\"", "name=\"next\" value=\"/u/bob\"", "value=\"dave&quot;\"",
                     "autocomplete=\"current-password\"", "Wrong password"});
  v.register_form = true;
  v.next.clear();
  const std::string reg = auth_form(anonymous("Sign up"), v);
  expect_has(reg, {"action=\"/accounts/register\"", "autocomplete=\"new-password\" minlength=\"8\"",
                   "pattern=\"[A-Za-z0-9_]{1,15}\""});
  EXPECT_FALSE(has(reg, "name=\"next\""));
}

TEST(Views, AProfileShowsCountsAndTheRightFollowControl) {
  ProfileView v;
  v.profile.user = User{2, "bob", 1'700'000'000};
  v.profile.counts = Counts{1, 2, 0};
  const std::string other = profile(logged_in("@bob"), v);
  expect_has(other,
             {"<h1>@bob</h1>", "<b>1</b> uweet<", "href=\"/u/bob/followers\"><b>2</b> followers</a>",
              "href=\"/u/bob/following\"><b>0</b> following</a>", "action=\"/follow/bob\"", "Joined "});
  v.profile.viewer_follows = true;
  EXPECT_TRUE(has(profile(logged_in("@bob"), v), "action=\"/unfollow/bob\""));
  v.profile.is_self = true;
  const std::string self = profile(logged_in("@bob"), v);
  EXPECT_FALSE(has(self, "/follow/bob"));
  EXPECT_FALSE(has(self, "Log in to follow"));
  const std::string anon = profile(anonymous("@bob"), v);
  EXPECT_TRUE(has(anon, "href=\"/accounts/login?next=%2Fu%2Fbob\">Log in to follow</a>"));
}

TEST(Views, PeopleListsUsersWithAPagerOrSaysThereAreNone) {
  PeopleView v;
  v.username = "bob";
  v.followers = false;
  EXPECT_TRUE(has(people(anonymous(), v), "Not following anyone yet."));
  v.followers = true;
  EXPECT_TRUE(has(people(anonymous(), v), "No followers yet."));
  v.users = {User{1, "alice", 0}, User{4, "dave", 0}};
  v.next_before = 4;
  const std::string doc = people(anonymous(), v);
  EXPECT_TRUE(has(doc, "People following <a href=\"/u/bob\">@bob</a>"));
  EXPECT_LT(doc.find("@alice"), doc.find("@dave"));
  EXPECT_TRUE(has(doc, "href=\"/u/bob/followers?before=4\">More</a>"));
}

TEST(Views, SearchShowsResultsOnlyForASearchWithoutError) {
  SearchView v;
  v.q = "tea & <cake>";
  EXPECT_FALSE(has(search(anonymous(), v), "Uweets matching"));
  v.searched = true;
  v.results.empty_text = "No uweets found.";
  const std::string doc = search(anonymous(), v);
  EXPECT_TRUE(has(doc, "Uweets matching “tea &amp; &lt;cake&gt;”"));
  EXPECT_TRUE(has(doc, "No uweets found."));
  v.error = "Type at least one word.";
  const std::string err = search(anonymous(), v);
  EXPECT_TRUE(has(err, "Type at least one word."));
  EXPECT_FALSE(has(err, "Uweets matching"));
}

TEST(Views, NotificationsNeedANotifier) {
  EXPECT_TRUE(has(notifications(logged_in(), NotificationsView{}), "Live notifications are unavailable"));
  NotificationsView live;
  live.notifier_url = "http://n:1";
  live.ticket = "tk";
  const std::string doc = notifications(logged_in(), live);
  EXPECT_TRUE(has(doc, "id=\"notifications\""));
  EXPECT_TRUE(has(doc, "data-notifier-url=\"http://n:1\" data-ticket=\"tk\""));
  EXPECT_TRUE(has(doc, "id=\"notif-items\""));
  expect_csp_clean(doc);
}

TEST(Views, NotificationsShowTheStoredHistoryWithUnreadOnesMarked) {
  NotificationsView v;  // no notifier: the stored list is shown anyway
  Notification follow;
  follow.key = {7, 3};
  follow.kind = NotificationKind::follow;
  follow.actor = "cid";
  follow.created_at = 1'700'000'000'000;
  Notification mention;
  mention.key = {7, 0};
  mention.kind = NotificationKind::mention;
  mention.actor = "bob";
  mention.uweet = Uweet{7, 2, "bob", "<b>hi</b> @amy", 1'700'000'000'000};
  v.list.page.items = {follow, mention};
  v.list.page.next_before = NotificationKey{7, 0};
  v.list.read_upto = {7, 0};  // the mention is read, the follow is not
  v.list.unread = 1;
  const std::string doc = notifications(logged_in(), v);
  EXPECT_TRUE(has(doc, "1 unread"));
  EXPECT_TRUE(has(doc, "class=\"notif notif-follow unread\" data-key=\"7.3\""));
  EXPECT_TRUE(has(doc, "class=\"notif notif-mention\" data-key=\"7.0\" data-uweet-id=\"7\""));
  EXPECT_TRUE(has(doc, "followed you"));
  EXPECT_TRUE(has(doc, "&lt;b&gt;hi&lt;/b&gt;"));
  EXPECT_FALSE(has(doc, "<b>hi</b>"));
  EXPECT_TRUE(has(doc, "name=\"up_to\" value=\"7.3\""));
  EXPECT_TRUE(has(doc, "href=\"/notifications?before=7.0\""));
  expect_csp_clean(doc);
}

TEST(Views, AnErrorPageSaysTheStatusAndWhenToRetry) {
  ErrorView v{429, "Slow down", "Too many <posts>.", 30};
  const std::string doc = error_page(anonymous("Slow down"), v);
  EXPECT_TRUE(has(doc, "<p class=\"big-status\">429</p>"));
  EXPECT_TRUE(has(doc, "<h1>Slow down</h1><p>Too many &lt;posts&gt;.</p>"));
  EXPECT_TRUE(has(doc, "try again in 30 seconds"));
  v.retry_after_s.reset();
  EXPECT_FALSE(has(error_page(anonymous(), v), "try again"));
}

}  // namespace
}  // namespace uw::web::views
