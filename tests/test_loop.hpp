#pragma once
// A libuv loop that a test runs on its own thread: initialised when made;
// when destroyed it runs what is left and fails the test if a handle was left
// open. run_until() turns it until a condition holds, with a deadline (a 5 ms
// timer keeps uv_run returning so the deadline is checked; it is not a wait
// for readiness).
#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <functional>

namespace uw::test {

struct TestLoop {
  uv_loop_t loop{};
  TestLoop() { EXPECT_EQ(uv_loop_init(&loop), 0); }
  ~TestLoop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0) << "a handle was left open";
  }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  // False if cond still does not hold after timeout.
  bool run_until(const std::function<bool()>& cond,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 5, 5);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!cond() && std::chrono::steady_clock::now() < deadline) uv_run(&loop, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);  // the tick's close callback
    return cond();
  }
};

}  // namespace uw::test
