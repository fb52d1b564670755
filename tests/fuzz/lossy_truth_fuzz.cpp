// libFuzzer driver for bench/lossy/truth.cpp: parse_truth never crashes, and
// whatever it accepts formats back to a line that parses to the same line.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bench/lossy/truth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  auto r = uw::lossy::parse_truth(line);
  if (!r) return 0;
  const std::string once = uw::lossy::format_truth(*r);
  auto again = uw::lossy::parse_truth(once);
  if (!again || uw::lossy::format_truth(*again) != once) std::abort();
  return 0;
}
