#pragma once
// Plumbing of the tests of the store's threads (writer_test.cpp,
// readers_test.cpp): a StoreFixture database of each backend, a libuv loop
// on the test thread with the LoopMailbox the threads answer through, and
// run_until(), which turns the loop until a condition holds (with a deadline).
#include <uv.h>

#include <chrono>
#include <functional>
#include <thread>

#include "core/worker/loop_mailbox.hpp"
#include "tests/core/store/store_fixture.hpp"

namespace uw::test {

class StoreThreadsTest : public ::testing::TestWithParam<std::string>, public StoreFixture {
 protected:
  void SetUp() override { open_backend(GetParam()); }
  void TearDown() override {
    bool closed = false;
    mailbox_->close([&] { closed = true; });
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_TRUE(closed);
    mailbox_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);  // no handle left open
  }
  // Turns the loop (on this thread) until cond holds; false after 10 s.
  bool run_until(const std::function<bool()>& cond) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!cond()) {
      if (std::chrono::steady_clock::now() > end) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  // Another connection to the test's database (the threads own theirs).
  std::unique_ptr<Store> open_again(bool read_only = false) {
    Store::Options o;
    o.read_only = read_only;
    auto r = Store::open(target(), o);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r.value()) : nullptr;
  }

  struct Loop {
    Loop() { EXPECT_EQ(uv_loop_init(&loop), 0); }
    uv_loop_t loop;
  } l_;
  uv_loop_t& loop_ = l_.loop;
  std::unique_ptr<LoopMailbox> mailbox_ = std::make_unique<LoopMailbox>(&loop_);
  const std::thread::id loop_thread_ = std::this_thread::get_id();
};

}  // namespace uw::test
