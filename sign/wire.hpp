#pragma once
// Internal to sign/: big-endian fixed-width integers and the byte offsets of the
// envelope (docs/PROTOCOL.md section 2). Not part of the public interface.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sign/keys.hpp"

namespace uw::sign::wire {

// "UWTD": Uwitter datagram. Bytes 0..3 of every datagram.
inline constexpr uint8_t kMagic[4] = {'U', 'W', 'T', 'D'};

// Header layout by byte offset.
inline constexpr size_t kOffMagic = 0;     // 4 bytes
inline constexpr size_t kOffVersion = 4;   // u8
inline constexpr size_t kOffKeyId = 5;     // 8 bytes
inline constexpr size_t kOffSession = 13;  // u64
inline constexpr size_t kOffSeq = 21;      // u64
inline constexpr size_t kOffSentAt = 29;   // i64, Unix ms
inline constexpr size_t kOffCount = 37;    // u16
inline constexpr size_t kOffEvents = 39;   // the events, then the signature (kSignatureBytes)
static_assert(kOffKeyId + kKeyIdBytes == kOffSession, "the key id fills bytes 5..12");

// Domain-separation strings, each including its terminating NUL byte.
inline constexpr char kDatagramDomain[] = "uwitter/datagram/v1";  // sizeof = 20 with NUL
inline constexpr char kTicketDomain[] = "uwitter/ticket/v1";      // 18 with NUL
inline constexpr char kKeyIdDomain[] = "uwitter/key-id/v1";       // 18 with NUL

// Field limits (bytes).
inline constexpr size_t kMaxUsername = 15;
inline constexpr size_t kMaxText = 564;  // 141 code points x 4 bytes

inline void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}
inline void put_i64(uint8_t* p, int64_t v) { put_u64(p, static_cast<uint64_t>(v)); }
inline uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
inline int64_t get_i64(const uint8_t* p) { return static_cast<int64_t>(get_u64(p)); }

}  // namespace uw::sign::wire
