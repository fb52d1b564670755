// web/http/assets.cpp: the files of web/static/ are embedded byte for byte,
// each with its type, a content hash as ETag and in its URL, and found only
// at its own /static/ path.
#include "web/http/assets.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "bench/kit/temp_dir.hpp"

namespace uw::web {
namespace {

std::string read_source(std::string_view name) {
  return kit::read_file(std::string(UWITTER_SOURCE_DIR) + "/web/static/" + std::string(name));
}

TEST(Assets, EachFileOfWebStaticIsEmbeddedAsItIs) {
  ASSERT_EQ(assets().size(), 4u);
  for (const auto& a : assets()) {
    const std::string file = read_source(a.name);
    ASSERT_FALSE(file.empty()) << a.name;
    EXPECT_EQ(a.body, file) << a.name << " differs from web/static/" << a.name;
  }
  EXPECT_EQ(kAppCss, read_source("app.css"));
  EXPECT_EQ(kNotifyJs, read_source("notify.js"));
}

TEST(Assets, TypesHashesAndVersionedUrls) {
  std::set<std::string> etags;
  for (const auto& a : assets()) {
    EXPECT_TRUE(std::regex_match(a.etag, std::regex("\"[0-9a-f]{16}\""))) << a.etag;
    EXPECT_EQ(a.url, "/static/" + std::string(a.name) + "?v=" + a.etag.substr(1, 16));
    etags.insert(a.etag);
    if (a.name.ends_with(".js")) {
      EXPECT_EQ(a.content_type, "text/javascript; charset=utf-8");
      EXPECT_TRUE(a.in_every_page) << a.name;
    } else {
      EXPECT_FALSE(a.in_every_page) << a.name;
    }
  }
  EXPECT_EQ(etags.size(), assets().size());  // different bodies, different hashes
  EXPECT_EQ(find_asset("/static/app.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(find_asset("/static/favicon.svg")->content_type, "image/svg+xml");
  // app.js defines the helpers notify.js uses: it loads first.
  std::vector<std::string_view> scripts;
  for (const auto& a : assets())
    if (a.in_every_page) scripts.push_back(a.name);
  EXPECT_EQ(scripts, (std::vector<std::string_view>{"app.js", "notify.js"}));
}

TEST(Assets, FoundOnlyAtTheirOwnPath) {
  for (const auto& a : assets()) EXPECT_EQ(find_asset("/static/" + std::string(a.name)), &a);
  EXPECT_EQ(find_asset("/static/"), nullptr);
  EXPECT_EQ(find_asset("/static/nope.js"), nullptr);
  EXPECT_EQ(find_asset("/app.css"), nullptr);
  EXPECT_EQ(find_asset("/static/app.css/"), nullptr);
  EXPECT_EQ(find_asset("/static/../static/app.css"), nullptr);
  EXPECT_EQ(find_asset("/STATIC/app.css"), nullptr);
}

}  // namespace
}  // namespace uw::web
