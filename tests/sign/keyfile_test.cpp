// Key files (sign/keyfile.cpp): the secret file's mode, never overwriting a
// key, refusing files others can read, and bad contents.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "bench/kit/temp_dir.hpp"
#include "sign/keys.hpp"
#include "tests/sign/fixtures.hpp"

namespace uw::sign {
namespace {

using namespace testing;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(KeyFile, WritesSecretFileWithMode0600AndLoadsItBack) {
  uw::kit::TempDir tmp;
  std::string dir = tmp.file("keys");
  SecretKey k = key_a();
  ASSERT_TRUE(write_keypair(dir, k).ok());
  EXPECT_EQ(mode_of(dir + "/uwitter.key"), 0600u);
  EXPECT_EQ(mode_of(dir), 0700u);
  auto loaded = load_secret_key(dir + "/uwitter.key");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->public_key(), k.public_key());
  auto pk = load_public_key(dir + "/uwitter.pub");
  ASSERT_TRUE(pk.ok()) << pk.error().message;
  EXPECT_EQ(*pk, k.public_key());
  EXPECT_FALSE(write_keypair(dir, key_b()).ok()) << "never overwrites a key";
  auto again = load_secret_key(dir + "/uwitter.key");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->public_key(), k.public_key());
}

TEST(KeyFile, RefusesASecretFileOthersCanRead) {
  uw::kit::TempDir tmp;
  std::string dir = tmp.file("keys");
  ASSERT_TRUE(write_keypair(dir, key_a()).ok());
  std::string path = dir + "/uwitter.key";
  for (mode_t m : {0640, 0604, 0660, 0644, 0610, 0601}) {
    ASSERT_EQ(::chmod(path.c_str(), m), 0);
    auto loaded = load_secret_key(path);
    ASSERT_FALSE(loaded.ok()) << std::oct << m;
    const std::string& err = loaded.error().message;
    EXPECT_NE(err.find("group or others"), std::string::npos) << std::oct << m << ": " << err;
  }
  for (mode_t m : {0600, 0400, 0700}) {
    ASSERT_EQ(::chmod(path.c_str(), m), 0);
    EXPECT_TRUE(load_secret_key(path).ok()) << std::oct << m;
  }
}

TEST(KeyFile, RejectsBadKeyFiles) {
  uw::kit::TempDir tmp;
  struct Case {
    const char* name;
    std::string text;
    bool is_public_key;
  };
  std::vector<Case> cases = {
      {"empty", "", false},
      {"short seed", "uwitter-ed25519-secret 0001\n", false},
      {"no prefix (a bare public key is not a secret)", std::string(64, '0') + "\n", true},
      {"not hex", "uwitter-ed25519-secret " + std::string(64, 'z') + "\n", false},
  };
  for (const auto& c : cases) {
    std::string path = tmp.file("bad.key");
    { std::ofstream(path, std::ios::trunc) << c.text; }
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    EXPECT_FALSE(load_secret_key(path).ok()) << c.name;
    EXPECT_EQ(load_public_key(path).ok(), c.is_public_key) << c.name;
  }
  EXPECT_FALSE(load_secret_key(tmp.file("missing")).ok());
  std::string pub = tmp.file("trusted.pub");
  { std::ofstream(pub) << "# the web app's key\n\n" << format_public_key(key_b().public_key()) << "\n"; }
  auto pk = load_public_key(pub);
  ASSERT_TRUE(pk.ok()) << pk.error().message;
  EXPECT_EQ(*pk, key_b().public_key());
}

}  // namespace
}  // namespace uw::sign
