// notifier-udp/quote.cpp: double-quoted strings for Note JSON and the log.
#include "notifier-udp/quote.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uw::notifier {
namespace {

struct Case {
  std::string in, json, hex;
};

TEST(Quote, EscapesQuotesBackslashesAndControlsPerStyle) {
  const std::vector<Case> cases = {
      {"", "\"\"", "\"\""},
      {"plain", "\"plain\"", "\"plain\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\"", "\"say \\\"hi\\\"\""},
      {"a\\b", "\"a\\\\b\"", "\"a\\\\b\""},
      {"l1\nl2\r\t", "\"l1\\nl2\\r\\t\"", "\"l1\\nl2\\r\\t\""},
      {"\x1b[31m", "\"\\u001b[31m\"", "\"\\x1b[31m\""},
      {std::string("\0", 1), "\"\\u0000\"", "\"\\x00\""},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\"", "\"caf\xc3\xa9\""},  // bytes >= 0x20 are copied
  };
  for (const auto& c : cases) {
    std::string j, h;
    append_quoted(j, c.in, ControlEscape::Json);
    append_quoted(h, c.in, ControlEscape::Hex);
    EXPECT_EQ(j, c.json) << c.in;
    EXPECT_EQ(h, c.hex) << c.in;
  }
}

TEST(Quote, AppendsToWhatIsAlreadyThere) {
  std::string out = "text=";
  append_quoted(out, "x", ControlEscape::Hex);
  EXPECT_EQ(out, "text=\"x\"");
}

}  // namespace
}  // namespace uw::notifier
