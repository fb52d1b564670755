// FileWriter: chunks reach the file whole and in order, from a thread of its
// own; a writer that falls behind drops and counts instead of growing.
#include "core/file_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bench/kit/eventually.hpp"
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

TEST(FileWriter, AFullDiskIsCountedAndSaidOnStderrNotSilent) {
  // /dev/full: every write fails with ENOSPC, as on a full disk.
  auto opened = FileWriter::open("/dev/full");
  ASSERT_TRUE(opened) << opened.error().message;
  auto w = std::move(opened.value());
  EXPECT_TRUE(w->ok());
  testing::internal::CaptureStderr();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(w->write(std::string(100, 'x') + "\n"));
  EXPECT_TRUE(kit::eventually([&] { return w->pending_bytes() == 0; }));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(w->ok());
  EXPECT_GE(w->lost_bytes(), 101u);
  EXPECT_GE(w->errors(), 1u);
  EXPECT_NE(err.find("log file /dev/full: write failed: No space left on device"), std::string::npos) << err;
  // Rate-limited: one line for the whole burst, not one per batch.
  size_t lines = 0;
  for (size_t p = 0; (p = err.find("log file /dev/full", p)) != std::string::npos; ++p) ++lines;
  EXPECT_EQ(lines, 1u) << err;
}

TEST(FileWriter, AFileDeletedWithItsFolderIsNoticedAndComesBackWithTheFolder) {
  kit::TempDir dir;
  const std::string folder = dir.file("logs");
  std::filesystem::create_directories(folder);
  const std::string path = folder + "/n.log";
  auto opened = FileWriter::open(path);
  ASSERT_TRUE(opened) << opened.error().message;
  auto w = std::move(opened.value());
  ASSERT_TRUE(w->write("before\n"));
  ASSERT_TRUE(kit::eventually([&] { return w->pending_bytes() == 0; }));
  std::filesystem::remove_all(folder);
  testing::internal::CaptureStderr();
  // Noticed within a second of writing (the check is at most once a second).
  bool noticed = kit::eventually([&] {
    (void)w->write("into the deleted file\n");
    return !w->ok();
  });
  EXPECT_TRUE(noticed);
  EXPECT_GT(w->lost_bytes(), 0u);
  auto r = w->reopen();  // SIGHUP while the folder is gone
  EXPECT_FALSE(r);
  const uint64_t errors = w->errors();
  EXPECT_GE(errors, 2u);  // the deletion and the failed reopen
  std::filesystem::create_directories(folder);
  EXPECT_TRUE(kit::eventually([&] {
    (void)w->write("after\n");
    return w->ok();
  }));
  ASSERT_TRUE(w->write("last\n"));
  ASSERT_TRUE(kit::eventually([&] { return w->pending_bytes() == 0; }));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("was deleted and cannot be created again"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot reopen " + path), std::string::npos) << err;
  EXPECT_NE(err.find("was deleted; opened again"), std::string::npos) << err;
  std::string text = kit::read_file(path);
  EXPECT_EQ(text.find("before"), std::string::npos);  // that file is gone
  EXPECT_NE(text.find("last\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace uw
