// core/log.cpp: level names both ways, the timestamp that starts each line,
// and lines reaching the chosen file.
#include "core/log.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "bench/kit/eventually.hpp"
#include "bench/kit/temp_dir.hpp"

namespace uw::log {
namespace {

TEST(Log, LevelNamesRoundTripAndUnknownNamesAreRefused) {
  for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error}) {
    Level back = Level::Error;
    ASSERT_TRUE(parse_level(level_name(l), &back)) << level_name(l);
    EXPECT_EQ(back, l);
  }
  for (const char* bad : {"", "INFO", "warning", "err", "debug ", "trace"}) {
    Level out = Level::Warn;
    EXPECT_FALSE(parse_level(bad, &out)) << bad;
    EXPECT_EQ(out, Level::Warn) << "left untouched: " << bad;
  }
}

TEST(Log, TimestampIsUtcWithMilliseconds) {
  const std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(timestamp_now(), shape)) << timestamp_now();
}

TEST(Log, LinesGoToTheChosenFile) {
  kit::TempDir dir;
  ASSERT_TRUE(set_file(dir.file("app.log")));
  error("disk {} is full", "sda");
  ASSERT_TRUE(set_file(""));  // back to stderr for the other tests
  const std::string text = kit::read_file(dir.file("app.log"));
  EXPECT_NE(text.find("disk sda is full"), std::string::npos) << text;
  EXPECT_NE(text.find("error"), std::string::npos) << text;
  EXPECT_FALSE(set_file(dir.file("no/such/dir/app.log")));
}

// A failure that repeats (a full disk failing every batch) must not flood the
// log: each call site writes a burst, then a few a second, and says how many
// it swallowed.
TEST(Log, RepeatedErrorsOfOneCallSiteAreRateLimitedAndCounted) {
  kit::TempDir dir;
  ASSERT_TRUE(set_file(dir.file("app.log")));
  for (int i = 0; i < 1000; ++i) error("batch {} failed: disk full", i);
  error("another call site: {}", "still heard");
  // After a token refills, the next line carries the count of the swallowed ones.
  EXPECT_TRUE(kit::eventually(
      [&] {
        error("batch {} failed: disk full", -1);
        return kit::read_file(dir.file("app.log")).find("more like this suppressed)") != std::string::npos;
      },
      std::chrono::seconds(5)));
  ASSERT_TRUE(set_file(""));
  const std::string text = kit::read_file(dir.file("app.log"));
  size_t lines = 0;
  for (size_t p = 0; (p = text.find("failed: disk full", p)) != std::string::npos; ++p) ++lines;
  EXPECT_GE(lines, static_cast<size_t>(kBurst));
  EXPECT_LE(lines, static_cast<size_t>(kBurst) + 5) << text;
  EXPECT_NE(text.find("another call site: still heard"), std::string::npos) << text;
  EXPECT_NE(text.find("more like this suppressed)"), std::string::npos) << text;
}

}  // namespace
}  // namespace uw::log
