// web/http/pages_uweet.cpp against the real uwitter-web: the permalink, the delete
// confirmation and the delete.
#include <gtest/gtest.h>

#include <string>

#include "tests/web/http/pages_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {
namespace {

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

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
