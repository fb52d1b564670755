// Tampering: every single-bit flip, every truncation and any extension of a
// valid datagram is rejected, and none of it crashes or reads out of bounds.
#include <gtest/gtest.h>

#include "sign/envelope.hpp"
#include "tests/sign/fixtures.hpp"

namespace uw::sign {
namespace {

using namespace testing;

Datagram valid(const SecretKey& k) {
  Encoder enc(k, 0x0123456789abcdefULL, 77);
  Datagram d;
  EXPECT_TRUE(enc.seal(std::vector<Event>{sample_post(), sample_follow(), sample_mention()}, kT0, &d));
  return d;
}

TEST(Tamper, EverySingleBitFlipIsRejected) {
  SecretKey k = key_a();
  KeyRing ring;
  ring.add(k.public_key());
  Datagram d = valid(k);
  {
    Verifier v(ring);
    ASSERT_EQ(v.accept(d, kT0, nullptr), Reject::None);
  }
  size_t flips = 0;
  std::array<uint64_t, static_cast<size_t>(Reject::Count_)> by_reason{};
  for (size_t i = 0; i < d.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      Datagram x = d;
      x[i] ^= static_cast<uint8_t>(1u << b);
      Verifier v(ring);
      Reject r = v.accept(x, kT0, nullptr);
      ASSERT_NE(r, Reject::None) << "byte " << i << " bit " << b;
      ++by_reason[static_cast<size_t>(r)];
      ++flips;
    }
  }
  EXPECT_EQ(flips, d.size() * 8);
  // The cheap checks caught the header flips before any signature work.
  EXPECT_GT(by_reason[static_cast<size_t>(Reject::Malformed)], 0u);
  EXPECT_EQ(by_reason[static_cast<size_t>(Reject::UnsupportedVersion)], 8u);
  EXPECT_EQ(by_reason[static_cast<size_t>(Reject::UnknownKey)], 64u);
  EXPECT_GT(by_reason[static_cast<size_t>(Reject::BadSignature)], 64u * 8u);
}

TEST(Tamper, EveryTruncationIsRejected) {
  SecretKey k = key_a();
  KeyRing ring;
  ring.add(k.public_key());
  Datagram d = valid(k);
  for (size_t n = 0; n < d.size(); ++n) {
    // A heap copy of exactly n bytes, so AddressSanitizer sees any over-read.
    std::vector<uint8_t> cut(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n));
    Verifier v(ring);
    EXPECT_NE(v.accept(cut, kT0, nullptr), Reject::None) << n;
    DatagramView view(cut);
    EXPECT_FALSE(view.well_formed() && view.events_valid() && view.signed_bytes().size() + 64 == d.size())
        << n;
  }
}

TEST(Tamper, ExtensionAtTheEndIsRejected) {
  SecretKey k = key_a();
  KeyRing ring;
  ring.add(k.public_key());
  Datagram d = valid(k);
  for (size_t extra : {1, 2, 7, 64, 200}) {
    for (uint8_t fill : {0x00, 0xff}) {
      Datagram x = d;
      x.insert(x.end(), extra, fill);
      Verifier v(ring);
      EXPECT_NE(v.accept(x, kT0, nullptr), Reject::None) << extra;
    }
  }
  // Also a signature moved to the end after appended bytes: the events no longer fill the body.
  Datagram moved(d.begin(), d.end() - 64);
  moved.push_back(0);
  moved.insert(moved.end(), d.end() - 64, d.end());
  Verifier v(ring);
  EXPECT_EQ(v.accept(moved, kT0, nullptr), Reject::Malformed);
}

TEST(Tamper, WrongKeySignatureWithTrustedKeyIdIsRejected) {
  // A datagram signed by key B but carrying key A's id.
  SecretKey a = key_a(), b = key_b();
  KeyRing ring;
  ring.add(a.public_key());
  Datagram d = valid(b);
  std::copy(a.id().begin(), a.id().end(), d.begin() + 5);
  Verifier v(ring);
  EXPECT_EQ(v.accept(d, kT0, nullptr), Reject::BadSignature);
}

}  // namespace
}  // namespace uw::sign
