// FileWriter: chunks reach the file whole and in order, from a thread of its
// own; a writer that falls behind drops and counts instead of growing.
#include "core/file_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bench/kit/temp_dir.hpp"

namespace uw {
namespace {

TEST(FileWriter, AppendsEveryChunkInOrderAndDrainsOnDestruction) {
  kit::TempDir dir;
  const std::string path = dir.file("access.log");
  { std::ofstream(path) << "existing line\n"; }
  std::string expected = "existing line\n";
  {
    auto opened = FileWriter::open(path);
    ASSERT_TRUE(opened) << opened.error().message;
    auto w = std::move(opened.value());
    for (int i = 0; i < 2000; ++i) {
      std::string chunk = "line " + std::to_string(i) + "\n";
      expected += chunk;
      ASSERT_TRUE(w->write(std::move(chunk)));
    }
    EXPECT_EQ(w->dropped_bytes(), 0u);
  }  // destructor: everything pending is written before it returns
  EXPECT_EQ(kit::read_file(path), expected);
}

TEST(FileWriter, DropsAndCountsPastItsPendingLimit) {
  kit::TempDir dir;
  const std::string path = dir.file("slow.log");
  // A limit smaller than one chunk: every chunk is refused, counted, never written.
  auto opened = FileWriter::open(path, 10);
  ASSERT_TRUE(opened) << opened.error().message;
  auto w = std::move(opened.value());
  EXPECT_FALSE(w->write(std::string(11, 'x')));
  EXPECT_FALSE(w->write(std::string(20, 'y')));
  EXPECT_TRUE(w->write("ok\n"));
  EXPECT_EQ(w->dropped_bytes(), 31u);
  w.reset();
  EXPECT_EQ(kit::read_file(path), "ok\n");
}

TEST(FileWriter, ReportsAFileItCannotOpen) {
  kit::TempDir dir;
  auto w = FileWriter::open(dir.file("no/such/dir/x.log"));
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("no/such/dir"), std::string::npos) << w.error().message;
}

TEST(FileWriter, ReopenTakesEffectAfterTheChunksQueuedBeforeIt) {
  kit::TempDir dir;
  const std::string path = dir.file("rotated.log");
  auto opened = FileWriter::open(path);
  ASSERT_TRUE(opened) << opened.error().message;
  auto w = std::move(opened.value());
  std::string before;
  for (int i = 0; i < 500; ++i) {
    std::string chunk = "old " + std::to_string(i) + "\n";
    before += chunk;
    ASSERT_TRUE(w->write(std::move(chunk)));
  }
  // Rotation as logrotate does it: rename the file away, then ask for a reopen.
  // Chunks still queued at the rename belong to the old file, wherever it is now.
  std::filesystem::rename(path, path + ".1");
  ASSERT_TRUE(w->reopen());
  ASSERT_TRUE(w->write("new\n"));
  w.reset();
  EXPECT_EQ(kit::read_file(path + ".1"), before);
  EXPECT_EQ(kit::read_file(path), "new\n");
}

TEST(FileWriter, ReportsAReopenThatFailsAndKeepsWriting) {
  kit::TempDir dir;
  const std::string sub = dir.file("sub");
  std::filesystem::create_directory(sub);
  const std::string path = sub + "/x.log";
  auto opened = FileWriter::open(path);
  ASSERT_TRUE(opened) << opened.error().message;
  auto w = std::move(opened.value());
  std::filesystem::rename(sub, dir.file("gone"));
  auto r = w->reopen();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("x.log"), std::string::npos) << r.error().message;
  ASSERT_TRUE(w->write("still here\n"));
  w.reset();
  EXPECT_EQ(kit::read_file(dir.file("gone/x.log")), "still here\n");
}

}  // namespace
}  // namespace uw
