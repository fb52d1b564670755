// Tests of core/rules.cpp: tables of inputs that must pass and must fail.
#include "core/rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uw::rules {
namespace {

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

using namespace std::string_literals;

TEST(Username, AcceptsValidNames) {
  for (const char* name : {"a", "Z", "_", "0", "bob", "Bob_42", "abcdefghijklmno", "___", "A1_b2_C3"}) {
    EXPECT_TRUE(check_username(name).ok()) << name;
  }
}

TEST(Username, RejectsInvalidNames) {
  const std::vector<std::string> bad = {"",          "abcdefghijklmnop",
                                        "bob smith", "bob-smith",
                                        "bob.smith", "bob@",
                                        "@bob",      "bøb",
                                        "b\0b"s,     "bob\n",
                                        " bob",      "'; DROP TABLE users; --",
                                        "é"};
  for (const auto& name : bad) {
    auto r = check_username(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().status, 422);
    EXPECT_EQ(r.error().code, "invalid_username");
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(Username, KeyIsLowerCaseAscii) {
  EXPECT_EQ(username_key("Bob_42"), "bob_42");
  EXPECT_EQ(username_key("BOB"), username_key("bob"));
  EXPECT_EQ(username_key("abc"), "abc");
}

TEST(Password, AcceptsLongEnoughPasswords) {
  const std::vector<std::string> good = {
      "12345678",
      "correct horse battery staple",
      "ééééééé\xc3\xa9",  // 8 two-byte code points
      "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
      "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80",  // 8 emoji
      std::string(1024, 'x'),
      "pass word with \0 NUL"s};
  for (const auto& p : good) EXPECT_TRUE(check_password(p).ok()) << p;
}

TEST(Password, RejectsShortLongAndInvalid) {
  struct Case {
    std::string password;
    const char* code;
  };
  const std::vector<Case> bad = {
      {"", "weak_password"},
      {"1234567", "weak_password"},
      {"\xF0\x9F\x98\x80\xF0\x9F\x98\x80", "weak_password"},  // 8 bytes but 2 code points
      {"ééé", "weak_password"},
      {std::string(1025, 'x'), "password_too_long"},
      {repeat("é", 513), "password_too_long"},  // 1026 bytes: never truncated to fit
      {"12345678\xff", "invalid_utf8"},
      {"12345678\xc0\xaf", "invalid_utf8"},
  };
  for (const auto& c : bad) {
    auto r = check_password(c.password);
    ASSERT_FALSE(r.ok()) << c.password;
    EXPECT_EQ(r.error().status, 422);
    EXPECT_EQ(r.error().code, c.code) << c.password;
  }
}

struct Utf8Case {
  const char* what;
  std::string bytes;
};

const std::vector<Utf8Case>& invalid_utf8() {
  static const std::vector<Utf8Case> cases = {
      {"stray continuation byte", "a\x80"},
      {"lone continuation at start", "\xbf"},
      {"overlong 2-byte slash", "\xc0\xaf"},
      {"overlong 2-byte C1 lead", "\xc1\xbf"},
      {"overlong 3-byte", "\xe0\x80\xaf"},
      {"overlong 3-byte max", "\xe0\x9f\xbf"},
      {"overlong 4-byte", "\xf0\x80\x80\xaf"},
      {"overlong 4-byte max", "\xf0\x8f\xbf\xbf"},
      {"high surrogate", "\xed\xa0\x80"},
      {"low surrogate", "\xed\xbf\xbf"},
      {"surrogate pair (CESU-8)", "\xed\xa0\xbd\xed\xb8\x80"},
      {"above U+10FFFF", "\xf4\x90\x80\x80"},
      {"F5 lead", "\xf5\x80\x80\x80"},
      {"FE byte", "\xfe"},
      {"FF byte", "\xff"},
      {"truncated 2-byte", "ab\xc3"},
      {"truncated 3-byte", "\xe2\x82"},
      {"truncated 4-byte", "\xf0\x9f\x98"},
      {"truncated then ASCII", "\xe2\x82x"},
      {"5-byte form", "\xf8\x88\x80\x80\x80"},
      {"6-byte form", "\xfc\x84\x80\x80\x80\x80"},
  };
  return cases;
}

TEST(Utf8, AcceptsWellFormedText) {
  const std::vector<std::pair<std::string, size_t>> good = {
      {"", 0},
      {"abc", 3},
      {"\0"s, 1},
      {"\x7f", 1},
      {"\xc2\x80", 1},          // U+0080, smallest 2-byte
      {"\xdf\xbf", 1},          // U+07FF
      {"\xe0\xa0\x80", 1},      // U+0800, smallest 3-byte
      {"\xed\x9f\xbf", 1},      // U+D7FF, just below surrogates
      {"\xee\x80\x80", 1},      // U+E000, just above surrogates
      {"\xef\xbf\xbf", 1},      // U+FFFF
      {"\xf0\x90\x80\x80", 1},  // U+10000
      {"\xf4\x8f\xbf\xbf", 1},  // U+10FFFF
      {"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 9},
  };
  for (const auto& [s, n] : good) {
    EXPECT_TRUE(valid_utf8(s)) << s;
    EXPECT_EQ(utf8_length(s), n) << s;
  }
}

TEST(Utf8, RejectsEveryKindOfIllFormedSequence) {
  for (const auto& c : invalid_utf8()) {
    EXPECT_FALSE(valid_utf8(c.bytes)) << c.what;
    EXPECT_FALSE(utf8_length(c.bytes).has_value()) << c.what;
  }
}

TEST(Uweet, NormalisesAcceptedText) {
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600, 4 bytes
  const std::vector<std::pair<std::string, std::string>> good = {
      {"hello", "hello"},
      {"  hello  ", "hello"},
      {"\n\thello world\r\n", "hello world"},
      {"line one\r\nline two", "line one\nline two"},
      {"a\n\nb", "a\n\nb"},
      {"\xC2\xA0\xE3\x80\x80hi\xE3\x80\x80\xC2\xA0", "hi"},  // NBSP and ideographic space trimmed
      {"\xE2\x80\x83x\xE2\x80\xA8", "x"},                    // em space, line separator
      {"a\xC2\xA0"
       "b",
       "a\xC2\xA0"
       "b"},  // inner NBSP kept
      {"'; DROP TABLE uweets; --", "'; DROP TABLE uweets; --"},
      {"\"quoted\" * NEAR(a b) -x col:y", "\"quoted\" * NEAR(a b) -x col:y"},
      {std::string(141, 'x'), std::string(141, 'x')},
      {repeat("é", 141), repeat("é", 141)},
      {repeat(emoji, 141), repeat(emoji, 141)},
      {"  " + repeat("€", 141) + " \n", repeat("€", 141)},  // trimming happens before counting
      {emoji, emoji},
      // A visible character among invisible ones is text; the invisible ones stay.
      {"\xE2\x80\x8Bx\xE2\x80\x8B", "\xE2\x80\x8Bx\xE2\x80\x8B"},
  };
  for (const auto& [in, out] : good) {
    auto r = normalize_uweet(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error().message;
    EXPECT_EQ(*r, out);
  }
}

TEST(Uweet, RejectsBadText) {
  struct Case {
    std::string text;
    const char* code;
  };
  std::vector<Case> bad = {
      {"", "empty_uweet"},
      {"   ", "empty_uweet"},
      {"\r\n\t \n", "empty_uweet"},
      {"\xC2\xA0\xE3\x80\x80", "empty_uweet"},
      // Invisible format characters count as blank (issue 14, item 8).
      {"\xE2\x80\x8B", "empty_uweet"},                                  // U+200B zero-width space
      {"\xE2\x80\x8B\xE2\x80\x8C\xE2\x80\x8D", "empty_uweet"},          // U+200B, ZWNJ, ZWJ
      {" \xE2\x81\xA0 \xEF\xBB\xBF\n", "empty_uweet"},                  // U+2060 word joiner, U+FEFF
      {"\xE2\x80\x8E\xEF\xB8\x8F\xC2\xAD\xE3\x85\xA4", "empty_uweet"},  // LRM, VS16, soft hyphen, filler
      {repeat("\xE2\x80\x8B", 200), "empty_uweet"},
      {std::string(142, 'x'), "uweet_too_long"},
      {repeat("é", 142), "uweet_too_long"},
      {repeat("\xF0\x9F\x98\x80", 142), "uweet_too_long"},
      {std::string(140, 'x') + "\r\n\r\nyy", "uweet_too_long"},  // CRLF counts as one
      {"nul\0byte"s, "control_character"},
      {"\0"s, "control_character"},
      {"tab\tinside", "control_character"},
      {"bell\a", "control_character"},
      {"esc\x1b[31m", "control_character"},
      {"lone\rCR", "control_character"},
      {"del\x7f", "control_character"},
      {"c1 \xC2\x80", "control_character"},
      {"c1 \xC2\x9F", "control_character"},
      {"nel \xC2\x85 inside", "control_character"},
  };
  for (const auto& c : invalid_utf8()) bad.push_back({"text " + c.bytes + " more", "invalid_utf8"});
  for (const auto& c : bad) {
    auto r = normalize_uweet(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().status, 422);
    EXPECT_EQ(r.error().code, c.code) << c.text;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(Uweet, LimitIsExactlyAtCodePoint141) {
  EXPECT_TRUE(normalize_uweet(repeat("\xE4\xB8\xAD", 141)).ok());  // 141 CJK, 423 bytes
  EXPECT_FALSE(normalize_uweet(repeat("\xE4\xB8\xAD", 142)).ok());
}

TEST(Mentions, FindsNamesInOrderWithoutDuplicates) {
  struct Case {
    std::string text;
    std::vector<std::string> names;
  };
  const std::vector<Case> cases = {
      {"hello @bob", {"bob"}},
      {"@alice and @bob", {"alice", "bob"}},
      {"@Bob @bob @BOB", {"Bob"}},
      {"(@carol) @dave, @erin! @frank.", {"carol", "dave", "erin", "frank"}},
      {"mail me at me@example.com", {}},
      {"@@double", {}},
      {"x@y", {}},
      {"@", {}},
      {"@ space", {}},
      {"@abcdefghijklmno ok", {"abcdefghijklmno"}},
      {"@abcdefghijklmnop too long", {}},
      {"é@bob after a letter outside ASCII", {"bob"}},
      {"line\n@start", {"start"}},
      {"@a_b-c", {"a_b"}},
      {"@bob's", {"bob"}},
  };
  for (const auto& c : cases) EXPECT_EQ(extract_mentions(c.text), c.names) << c.text;
}

TEST(SearchQuery, OneRuleForEveryCaller) {
  EXPECT_TRUE(check_search_query("coffee").ok());
  EXPECT_TRUE(check_search_query(std::string(kMaxSearchQueryBytes, 'q')).ok());
  for (const std::string blank : {"", " ", "\t\r\n"})
    EXPECT_EQ(check_search_query(blank).error().code, "missing_query");
  auto too_long = check_search_query(std::string(kMaxSearchQueryBytes + 1, 'q'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().status, 400);
  EXPECT_EQ(too_long.error().code, "bad_query");
  EXPECT_NE(too_long.error().message.find("256"), std::string::npos);
  EXPECT_EQ(check_search_query("caf\xff").error().code, "bad_query");
}

}  // namespace
}  // namespace uw::rules
