// notifier-udp/trust.cpp: trusted keys read from files, reloaded in place,
// never emptied by a bad or half-written file.
#include "notifier-udp/trust.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "bench/kit/temp_dir.hpp"

namespace uw::notifier {
namespace {

sign::PublicKey new_key() {
  sign::init();
  return sign::SecretKey::generate().public_key();
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Trust, LoadsEveryKeyAndSkipsCommentsAndBlankLines) {
  kit::TempDir dir;
  const auto a = new_key(), b = new_key();
  write(dir.file("k.pub"),
        "# keys\n\n" + sign::format_public_key(a) + "\n  \n" + sign::format_public_key(b) + "\n");
  TrustStore t({dir.file("k.pub")});
  std::vector<std::string> problems;
  EXPECT_EQ(t.reload(&problems), 2u);
  EXPECT_TRUE(problems.empty()) << problems[0];
  EXPECT_NE(t.ring().find(sign::key_id_of(a)), nullptr);
  EXPECT_NE(t.ring().find(sign::key_id_of(b)), nullptr);
}

TEST(Trust, ReportsBadLinesAndMissingFiles) {
  kit::TempDir dir;
  const std::vector<std::string> bad = {"not a key", "uwitter-ed25519 abcd",
                                        "uwitter-ed25519 " + std::string(64, 'z')};
  for (const auto& line : bad) {
    write(dir.file("bad.pub"), line + "\n");
    TrustStore t({dir.file("bad.pub"), dir.file("missing.pub")});
    std::vector<std::string> problems;
    EXPECT_EQ(t.reload(&problems), 0u) << line;
    EXPECT_GE(problems.size(), 2u) << line;  // the bad file and the missing one
  }
}

TEST(Trust, ABadReloadKeepsTheKeysItHad) {
  kit::TempDir dir;
  const auto a = new_key();
  write(dir.file("k.pub"), sign::format_public_key(a) + "\n");
  TrustStore t({dir.file("k.pub")});
  std::vector<std::string> problems;
  ASSERT_EQ(t.reload(&problems), 1u);
  write(dir.file("k.pub"), "garbage\n");  // a half-written rotation
  problems.clear();
  EXPECT_EQ(t.reload(&problems), 1u);
  EXPECT_FALSE(problems.empty());
  EXPECT_NE(t.ring().find(sign::key_id_of(a)), nullptr);
}

TEST(Trust, RotationReplacesTheRingAndChangedNoticesTheFile) {
  kit::TempDir dir;
  const auto a = new_key(), b = new_key();
  write(dir.file("k.pub"), sign::format_public_key(a) + "\n");
  TrustStore t({dir.file("k.pub")});
  std::vector<std::string> problems;
  ASSERT_EQ(t.reload(&problems), 1u);
  EXPECT_FALSE(t.changed());
  write(dir.file("k.pub"), sign::format_public_key(b) + "\n" + sign::format_public_key(a) + "\n");
  EXPECT_TRUE(t.changed());  // the size changed
  EXPECT_EQ(t.reload(&problems), 2u);
  EXPECT_FALSE(t.changed());
  EXPECT_NE(t.ring().find(sign::key_id_of(b)), nullptr);
}

}  // namespace
}  // namespace uw::notifier
