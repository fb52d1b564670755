// web/http/pages_people.cpp against the real uwitter-web: profiles, the followers
// and following lists, the follow and unfollow buttons, and the names that
// cannot be anybody's.
#include <gtest/gtest.h>

#include <string>

#include "tests/web/http/pages_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {
namespace {

bool lists(const std::string& html, const std::string& name) {
  return html.find("href=\"/u/" + name + "\">@" + name + "</a></li>") != std::string::npos;
}

TEST_P(Pages, FollowersAndFollowingListsShowWhoFollowsWhom) {
  auto ann = user("pp_ann");
  auto bo = user("pp_bo");
  auto cy = user("pp_cy");
  ASSERT_EQ(bo->submit("/u/pp_ann", "/follow/pp_ann", {}).status, 303);
  ASSERT_EQ(cy->submit("/u/pp_ann", "/follow/pp_ann", {}).status, 303);
  ASSERT_EQ(ann->submit("/u/pp_bo", "/follow/pp_bo", {}).status, 303);

  auto followers = cy->get("/u/pp_ann/followers");
  ASSERT_EQ(followers.status, 200);
  EXPECT_TRUE(lists(followers.body, "pp_bo")) << followers.body;
  EXPECT_TRUE(lists(followers.body, "pp_cy"));
  EXPECT_FALSE(lists(followers.body, "pp_ann"));
  auto following = cy->get("/u/pp_ann/following");
  ASSERT_EQ(following.status, 200);
  EXPECT_TRUE(lists(following.body, "pp_bo"));
  EXPECT_FALSE(lists(following.body, "pp_cy"));
  EXPECT_EQ(count_on_profile(cy->get("/u/pp_ann").body, "followers"), 2);

  // Following twice is one follow; unfollowing takes it away from the lists.
  ASSERT_EQ(bo->submit("/u/pp_ann", "/follow/pp_ann", {}).status, 303);
  EXPECT_EQ(count_on_profile(cy->get("/u/pp_ann").body, "followers"), 2);
  ASSERT_EQ(cy->submit("/u/pp_ann", "/unfollow/pp_ann", {}).status, 303);
  EXPECT_FALSE(lists(bo->get("/u/pp_ann/followers").body, "pp_cy"));
  EXPECT_EQ(count_on_profile(bo->get("/u/pp_ann").body, "follower"), 1);
}

TEST_P(Pages, PeoplePagesOfNobodyOrOfANameNobodyCanHaveAreHelpful404s) {
  Browser anon(base());
  for (const std::string path : {"/u/pp_nobody", "/u/pp_nobody/followers", "/u/pp_nobody/following"}) {
    auto r = anon.get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("Nobody here is called @pp_nobody"), std::string::npos) << path << r.body;
  }
  // Not a username at all (a space, percent-encoded; markup): the same page,
  // the name shown escaped.
  EXPECT_EQ(anon.get("/u/two%20words").status, 404);
  auto markup = anon.get("/u/%3Cb%3Ex/followers");
  EXPECT_EQ(markup.status, 404);
  EXPECT_EQ(markup.body.find("<b>x"), std::string::npos) << markup.body;
  // A page cursor that is not a number is the visitor's mistake, said so.
  auto ann = user("pp_dee");
  for (const std::string path : {"/u/pp_dee?before=soon", "/u/pp_dee/followers?before=x"}) {
    auto r = ann->get(path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_NE(r.body.find("“before” value must be"), std::string::npos) << path << r.body;
  }
}

TEST_P(Pages, FollowingNeedsALogInAndSomebodyToFollow) {
  auto eve = user("pp_eve");
  // Logged out: sent to the log-in page, which brings the visitor back to the profile.
  Browser anon(base());
  auto r = anon.submit("/accounts/login", "/follow/pp_eve", {});
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.header("location"), "/accounts/login?next=%2Fu%2Fpp_eve");
  EXPECT_EQ(count_on_profile(eve->get("/u/pp_eve").body, "followers"), 0);
  // Logged in, an unknown name: its 404 page, nothing followed.
  auto nobody = eve->submit("/", "/follow/pp_nobody", {});
  EXPECT_EQ(nobody.status, 404);
  EXPECT_NE(nobody.body.find("Nobody here is called @pp_nobody"), std::string::npos);
  EXPECT_EQ(count_on_profile(eve->get("/u/pp_eve").body, "following"), 0);
}

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
