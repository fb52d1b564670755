#pragma once
// Subscription tickets: a user id and an expiry, signed with the datagram key
// under its own domain-separation string. Text form is URL-safe (base64url, no padding).
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
const char* ticket_error_name(TicketError e);

std::string mint_ticket(const SecretKey& key, const Ticket& t);
TicketError verify_ticket(std::string_view text, const KeyRing& keys, int64_t now_s, Ticket* out);

}  // namespace uw::sign
