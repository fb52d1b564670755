// web/http/pages_settings.cpp against the real uwitter-web: the profile, the
// password and deleting the account.
#include <gtest/gtest.h>

#include <string>

#include "tests/web/http/pages_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {
namespace {

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

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
