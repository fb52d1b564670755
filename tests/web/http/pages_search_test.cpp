// web/http/pages_search.cpp against the real uwitter-web: the form, results, no
// results, and queries the search refuses (a message on the page, never a 5xx).
#include <gtest/gtest.h>

#include <string>

#include "tests/web/http/pages_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {
namespace {

TEST_P(Pages, SearchShowsTheFormThenResultsOrSaysThereAreNone) {
  auto fay = user("ps_fay");
  ASSERT_EQ(fay->post("a zebrafish swam by").status, 303);
  Browser anon(base());
  auto form = anon.get("/search");
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("name=\"q\""), std::string::npos) << form.body;
  EXPECT_EQ(error_message(form.body), "");
  EXPECT_EQ(anon.get("/search?q=%20%20").status, 200);  // a blank box: just the form

  auto found = anon.get("/search?q=zebrafish");
  ASSERT_EQ(found.status, 200);
  EXPECT_NE(found.body.find("a zebrafish swam by"), std::string::npos) << found.body;
  EXPECT_NE(found.body.find("value=\"zebrafish\""), std::string::npos) << "the box keeps the query";
  auto none = anon.get("/search?q=okapiwords");
  ASSERT_EQ(none.status, 200);
  EXPECT_NE(none.body.find("No uweets match"), std::string::npos) << none.body;
  EXPECT_EQ(none.body.find("a zebrafish swam by"), std::string::npos);
}

TEST_P(Pages, SearchQueriesItRefusesGetAMessageAndOddOnesAreJustWords) {
  Browser anon(base());
  auto longer = anon.get("/search?q=" + std::string(300, 'a'));
  EXPECT_EQ(longer.status, 400);
  EXPECT_NE(error_message(longer.body).find("at most 256 bytes"), std::string::npos) << longer.body;
  auto bad_utf8 = anon.get("/search?q=%C3%28");
  EXPECT_EQ(bad_utf8.status, 400);
  EXPECT_NE(error_message(bad_utf8.body).find("not valid UTF-8"), std::string::npos) << bad_utf8.body;
  auto cursor = anon.get("/search?q=zebrafish&before=later");
  EXPECT_EQ(cursor.status, 400);
  // Operators, quotes and markup of both search engines are only words here.
  for (const std::string q :
       {"%22unclosed", "a%20AND%20OR%20NOT", "%26%7C!%3C-%3E", "NEAR(x%20y)", "*", "%3Cscript%3E"}) {
    auto r = anon.get("/search?q=" + q);
    EXPECT_EQ(r.status, 200) << q << ": " << error_message(r.body);
    EXPECT_EQ(r.body.find("<script>"), std::string::npos) << q;
  }
}

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
