#include "core/store/readers.hpp"

#include <algorithm>
#include <utility>

namespace uw {

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
  r->threads_.resize(r->stores_.size());
  for (size_t i = 0; i < r->stores_.size(); ++i) {
    Store* p = r->stores_[i].get();
    r->threads_[i].start({"reader"}, [rp = r.get(), p] { rp->thread_main(p); });
  }
  return r;
}

Readers::~Readers() { stop(); }

void Readers::submit(Task t) {
  // False once stopped (the server has already stopped taking requests): the
  // read is dropped together with its completion.
  (void)queue_.push(std::move(t));
}

void Readers::stop() {
  queue_.stop(Stop::Drain);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Readers::thread_main(Store* store) {
  while (auto t = queue_.take_one()) mailbox_.post((*t)(*store));
}

}  // namespace uw
