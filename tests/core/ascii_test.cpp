// core/ascii.cpp: case-insensitive comparison of protocol tokens.
#include "core/ascii.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uw::ascii {
namespace {

TEST(Ascii, IequalsIgnoresAsciiCaseOnly) {
  struct Case {
    std::string a, b;
    bool equal;
  };
  const std::vector<Case> cases = {
      {"", "", true},
      {"Content-Type", "content-type", true},
      {"UPGRADE", "upgrade", true},
      {"keep-alive", "Keep-Alive", true},
      {"a", "", false},
      {"close", "closed", false},
      {"chunked", "chunkee", false},
      {"[", "{", false},                // 0x5b vs 0x7b: not letters, not equal
      {"@", "`", false},                // 0x40 vs 0x60
      {"\xc3\x89", "\xc3\xa9", false},  // É vs é: non-ASCII bytes compare exactly
  };
  for (const auto& c : cases) {
    EXPECT_EQ(iequals(c.a, c.b), c.equal) << c.a << " / " << c.b;
    EXPECT_EQ(iequals(c.b, c.a), c.equal) << c.b << " / " << c.a;
  }
}

}  // namespace
}  // namespace uw::ascii
