#pragma once
// Plumbing of the tests of the store's threads (writer_test.cpp,
// readers_test.cpp): a StoreFixture database of each backend, a libuv loop
// on the test thread (tests/test_loop.hpp) with the LoopMailbox the threads
// answer through.
#include <uv.h>

#include <functional>
#include <thread>

#include "core/worker/loop_mailbox.hpp"
#include "tests/core/store/store_fixture.hpp"
#include "tests/test_loop.hpp"

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
  }
  bool run_until(const std::function<bool()>& cond) { return l_.run_until(cond); }
  // Another connection to the test's database (the threads own theirs).
  std::unique_ptr<Store> open_again(bool read_only = false) {
    Store::Options o;
    o.read_only = read_only;
    auto r = Store::open(target(), o);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r.value()) : nullptr;
  }

  TestLoop l_;  // first: made before, and checked for open handles after, everything on it
  uv_loop_t& loop_ = l_.loop;
  std::unique_ptr<LoopMailbox> mailbox_ = std::make_unique<LoopMailbox>(&loop_);
  const std::thread::id loop_thread_ = std::this_thread::get_id();
};

}  // namespace uw::test
