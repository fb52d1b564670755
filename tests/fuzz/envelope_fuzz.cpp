// libFuzzer driver for the receive path: DatagramView (header bounds, event
// parsing as views) and Verifier::accept (every check, the window). The seed
// corpus (corpus/envelope_fuzz/) holds the docs/PROTOCOL.md test vectors, which
// verify with the trusted key below at the clock used here.
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "sign/envelope.hpp"

namespace {

using namespace uw::sign;

constexpr int64_t kT0 = 1'795'824'000'000;  // the vectors' send time

struct World {
  KeyRing ring;
  World() {
    Seed seed;
    for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
    ring.add(SecretKey::from_seed(seed).public_key());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  std::span<const uint8_t> bytes(data, size);
  // The view alone: every event walked, every field touched.
  DatagramView view(bytes);
  size_t sum = 0;
  view.visit_events([&](const EventView& e) {
    std::visit(
        [&](const auto& x) {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, DeleteView>) {
            sum += x.deleted_at_ms != 0;
          } else {
            sum += x.created_at_ms != 0;
          }
        },
        e);
    if (const auto* p = std::get_if<PostView>(&e)) sum += p->author.size() + p->text.size();
    if (const auto* d = std::get_if<DeleteView>(&e)) sum += d->author.size();
  });
  // The full verifier, twice (the second is a replay of an accepted one).
  Verifier v(world.ring);
  DatagramView accepted;
  Reject r = v.accept(bytes, kT0 + 3, &accepted);
  if (r == Reject::None) {
    accepted.events_valid();
    if (v.accept(bytes, kT0 + 3, nullptr) != Reject::Duplicate) __builtin_trap();
  }
  return sum == static_cast<size_t>(-1);
}
