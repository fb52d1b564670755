// Tests for web/http/csrf.cpp: the double-submit token and the Origin check.
#include "web/http/csrf.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>
#include <string>

namespace uw::web {
namespace {

class CsrfTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

std::array<unsigned char, Csrf::kSecretBytes> secret(unsigned char fill) {
  std::array<unsigned char, Csrf::kSecretBytes> s;
  s.fill(fill);
  return s;
}

TEST_F(CsrfTest, CookieValuesAreRandomAndWellFormed) {
  Csrf c;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string v = c.new_cookie_value();
    EXPECT_EQ(v.size(), 43u);
    EXPECT_EQ(v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST_F(CsrfTest, AcceptsTheTokenOfItsOwnCookie) {
  Csrf c;
  std::string cookie = c.new_cookie_value();
  std::string token = c.token_for(cookie);
  EXPECT_EQ(token.size(), 43u);
  EXPECT_NE(token, cookie);
  EXPECT_TRUE(c.verify(cookie, token));
  EXPECT_EQ(c.token_for(cookie), token) << "deterministic for a cookie";
}

TEST_F(CsrfTest, RejectsForgedTokens) {
  Csrf c(secret(7));
  std::string cookie = c.new_cookie_value();
  std::string other = c.new_cookie_value();
  std::string token = c.token_for(cookie);
  std::string flipped = token;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  Csrf other_process(secret(8));
  struct Case {
    std::string cookie, token, why;
  };
  const Case cases[] = {
      {cookie, "", "empty token"},
      {cookie, flipped, "one character changed"},
      {cookie, token.substr(0, 42), "truncated"},
      {cookie, token + "A", "extended"},
      {cookie, cookie, "the cookie itself"},
      {other, token, "token of another cookie"},
      {cookie, other_process.token_for(cookie), "token from another secret"},
      {"", c.token_for(""), "no cookie"},
      {"short", token, "malformed cookie"},
      {cookie.substr(0, 42) + "!", token, "bad character in cookie"},
  };
  for (const auto& k : cases) EXPECT_FALSE(c.verify(k.cookie, k.token)) << k.why;
  EXPECT_EQ(c.token_for("not a cookie"), "");
}

TEST(CheckOrigin, TableOfOriginsAndReferers) {
  using V = OriginVerdict;
  const std::vector<std::string> allowed = {"https://uwitter.example", "http://localhost:3000/"};
  struct Case {
    std::optional<std::string_view> origin, referer;
    std::string_view host;
    V want;
  };
  const Case cases[] = {
      {"http://127.0.0.1:8080", std::nullopt, "127.0.0.1:8080", V::Ok},
      {"https://127.0.0.1:8080", std::nullopt, "127.0.0.1:8080", V::Ok},
      {"HTTP://LocalHost:8080", std::nullopt, "localhost:8080", V::Ok},
      {"https://uwitter.example", std::nullopt, "10.0.0.1:80", V::Ok},
      {"http://localhost:3000", std::nullopt, "127.0.0.1:8080", V::Ok},
      {std::nullopt, "http://127.0.0.1:8080/u/bob?x=1", "127.0.0.1:8080", V::Ok},
      {std::nullopt, "https://uwitter.example/", "other:1", V::Ok},
      {"http://evil.example", std::nullopt, "127.0.0.1:8080", V::Mismatch},
      {"http://127.0.0.1:8081", std::nullopt, "127.0.0.1:8080", V::Mismatch},
      {"http://127.0.0.1:8080.evil.example", std::nullopt, "127.0.0.1:8080", V::Mismatch},
      {"null", std::nullopt, "127.0.0.1:8080", V::Mismatch},
      {"", std::nullopt, "127.0.0.1:8080", V::Mismatch},
      {"http://evil.example", "http://127.0.0.1:8080/", "127.0.0.1:8080", V::Mismatch},  // Origin wins
      {std::nullopt, "http://evil.example/http://127.0.0.1:8080", "127.0.0.1:8080", V::Mismatch},
      {std::nullopt, "not a url", "127.0.0.1:8080", V::Mismatch},
      {"http://127.0.0.1:8080", std::nullopt, "", V::Mismatch},
      {std::nullopt, std::nullopt, "127.0.0.1:8080", V::Missing},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(check_origin(c.origin, c.referer, c.host, allowed), c.want)
        << "origin=" << c.origin.value_or("-") << " referer=" << c.referer.value_or("-")
        << " host=" << c.host;
  }
}

TEST(CookieValue, FindsNamedCookie) {
  struct Case {
    std::string_view header, name;
    std::optional<std::string_view> want;
  };
  const Case cases[] = {
      {"uw_csrf=abc", "uw_csrf", "abc"},
      {"a=1; uw_csrf=abc; b=2", "uw_csrf", "abc"},
      {"a=1;uw_csrf=abc", "uw_csrf", "abc"},
      {"x_uw_csrf=abc", "uw_csrf", std::nullopt},
      {"uw_csrf_x=abc", "uw_csrf", std::nullopt},
      {"uw_csrf=\"q\"", "uw_csrf", "q"},
      {"uw_csrf=", "uw_csrf", ""},
      {"", "uw_csrf", std::nullopt},
      {"garbage;;;", "uw_csrf", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(cookie_value(c.header, c.name), c.want) << c.header;
}

}  // namespace
}  // namespace uw::web
