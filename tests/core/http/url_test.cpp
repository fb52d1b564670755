// uw::http url_decode / url_encode / form_value: tables of good and bad inputs.
#include <gtest/gtest.h>

#include "core/http/server.hpp"

using namespace uw::http;

TEST(Url, DecodesGoodInputs) {
  struct Case {
    std::string in;
    bool plus;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"", false, ""},
      {"plain", false, "plain"},
      {"a%20b", false, "a b"},
      {"a+b", false, "a+b"},
      {"a+b", true, "a b"},
      {"%2B", true, "+"},
      {"%e2%82%AC", false, "\xe2\x82\xac"},
      {"%00", false, std::string(1, '\0')},
      {"%ff%fe", false, "\xff\xfe"},  // not UTF-8: fine at this layer
      {"100%25", false, "100%"},
  };
  for (const auto& c : cases) {
    auto got = url_decode(c.in, c.plus);
    ASSERT_TRUE(got.has_value()) << c.in;
    EXPECT_EQ(*got, c.out) << c.in;
  }
}

TEST(Url, RejectsBadPercentEscapes) {
  for (const char* bad : {"%", "%2", "a%", "%zz", "%2g", "%g2", "ab%-1", "%%", "%+1"})
    EXPECT_FALSE(url_decode(bad, true).has_value()) << bad;
}

TEST(Url, EncodeRoundTripsAnyBytes) {
  EXPECT_EQ(url_encode("a b&c=d/é~._-"), "a%20b%26c%3Dd%2F%C3%A9~._-");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto back = url_decode(url_encode(all), false);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
  EXPECT_EQ(url_decode(url_encode("x+y z"), true), "x+y z");
}

TEST(Url, FindsFormValues) {
  struct Case {
    std::string form, key;
    std::optional<std::string> value;
  };
  const std::vector<Case> cases = {
      {"a=1&b=2", "b", "2"},
      {"a=1&b=2", "a", "1"},
      {"a=1&b=2", "c", std::nullopt},
      {"text=hello+world%21", "text", "hello world!"},
      {"a=1&a=2", "a", "1"},     // first wins
      {"flag&x=1", "flag", ""},  // no '=': empty value
      {"&&x=1&&", "x", "1"},     // empty pairs skipped
      {"x=", "x", ""},
      {"na%6De=v", "name", "v"},     // keys compared decoded
      {"x=%zz", "x", std::nullopt},  // undecodable value is absent
      {"x=a=b", "x", "a=b"},
      {"", "x", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(form_value(c.form, c.key), c.value) << c.form << " / " << c.key;
}
