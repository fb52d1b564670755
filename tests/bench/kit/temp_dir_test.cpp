// kit::TempDir and read_file: a fresh directory each time, removed with
// everything in it on destruction.
#include "bench/kit/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace uw::kit {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

TEST(TempDir, IsFreshAndRemovedWithItsContents) {
  std::string kept;
  {
    TempDir a, b;
    EXPECT_NE(a.path(), b.path());
    ASSERT_TRUE(exists(a.path()));
    EXPECT_EQ(a.file("x.txt"), a.path() + "/x.txt");
    ASSERT_EQ(::mkdir(a.file("sub").c_str(), 0700), 0);
    { std::ofstream(a.file("sub/y.txt")) << "hello\n"; }
    EXPECT_EQ(read_file(a.file("sub/y.txt")), "hello\n");
    kept = a.path();
  }
  EXPECT_FALSE(exists(kept));
}

TEST(TempDir, ReadFileOfAMissingFileIsEmpty) {
  TempDir d;
  EXPECT_EQ(read_file(d.file("none")), "");
}

}  // namespace
}  // namespace uw::kit
