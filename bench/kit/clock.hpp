#pragma once
// The two clocks tests and benchmarks read: wall-clock milliseconds (what
// datagrams and events carry) and monotonic nanoseconds (what latencies are
// measured in). Part of the test-and-bench kit. Any thread.
#include <chrono>
#include <cstdint>

namespace uw::kit {

// Milliseconds since the Unix epoch (CLOCK_REALTIME).
inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Nanoseconds on the steady clock.
inline int64_t mono_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace uw::kit
