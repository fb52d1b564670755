// Key ids, secret keys (wiped on drop), the pasteable public-key line, the key ring.
#include "sign/keys.hpp"

#include <sodium.h>

#include <cstring>
#include <mutex>

#include "sign/wire.hpp"

namespace uw::sign {

bool init() {
  // sodium_init is itself idempotent and thread-safe; call_once keeps the answer.
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = sodium_init() >= 0; });
  return ok;
}

KeyId key_id_of(const PublicKey& pk) {
  uint8_t in[sizeof wire::kKeyIdDomain + kPublicKeyBytes];
  std::memcpy(in, wire::kKeyIdDomain, sizeof wire::kKeyIdDomain);
  std::memcpy(in + sizeof wire::kKeyIdDomain, pk.data(), pk.size());
  uint8_t digest[kKeyIdDigestBytes];
  crypto_generichash(digest, sizeof digest, in, sizeof in, nullptr, 0);
  KeyId id;
  std::memcpy(id.data(), digest, id.size());
  return id;
}

std::string hex(const uint8_t* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}

SecretKey SecretKey::generate() {
  init();
  SecretKey k;
  crypto_sign_keypair(k.pk_.data(), k.sk_.data());
  k.id_ = key_id_of(k.pk_);
  return k;
}

SecretKey SecretKey::from_seed(const Seed& seed) {
  init();
  SecretKey k;
  crypto_sign_seed_keypair(k.pk_.data(), k.sk_.data(), seed.data());
  k.id_ = key_id_of(k.pk_);
  return k;
}

SecretKey::SecretKey(SecretKey&& o) noexcept : sk_(o.sk_), pk_(o.pk_), id_(o.id_) {
  sodium_memzero(o.sk_.data(), o.sk_.size());
}

SecretKey& SecretKey::operator=(SecretKey&& o) noexcept {
  if (this != &o) {
    sk_ = o.sk_;
    pk_ = o.pk_;
    id_ = o.id_;
    sodium_memzero(o.sk_.data(), o.sk_.size());
  }
  return *this;
}

SecretKey::~SecretKey() { sodium_memzero(sk_.data(), sk_.size()); }

Seed SecretKey::seed() const {
  Seed s;
  crypto_sign_ed25519_sk_to_seed(s.data(), sk_.data());
  return s;
}

namespace {
constexpr std::string_view kPubPrefix = "uwitter-ed25519";

bool unhex(std::string_view h, uint8_t* out, size_t n) {
  if (h.size() != 2 * n) return false;
  size_t got = 0;
  if (sodium_hex2bin(out, n, h.data(), h.size(), nullptr, &got, nullptr) != 0) return false;
  return got == n;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Splits off the next space-separated word.
std::string_view next_word(std::string_view* s) {
  *s = trim(*s);
  size_t sp = s->find_first_of(" \t");
  std::string_view w = s->substr(0, sp);
  s->remove_prefix(sp == std::string_view::npos ? s->size() : sp);
  return w;
}
}  // namespace

bool parse_hex(std::string_view text, uint8_t* out, size_t n) { return unhex(trim(text), out, n); }

std::string format_public_key(const PublicKey& pk) {
  return std::string(kPubPrefix) + " " + hex(pk) + " id=" + hex(key_id_of(pk));
}

std::optional<PublicKey> parse_public_key(std::string_view text) {
  std::string_view rest = trim(text);
  std::string_view w = next_word(&rest);
  if (w == kPubPrefix) w = next_word(&rest);
  PublicKey pk;
  if (!unhex(w, pk.data(), pk.size())) return std::nullopt;
  std::string_view id = next_word(&rest);
  if (!id.empty()) {
    if (id.substr(0, 3) != "id=" || id.substr(3) != hex(key_id_of(pk))) return std::nullopt;
  }
  if (!trim(rest).empty()) return std::nullopt;
  return pk;
}

void KeyRing::add(const PublicKey& pk) {
  KeyId id = key_id_of(pk);
  if (find(id) != nullptr) return;
  keys_.emplace_back(id, pk);
}

bool KeyRing::retire(const KeyId& id) {
  for (auto it = keys_.begin(); it != keys_.end(); ++it) {
    if (it->first == id) {
      keys_.erase(it);
      return true;
    }
  }
  return false;
}

const PublicKey* KeyRing::find(const KeyId& id) const {
  for (const auto& [k, pk] : keys_)
    if (k == id) return &pk;
  return nullptr;
}

std::vector<KeyId> KeyRing::ids() const {
  std::vector<KeyId> out;
  out.reserve(keys_.size());
  for (const auto& kv : keys_) out.push_back(kv.first);
  return out;
}

}  // namespace uw::sign
