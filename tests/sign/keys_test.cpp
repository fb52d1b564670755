// Keys: key ids, the public-key line, the ring (key files: keyfile_test.cpp).
#include "sign/keys.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>

#include "tests/sign/fixtures.hpp"

namespace uw::sign {
namespace {

using namespace testing;

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
