#pragma once
// Internal to sign/: the wire encoding of one event (docs/PROTOCOL.md section 3).
#include <cstddef>
#include <cstdint>

#include "sign/event.hpp"

namespace uw::sign::codec {

// Writes e at out (the caller reserved encoded_size(e) bytes); returns bytes written.
size_t encode(const Event& e, uint8_t* out);

// Parses one event at p (n bytes available, never reads past p+n). On success
// stores a view into the same buffer and the bytes it took in *used.
bool parse(const uint8_t* p, size_t n, EventView* out, size_t* used);

}  // namespace uw::sign::codec
