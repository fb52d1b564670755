#pragma once
// Text helpers for protocol tokens (header names and values, log fields).
// Any thread.
#include <string_view>

namespace uw::ascii {

// True when a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

}  // namespace uw::ascii
