#pragma once
// Subscription tickets: a user id and an expiry, signed with the datagram key
// under its own domain-separation string. Text form is URL-safe (base64url, no
// padding, always 119 characters). docs/PROTOCOL.md section 7 has the bytes.
// Both functions are pure (no state): any thread may call them.
#include <cstdint>
#include <string>
#include <string_view>

#include "sign/keys.hpp"

namespace uw::sign {

struct Ticket {
  int64_t user_id = 0;
  int64_t expires_at_s = 0;
};

enum class TicketError { None, Malformed, UnknownKey, BadSignature, Expired };
// "none", "malformed", "unknown_key", "bad_signature", "expired" (for counters and logs).
const char* ticket_error_name(TicketError e);

// Signs t with key (the web app). Returns the 119-character text form.
std::string mint_ticket(const SecretKey& key, const Ticket& t);
// Checks text against the trusted keys at now_s (the notifier): format, key id,
// expiry (expires_at_s must be > now_s), then the signature. On None, *out (may
// be nullptr) holds the ticket; the caller serves that user and no other.
// On failure *out is left untouched.
TicketError verify_ticket(std::string_view text, const KeyRing& keys, int64_t now_s, Ticket* out);

}  // namespace uw::sign
