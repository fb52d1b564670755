#pragma once
// Ed25519 keys for Uwitter's datagrams and tickets (libsodium).
// sign/ depends on nothing of ours: errors are returned as messages ("" = ok).
#include <sodium/crypto_generichash.h>
#include <sodium/crypto_sign.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"  // header-only vocabulary type: sign/ links nothing of core

namespace uw::sign {

// Ed25519 sizes, from libsodium.
inline constexpr size_t kPublicKeyBytes = crypto_sign_PUBLICKEYBYTES;
inline constexpr size_t kSecretKeyBytes = crypto_sign_SECRETKEYBYTES;  // seed || public key
inline constexpr size_t kSeedBytes = crypto_sign_SEEDBYTES;
inline constexpr size_t kSignatureBytes = crypto_sign_BYTES;
// Ours: a key id is the first 8 bytes of a crypto_generichash digest.
inline constexpr size_t kKeyIdBytes = 8;
inline constexpr size_t kKeyIdDigestBytes = crypto_generichash_BYTES;

// Datagrams, tickets and key files (docs/PROTOCOL.md) are laid out with these
// sizes; a libsodium that changed one would break every peer, so say so here.
static_assert(kPublicKeyBytes == 32 && kSeedBytes == 32, "PROTOCOL.md: 32-byte Ed25519 keys");
static_assert(kSecretKeyBytes == kSeedBytes + kPublicKeyBytes,
              "libsodium's secret key is seed || public key");
static_assert(kSignatureBytes == 64, "PROTOCOL.md: 64-byte Ed25519 signatures");
static_assert(kKeyIdBytes <= kKeyIdDigestBytes && kKeyIdDigestBytes >= crypto_generichash_BYTES_MIN);

using PublicKey = std::array<uint8_t, kPublicKeyBytes>;
using KeyId = std::array<uint8_t, kKeyIdBytes>;
using Seed = std::array<uint8_t, kSeedBytes>;

// Calls sodium_init() once; returns false if libsodium cannot start. Any thread.
bool init();

// Key id: first 8 bytes of BLAKE2b-256 over a domain string and the public key
// (PROTOCOL.md gives the exact bytes).
KeyId key_id_of(const PublicKey& pk);
std::string hex(const uint8_t* p, size_t n);
template <size_t N>
std::string hex(const std::array<uint8_t, N>& a) {
  return hex(a.data(), N);
}
// Decodes exactly 2*n hex digits (surrounding whitespace ignored) into out; false otherwise.
bool parse_hex(std::string_view text, uint8_t* out, size_t n);

// A secret key; move-only; wiped with sodium_memzero when dropped.
class SecretKey {
 public:
  static SecretKey generate();
  static SecretKey from_seed(const Seed& seed);
  SecretKey(SecretKey&& o) noexcept;
  SecretKey& operator=(SecretKey&& o) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();
  const PublicKey& public_key() const { return pk_; }
  const KeyId& id() const { return id_; }
  const uint8_t* bytes() const { return sk_.data(); }  // 64 bytes for crypto_sign_detached
  // The 32-byte seed the key derives from (what the secret file stores). Wipe it after use.
  Seed seed() const;

 private:
  SecretKey() = default;
  std::array<uint8_t, kSecretKeyBytes> sk_{};
  PublicKey pk_{};
  KeyId id_{};
};

// Text form a person can paste: "uwitter-ed25519 <64 hex chars> id=<16 hex chars>".
std::string format_public_key(const PublicKey& pk);
std::optional<PublicKey> parse_public_key(
    std::string_view text);  // accepts that line (id checked if present)

// Files; errors are Error{500, "key_file", a sentence naming the file}.
// write_keypair creates dir (0700) if needed, writes dir/uwitter.key with
// mode 0600 (refuses to overwrite) and dir/uwitter.pub.
Result<Unit> write_keypair(const std::string& dir, const SecretKey& key);
// Refuses a secret file that group or others can read.
Result<SecretKey> load_secret_key(const std::string& path);
Result<PublicKey> load_public_key(const std::string& path);

// Trusted public keys by key id (rotation: add the new, retire the old).
class KeyRing {
 public:
  void add(const PublicKey& pk);
  bool retire(const KeyId& id);
  const PublicKey* find(const KeyId& id) const;  // nullptr if unknown
  size_t size() const { return keys_.size(); }
  std::vector<KeyId> ids() const;

 private:
  std::vector<std::pair<KeyId, PublicKey>> keys_;  // few keys: linear scan beats a map
};

}  // namespace uw::sign
