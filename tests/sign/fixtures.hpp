#pragma once
// Shared test fixtures for tests/sign: fixed keys (the PROTOCOL.md test-vector
// keys) and sample events.
#include <string>
#include <vector>

#include "sign/envelope.hpp"
#include "sign/event.hpp"
#include "sign/keys.hpp"

namespace uw::sign::testing {

// Seed of key A: bytes 00 01 02 ... 1f. Seed of key B: 20 21 ... 3f.
inline Seed seed_from(uint8_t first) {
  Seed s;
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(first + i);
  return s;
}
inline SecretKey key_a() { return SecretKey::from_seed(seed_from(0x00)); }
inline SecretKey key_b() { return SecretKey::from_seed(seed_from(0x20)); }

// 2026-11-28T00:00:00Z in ms: the send time of the vectors.
inline constexpr int64_t kT0 = 1'795'824'000'000;

inline PostEvent sample_post(int64_t id = 42, std::string text = "hello, uwitter") {
  return PostEvent{id, 7, "alice", kT0 - 5, std::move(text)};
}
inline FollowEvent sample_follow() { return FollowEvent{7, "alice", 9, kT0 - 4}; }
inline MentionEvent sample_mention() { return MentionEvent{43, 9, "bob", 7, kT0 - 3, "hi @alice"}; }

// An 80-character uweet body.
inline std::string text80() { return std::string(80, 'x'); }

inline std::vector<uint8_t> unhex(const std::string& h) {
  std::vector<uint8_t> out(h.size() / 2);
  parse_hex(h, out.data(), out.size());
  return out;
}

}  // namespace uw::sign::testing
