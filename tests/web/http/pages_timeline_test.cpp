// web/http/pages_timeline.cpp against the real uwitter-web: the home and front
// pages, posting, pagination, the notification hook and page, the form limits.
#include <gtest/gtest.h>

#include <string>

#include "tests/web/http/pages_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {
namespace {

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

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
