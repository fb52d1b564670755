// Subscription tickets (docs/PROTOCOL.md section 7): 89 bytes
//   version u8 | key id 8 | user id i64 | expires_at_s i64 | signature 64
// signed as "uwitter/ticket/v1\0" || the first 25 bytes, sent as unpadded base64url.
#include "sign/ticket.hpp"

#include <sodium.h>

#include <cstring>

#include "sign/wire.hpp"

namespace uw::sign {

namespace {
constexpr uint8_t kTicketVersion = 1;
constexpr size_t kBody = 1 + kKeyIdBytes + 8 + 8;            // 25
constexpr size_t kTicketBytes = kBody + kSignatureBytes;     // 89
constexpr size_t kTicketChars = (kTicketBytes * 4 + 2) / 3;  // 119
constexpr size_t kDom = sizeof wire::kTicketDomain;
static_assert(kTicketBytes == 89 && kTicketChars == 119, "PROTOCOL.md section 7");

void message(const uint8_t* body, uint8_t* msg) {
  std::memcpy(msg, wire::kTicketDomain, kDom);
  std::memcpy(msg + kDom, body, kBody);
}
}  // namespace

const char* ticket_error_name(TicketError e) {
  switch (e) {
    case TicketError::None:
      return "none";
    case TicketError::Malformed:
      return "malformed";
    case TicketError::UnknownKey:
      return "unknown_key";
    case TicketError::BadSignature:
      return "bad_signature";
    case TicketError::Expired:
      return "expired";
  }
  return "unknown";
}

std::string mint_ticket(const SecretKey& key, const Ticket& t) {
  init();
  uint8_t raw[kTicketBytes];
  raw[0] = kTicketVersion;
  std::memcpy(raw + 1, key.id().data(), kKeyIdBytes);
  wire::put_i64(raw + 1 + kKeyIdBytes, t.user_id);
  wire::put_i64(raw + 1 + kKeyIdBytes + 8, t.expires_at_s);
  uint8_t msg[kDom + kBody];
  message(raw, msg);
  crypto_sign_detached(raw + kBody, nullptr, msg, sizeof msg, key.bytes());
  char text[kTicketChars + 1];
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(text, kTicketChars);
}

TicketError verify_ticket(std::string_view text, const KeyRing& keys, int64_t now_s, Ticket* out) {
  init();
  if (text.size() != kTicketChars) return TicketError::Malformed;
  uint8_t raw[kTicketBytes];
  size_t got = 0;
  if (sodium_base642bin(raw, sizeof raw, text.data(), text.size(), nullptr, &got, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      got != kTicketBytes || raw[0] != kTicketVersion) {
    return TicketError::Malformed;
  }
  // Only the canonical text form: the two spare bits of the last character must be zero.
  char again[kTicketChars + 1];
  sodium_bin2base64(again, sizeof again, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (std::memcmp(again, text.data(), kTicketChars) != 0) return TicketError::Malformed;
  KeyId id;
  std::memcpy(id.data(), raw + 1, kKeyIdBytes);
  const PublicKey* pk = keys.find(id);
  if (pk == nullptr) return TicketError::UnknownKey;
  Ticket t{wire::get_i64(raw + 1 + kKeyIdBytes), wire::get_i64(raw + 1 + kKeyIdBytes + 8)};
  // Expiry before the signature: cheaper, and an expired ticket is refused either way.
  if (t.expires_at_s <= now_s) return TicketError::Expired;
  uint8_t msg[kDom + kBody];
  message(raw, msg);
  if (crypto_sign_verify_detached(raw + kBody, msg, sizeof msg, pk->data()) != 0)
    return TicketError::BadSignature;
  if (out != nullptr) *out = t;
  return TicketError::None;
}

}  // namespace uw::sign
