#pragma once
// uw::web::LoopMailbox — how worker threads (writer, readers) hand results back
// to the loop thread: post() queues a closure and wakes the loop with
// uv_async_send; the closures then run on the loop thread in posting order.
// One uv_async_send may deliver many closures (libuv coalesces wake-ups).
//
// Lifetime: the uv_async_t lives inside a heap block owned by the mailbox and
// freed in its close callback. Every thread that posts must have stopped before
// close() is called (posting after close is a bug and asserts).
#include <uv.h>

#include <functional>
#include <memory>

namespace uw::web {

class LoopMailbox {
 public:
  explicit LoopMailbox(uv_loop_t* loop);  // loop thread
  ~LoopMailbox();                         // close() must have been called (or the loop never ran)
  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // Any thread. fn runs later on the loop thread.
  void post(std::function<void()> fn);
  // Loop thread: runs what is still queued, closes the handle, then calls done.
  void close(std::function<void()> done);

 private:
  struct Block;
  Block* block_ = nullptr;  // freed in the close callback
};

}  // namespace uw::web
