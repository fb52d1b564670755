#include "core/store/readers.hpp"

#include <algorithm>
#include <utility>

namespace uw::web {

Result<std::unique_ptr<Readers>> Readers::create(const std::string& db_path, int threads,
                                                 LoopMailbox& mailbox) {
  std::unique_ptr<Readers> r(new Readers(mailbox));
  for (int i = 0; i < std::max(1, threads); ++i) {
    Store::Options o;
    o.read_only = true;
    auto s = Store::open(db_path, o);
    if (!s) return s.error();
    r->stores_.push_back(std::move(s.value()));
  }
  for (auto& s : r->stores_) {
    Store* p = s.get();
    r->threads_.emplace_back([rp = r.get(), p] { rp->thread_main(p); });
  }
  return r;
}

Readers::~Readers() { stop(); }

void Readers::submit(Task t) {
  {
    std::lock_guard lk(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(t));
      cv_.notify_one();
      return;
    }
  }
  // Stopped (the server has already stopped taking requests): the read is
  // dropped together with its completion.
}

void Readers::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Readers::thread_main(Store* store) {
  for (;;) {
    Task t;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      t = std::move(queue_.front());
      queue_.pop_front();
    }
    mailbox_.post(t(*store));
  }
}

}  // namespace uw::web
