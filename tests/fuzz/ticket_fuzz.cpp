// libFuzzer driver for verify_ticket: any text must be refused cleanly unless
// it is a genuine ticket. Seeds (corpus/ticket_fuzz/) include the test-vector ticket.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sign/ticket.hpp"

namespace {
struct World {
  uw::sign::KeyRing ring;
  World() {
    uw::sign::Seed seed;
    for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
    ring.add(uw::sign::SecretKey::from_seed(seed).public_key());
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  uw::sign::Ticket t{};
  auto e = uw::sign::verify_ticket(text, world.ring, 1'795'824'000, &t);
  if (e == uw::sign::TicketError::None && t.user_id != 7) __builtin_trap();
  return 0;
}
