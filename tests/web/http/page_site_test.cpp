// web/http/page_site.*: what the page handlers share, apart from a live
// Service — ?before= parsing, where a login may send the browser next, when
// the shared anonymous front page must be rendered again, and how a failed
// write reads on a form. (The handlers' requests, cookies and redirects run
// against the real uwitter-web in pages_test.cpp.)
#include "web/http/page_site.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace uw::web {
namespace {

TEST(ParseBefore, APositiveIdOrNothingIsAcceptedAndAnythingElseIsRefused) {
  std::optional<int64_t> before;
  EXPECT_TRUE(parse_before("", &before));
  EXPECT_FALSE(before.has_value());
  EXPECT_TRUE(parse_before("before=", &before));
  EXPECT_FALSE(before.has_value());
  EXPECT_TRUE(parse_before("q=x&before=42", &before));
  EXPECT_EQ(before, 42);
  for (const char* bad : {"before=0", "before=-3", "before=12abc", "before=abc", "before=1.5",
                          "before=99999999999999999999", "before=%2B5"}) {
    std::optional<int64_t> out;
    EXPECT_FALSE(parse_before(bad, &out)) << bad;
    EXPECT_FALSE(out.has_value()) << bad;
  }
}

TEST(SafeNext, OnlyALocalPathSurvivesEverythingElseGoesHome) {
  EXPECT_EQ(safe_next("/u/alice"), "/u/alice");
  EXPECT_EQ(safe_next("/search?q=cats"), "/search?q=cats");
  // Open redirects and header injection.
  for (const char* bad : {"", "u/alice", "https://evil.example/", "//evil.example/", "/\\evil.example",
                          "/ok\r\nSet-Cookie: x=1", "/ok\nx", "javascript:alert(1)"})
    EXPECT_EQ(safe_next(bad), "/") << bad;
}

TEST(SharedPage, FreshOnlyForTheSameDataAndUnderASecondOld) {
  SharedPage p;
  EXPECT_FALSE(p.fresh(0, 0)) << "never rendered";
  p.version = 7;
  p.rendered_ms = 10'000;
  EXPECT_TRUE(p.fresh(7, 10'000));
  EXPECT_TRUE(p.fresh(7, 10'000 + SharedPage::kMaxAgeMs - 1));
  EXPECT_FALSE(p.fresh(7, 10'000 + SharedPage::kMaxAgeMs)) << "ages on it would be a second off";
  EXPECT_FALSE(p.fresh(8, 10'001)) << "a post or a delete since";
  EXPECT_FALSE(p.fresh(7, 9'999)) << "the clock went back";
}

TEST(PageSiteFormError, UserErrorsAreShownAsTheyAreServerErrorsSayNothingWasSaved) {
  EXPECT_EQ(PageSite::form_error(Error{400, "too_long", "A uweet is at most 141 characters."}),
            "A uweet is at most 141 characters.");
  const std::string busy = PageSite::form_error(Error{503, "db_busy", "The database is busy.", 2});
  EXPECT_EQ(busy, "The database is busy. Nothing was saved; what you typed is still here.");
  for (const Error& e : {Error{500, "internal", "sqlite said: disk I/O error"}, Error{503, "x", "", 0}}) {
    const std::string m = PageSite::form_error(e);
    EXPECT_EQ(m.find("sqlite"), std::string::npos) << "internals never reach the page";
    EXPECT_NE(m.find("Nothing was saved"), std::string::npos) << m;
  }
  EXPECT_EQ(PageSite::retry_after(Error{429, "slow_down", "Slow down.", 30}), 30);
  EXPECT_EQ(PageSite::retry_after(Error{400, "bad", "Bad."}), std::nullopt);
}

}  // namespace
}  // namespace uw::web
