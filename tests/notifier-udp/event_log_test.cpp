// EventLog's file: lines reach it whole and in order through the off-loop
// FileWriter, and a reopen (SIGHUP rotation) sends the lines logged before it
// to the old file and the lines after it to the new one.
#include "notifier-udp/event_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "bench/kit/temp_dir.hpp"

namespace uw::notifier {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(EventLogFile, ReopenSplitsTheLinesAtTheCallInOrder) {
  kit::TempDir dir;
  const std::string path = dir.file("notifier.log");
  {
    EventLog log;
    auto opened = log.open(path, LogFormat::Json, LogLevel::Info);
    ASSERT_TRUE(opened) << opened.error().message;
    for (int i = 0; i < 300; ++i) log.write(LogLevel::Info, "before", {{"n", i}});
    log.write(LogLevel::Debug, "hidden", {});  // below the level: never written
    std::filesystem::rename(path, path + ".1");
    auto reopened = log.reopen();
    ASSERT_TRUE(reopened) << reopened.error().message;
    for (int i = 0; i < 3; ++i) log.write(LogLevel::Warn, "after", {{"n", i}});
    EXPECT_EQ(log.dropped_bytes(), 0u);
  }  // the destructor writes what is queued
  auto old_lines = lines_of(kit::read_file(path + ".1"));
  auto new_lines = lines_of(kit::read_file(path));
  ASSERT_EQ(old_lines.size(), 300u);
  ASSERT_EQ(new_lines.size(), 3u);
  for (size_t i = 0; i < old_lines.size(); ++i) {
    EXPECT_NE(old_lines[i].find("\"kind\":\"before\",\"n\":" + std::to_string(i) + "}"), std::string::npos)
        << old_lines[i];
  }
  EXPECT_NE(new_lines[2].find("\"kind\":\"after\",\"n\":2}"), std::string::npos) << new_lines[2];
}

TEST(EventLogFile, ReportsAFileItCannotOpen) {
  kit::TempDir dir;
  EventLog log;
  auto r = log.open(dir.file("no/such/dir/x.log"), LogFormat::Human, LogLevel::Info);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no/such/dir/x.log"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace uw::notifier
