// Keys: key ids, the public-key line, key files and their permissions, the ring.
#include "sign/keys.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>

#include "bench/kit/temp_dir.hpp"
#include "tests/sign/fixtures.hpp"

namespace uw::sign {
namespace {

using namespace testing;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(Keys, KeyIdIsBlake2bOfDomainAndPublicKey) {
  SecretKey k = key_a();
  const char dom[] = "uwitter/key-id/v1";
  std::vector<uint8_t> in(dom, dom + sizeof dom);  // includes the NUL
  in.insert(in.end(), k.public_key().begin(), k.public_key().end());
  uint8_t h[32];
  crypto_generichash(h, 32, in.data(), in.size(), nullptr, 0);
  EXPECT_EQ(hex(k.id()), hex(h, 8));
  EXPECT_NE(key_a().id(), key_b().id());
}

TEST(Keys, SameSeedSameKey) {
  EXPECT_EQ(key_a().public_key(), key_a().public_key());
  EXPECT_EQ(hex(key_a().seed()), "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_NE(SecretKey::generate().public_key(), SecretKey::generate().public_key());
}

TEST(Keys, MovedFromSecretIsWiped) {
  SecretKey a = key_a();
  SecretKey b = std::move(a);
  std::array<uint8_t, kSecretKeyBytes> zero{};
  EXPECT_EQ(std::memcmp(a.bytes(), zero.data(), zero.size()), 0);
  EXPECT_NE(std::memcmp(b.bytes(), zero.data(), zero.size()), 0);
}

TEST(Keys, PublicKeyLineRoundTrips) {
  SecretKey k = key_a();
  std::string line = format_public_key(k.public_key());
  EXPECT_EQ(line, "uwitter-ed25519 " + hex(k.public_key()) + " id=" + hex(k.id()));
  struct Case {
    std::string text;
    bool ok;
  };
  std::string h = hex(k.public_key());
  std::vector<Case> cases = {
      {line, true},
      {"  " + line + "\n", true},
      {"uwitter-ed25519 " + h, true},
      {h, true},
      {"uwitter-ed25519 " + h + " id=0000000000000000", false},
      {"uwitter-ed25519 " + h.substr(2), false},
      {"uwitter-ed25519 " + h + "00", false},
      {"uwitter-ed25519 " + h.substr(0, 63) + "g", false},
      {line + " extra", false},
      {"", false},
  };
  for (const auto& c : cases) {
    auto pk = parse_public_key(c.text);
    EXPECT_EQ(pk.has_value(), c.ok) << c.text;
    if (pk) {
      EXPECT_EQ(*pk, k.public_key());
    }
  }
}

TEST(Keys, WritesSecretFileWithMode0600AndLoadsItBack) {
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

TEST(Keys, RefusesASecretFileOthersCanRead) {
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

TEST(Keys, RejectsBadKeyFiles) {
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

TEST(KeyRing, FindsAddsAndRetires) {
  KeyRing ring;
  EXPECT_EQ(ring.find(key_a().id()), nullptr);
  ring.add(key_a().public_key());
  ring.add(key_a().public_key());
  ring.add(key_b().public_key());
  EXPECT_EQ(ring.size(), 2u);
  ASSERT_NE(ring.find(key_b().id()), nullptr);
  EXPECT_EQ(*ring.find(key_b().id()), key_b().public_key());
  EXPECT_TRUE(ring.retire(key_a().id()));
  EXPECT_EQ(ring.find(key_a().id()), nullptr);
  EXPECT_EQ(ring.ids(), std::vector<KeyId>{key_b().id()});
}

}  // namespace
}  // namespace uw::sign
