// Tests for web/http/html.cpp: escaping, mention links, relative times.
#include "web/http/html.hpp"

#include <gtest/gtest.h>

#include <string>

namespace uw::web::html {
namespace {

struct Case {
  std::string in;
  std::string out;
};

TEST(HtmlEscape, ReplacesEveryMarkupCharacter) {
  const Case cases[] = {
      {"", ""},
      {"plain text", "plain text"},
      {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
      {"a & b", "a &amp; b"},
      {"\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"},
      {"&amp;", "&amp;amp;"},
      {"x\" onmouseover=\"alert(1)", "x&quot; onmouseover=&quot;alert(1)"},
      {"' OR 1=1; DROP TABLE users; --", "&#39; OR 1=1; DROP TABLE users; --"},
      {"caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"},
  };
  for (const auto& c : cases) EXPECT_EQ(escape(c.in), c.out) << c.in;
}

TEST(HtmlEscape, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::string r = "\xEF\xBF\xBD";
  const Case cases[] = {
      {"\xFF", r},
      {"a\x80z", "a" + r + "z"},
      {"\xC3", r},                          // truncated 2-byte sequence
      {"\xC0\xAF", r + r},                  // overlong '/'
      {"\xED\xA0\x80", r + r + r},          // UTF-16 surrogate
      {"\xF4\x90\x80\x80", r + r + r + r},  // above U+10FFFF
      {"\xE2\x9C<", r + r + "&lt;"},        // truncated before markup: one per bad byte
  };
  for (const auto& c : cases) EXPECT_EQ(escape(c.in), c.out);
}

TEST(HtmlUrlComponent, EncodesAllButUnreserved) {
  const Case cases[] = {
      {"bob_99", "bob_99"},   {"a b/c", "a%20b%2Fc"}, {"x&y=z#", "x%26y%3Dz%23"},
      {"\xC3\xA9", "%C3%A9"}, {"-._~", "-._~"},
  };
  for (const auto& c : cases) EXPECT_EQ(url_component(c.in), c.out) << c.in;
}

TEST(HtmlUweetText, LinksMentionsAndEscapesTheRest) {
  const Case cases[] = {
      {"hello", "hello"},
      {"hi @bob!", "hi <a class=\"mention\" href=\"/u/bob\">@bob</a>!"},
      {"@alice first", "<a class=\"mention\" href=\"/u/alice\">@alice</a> first"},
      {"mail me at x@example.com", "mail me at x@example.com"},
      {"@@bob", "@@bob"},
      {"@ alone", "@ alone"},
      {"@sixteen_chars_xx is too long", "@sixteen_chars_xx is too long"},
      {"<b>@eve</b>", "&lt;b&gt;<a class=\"mention\" href=\"/u/eve\">@eve</a>&lt;/b&gt;"},
      {"line1\nline2", "line1<br>line2"},
      {"(@a,@b)", "(<a class=\"mention\" href=\"/u/a\">@a</a>,<a class=\"mention\" href=\"/u/b\">@b</a>)"},
  };
  for (const auto& c : cases) EXPECT_EQ(uweet_text(c.in), c.out) << c.in;
}

TEST(HtmlRelativeTime, ShortFormsByAge) {
  const int64_t now = 1'795'000'000'000;  // 2026-11-18 11:06:40 UTC
  struct T {
    int64_t age_ms;
    std::string out;
  };
  const T cases[] = {
      {0, "now"},        {59'000, "now"},           {60'000, "1m"},     {3 * 60'000 + 5'000, "3m"},
      {3'600'000, "1h"}, {23 * 3'600'000LL, "23h"}, {86'400'000, "1d"}, {6 * 86'400'000LL, "6d"},
      {-5'000, "now"},  // clock skew: never "-1m"
  };
  for (const auto& c : cases) EXPECT_EQ(relative_time(now - c.age_ms, now), c.out) << c.age_ms;
  EXPECT_EQ(relative_time(now - 30 * 86'400'000LL, now), "19 Oct");
  EXPECT_EQ(relative_time(now - 400 * 86'400'000LL, now), "14 Oct 2025");
}

TEST(HtmlIsoTime, FormatsUtc) {
  EXPECT_EQ(iso_time(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso_time(1'795'000'000'123), "2026-11-18T11:06:40Z");
  EXPECT_EQ(month_year(1'795'000'000'000), "November 2026");
}

}  // namespace
}  // namespace uw::web::html
