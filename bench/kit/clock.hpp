#pragma once
// The two clocks tests and benchmarks read: wall-clock milliseconds (what
// datagrams and events carry) and monotonic nanoseconds (what latencies are
// measured in). Part of the test-and-bench kit. Any thread.
#include <chrono>
#include <cstdint>

#include "core/clock.hpp"

namespace uw::kit {

// Milliseconds since the Unix epoch: core's wall clock, the one the programs use.
using uw::clock::now_ms;

// Nanoseconds on the steady clock.
inline int64_t mono_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace uw::kit
