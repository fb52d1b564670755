#pragma once
// uw::LoopMailbox — the one way worker threads hand results back to a libuv
// loop (store/writer, store/readers, the notifier's FanoutWorker): post()
// queues a closure and wakes the loop with uv_async_send; the closures then run
// on the loop thread in posting order. One wake-up may deliver many closures
// (libuv coalesces uv_async_send).
//
// Lifetime: the uv_async_t lives inside a block the mailbox owns; the block is
// freed in the handle's close callback (STYLE.md). Every thread that posts must
// have stopped before close(): posting after close() is a bug and asserts.
//
// Threading: the constructor, close() and the destructor on the loop thread;
// post() on any thread.
#include <uv.h>

#include <functional>

namespace uw {

class LoopMailbox {
 public:
  explicit LoopMailbox(uv_loop_t* loop);
  // Normally after close(). Without one, what is still queued is dropped unrun
  // and the handle is closed here; its block is freed when the loop next runs.
  ~LoopMailbox();
  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // fn runs later on the loop thread.
  void post(std::function<void()> fn);
  // Runs what is still queued (now, before returning), closes the handle, then
  // calls done (may be empty) from the close callback.
  void close(std::function<void()> done);

 private:
  struct Block;
  Block* block_ = nullptr;  // handed to the close callback by close()
};

}  // namespace uw
