#include "core/worker/loop_mailbox.hpp"

#include <cassert>
#include <mutex>
#include <utility>
#include <vector>

namespace uw::web {

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
};

LoopMailbox::LoopMailbox(uv_loop_t* loop) : block_(new Block) {
  block_->async.data = block_;
  int rc = uv_async_init(loop, &block_->async, [](uv_async_t* a) { static_cast<Block*>(a->data)->drain(); });
  assert(rc == 0);
  (void)rc;
}

LoopMailbox::~LoopMailbox() {
  // Normal path: close() handed the block to the close callback (block_ == nullptr).
  assert(block_ == nullptr);
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
  Block* b = block_;
  block_ = nullptr;
  b->drain();
  {
    std::lock_guard lk(b->mu);
    b->closed = true;
  }
  b->on_closed = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&b->async), [](uv_handle_t* h) {
    auto* blk = static_cast<Block*>(h->data);
    auto cb = std::move(blk->on_closed);
    delete blk;
    if (cb) cb();
  });
}

}  // namespace uw::web
