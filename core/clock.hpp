#pragma once
// uw::clock — the wall clock, in the units the store, the API and the datagram
// envelope use (unix seconds, unix milliseconds). One helper for every program;
// sign/ takes the time as an argument instead (it depends on nothing of ours).
// Intervals and timeouts use a monotonic clock instead (uv_now, uv_hrtime,
// std::chrono::steady_clock), never these. Any thread.
#include <chrono>
#include <cstdint>

namespace uw::clock {

inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

inline int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace uw::clock
