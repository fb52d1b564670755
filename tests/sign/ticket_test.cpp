// Subscription tickets: mint/verify, expiry, forgery, another user, unknown key.
#include "sign/ticket.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include "tests/sign/fixtures.hpp"

namespace uw::sign {
namespace {

using namespace testing;

constexpr int64_t kNow = kT0 / 1000;

TEST(Ticket, RoundTrips) {
  SecretKey k = key_a();
  KeyRing ring;
  ring.add(k.public_key());
  std::string t = mint_ticket(k, Ticket{7, kNow + 60});
  EXPECT_EQ(t.size(), 119u);
  EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << "URL-safe";
  Ticket out;
  ASSERT_EQ(verify_ticket(t, ring, kNow, &out), TicketError::None);
  EXPECT_EQ(out.user_id, 7);
  EXPECT_EQ(out.expires_at_s, kNow + 60);
}

TEST(Ticket, RejectsExpiredForgedForeignAndMalformed) {
  SecretKey k = key_a(), other = key_b();
  KeyRing ring;
  ring.add(k.public_key());
  std::string good = mint_ticket(k, Ticket{7, kNow + 60});
  // Another user's id spliced into a valid ticket: the signature no longer holds.
  std::string for_8 = mint_ticket(k, Ticket{8, kNow + 60});
  std::string spliced = good.substr(0, 12) + for_8.substr(12, 12) + good.substr(24);
  ASSERT_NE(spliced, good);
  std::string flipped = good;
  flipped[60] = flipped[60] == 'A' ? 'B' : 'A';
  struct Case {
    const char* name;
    std::string text;
    int64_t now;
    TicketError want;
  };
  std::vector<Case> cases = {
      {"expired", good, kNow + 60, TicketError::Expired},
      {"long expired", mint_ticket(k, Ticket{7, kNow - 1}), kNow, TicketError::Expired},
      {"signed by an untrusted key", mint_ticket(other, Ticket{7, kNow + 60}), kNow, TicketError::UnknownKey},
      {"user id changed", spliced, kNow, TicketError::BadSignature},
      {"signature changed", flipped, kNow, TicketError::BadSignature},
      {"empty", "", kNow, TicketError::Malformed},
      {"truncated", good.substr(0, 118), kNow, TicketError::Malformed},
      {"extended", good + "A", kNow, TicketError::Malformed},
      {"not base64url", std::string(119, '*'), kNow, TicketError::Malformed},
      {"padded base64", good.substr(0, 117) + "==", kNow, TicketError::Malformed},
      {"non-canonical last char",
       good.substr(0, 118) + static_cast<char>(good[118] == 'A' ? 'B' : good[118] + 1), kNow,
       TicketError::Malformed},
  };
  for (const auto& c : cases) {
    Ticket out{-1, -1};
    EXPECT_EQ(verify_ticket(c.text, ring, c.now, &out), c.want) << c.name;
    EXPECT_EQ(out.user_id, -1) << c.name << ": nothing is returned on failure";
  }
  EXPECT_STREQ(ticket_error_name(TicketError::Expired), "expired");
}

TEST(Ticket, ADatagramDomainSignatureIsNotATicketSignature) {
  // Domain separation: the same key signs datagrams and tickets under different
  // strings. A ticket body signed under the datagram string must not verify.
  SecretKey k = key_a();
  KeyRing ring;
  ring.add(k.public_key());
  std::string good = mint_ticket(k, Ticket{7, kNow + 60});
  uint8_t raw[89];
  size_t got = 0;
  ASSERT_EQ(sodium_base642bin(raw, sizeof raw, good.data(), good.size(), nullptr, &got, nullptr,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  ASSERT_EQ(got, 89u);
  const char dom[] = "uwitter/datagram/v1";
  std::vector<uint8_t> msg(dom, dom + sizeof dom);
  msg.insert(msg.end(), raw, raw + 25);
  crypto_sign_detached(raw + 25, nullptr, msg.data(), msg.size(), k.bytes());
  char text[120];
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  Ticket out;
  EXPECT_EQ(verify_ticket(text, ring, kNow, &out), TicketError::BadSignature);
  // And the ticket string itself is what verifies.
  const char tdom[] = "uwitter/ticket/v1";
  std::vector<uint8_t> tmsg(tdom, tdom + sizeof tdom);
  tmsg.insert(tmsg.end(), raw, raw + 25);
  crypto_sign_detached(raw + 25, nullptr, tmsg.data(), tmsg.size(), k.bytes());
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  EXPECT_EQ(std::string(text), good);
}

}  // namespace
}  // namespace uw::sign
