#include "core/worker/loop_mailbox.hpp"

#include <cassert>
#include <mutex>
#include <utility>
#include <vector>

namespace uw {

struct LoopMailbox::Block {
  uv_async_t async{};
  std::mutex mu;
  std::vector<std::function<void()>> queue;  // guarded by mu
  bool closed = false;                       // guarded by mu
  std::function<void()> on_closed;

  // Runs everything queued so far. The vector is swapped out under the lock so a
  // closure may post again without deadlocking.
  void drain() {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard lk(mu);
      batch.swap(queue);
    }
    for (auto& fn : batch) fn();
  }

  // Marks the block closed (later posts assert) and closes the handle; the
  // close callback frees the block, then calls on_closed.
  void shut() {
    {
      std::lock_guard lk(mu);
      closed = true;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&async), [](uv_handle_t* h) {
      auto* blk = static_cast<Block*>(h->data);
      auto cb = std::move(blk->on_closed);
      delete blk;
      if (cb) cb();
    });
  }
};

LoopMailbox::LoopMailbox(uv_loop_t* loop) : block_(new Block) {
  block_->async.data = block_;
  int rc = uv_async_init(loop, &block_->async, [](uv_async_t* a) { static_cast<Block*>(a->data)->drain(); });
  assert(rc == 0);
  (void)rc;
}

LoopMailbox::~LoopMailbox() {
  if (block_ == nullptr) return;  // close() handed the block to the close callback
  {
    std::lock_guard lk(block_->mu);
    block_->queue.clear();  // closures may refer to whatever is being destroyed with us
  }
  std::exchange(block_, nullptr)->shut();
}

void LoopMailbox::post(std::function<void()> fn) {
  {
    std::lock_guard lk(block_->mu);
    assert(!block_->closed);
    block_->queue.push_back(std::move(fn));
  }
  uv_async_send(&block_->async);
}

void LoopMailbox::close(std::function<void()> done) {
  Block* b = std::exchange(block_, nullptr);
  b->drain();
  b->on_closed = std::move(done);
  b->shut();
}

}  // namespace uw
