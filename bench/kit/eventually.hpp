#pragma once
// Waiting for a condition with a deadline instead of a fixed sleep. Part of
// the test-and-bench kit (uwitter::kit). Blocks the calling thread.
#include <chrono>
#include <functional>
#include <thread>

namespace uw::kit {

// Polls cond every 20 ms until it holds or the timeout passes; returns its last value.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

}  // namespace uw::kit
