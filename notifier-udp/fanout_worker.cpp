#include "notifier-udp/fanout_worker.hpp"

#include "core/store/store.hpp"

namespace uw::notifier {

FanoutWorker::FanoutWorker(uv_loop_t* loop, Options opts, std::function<void(FanoutChunk&&)> on_chunk)
    : loop_(loop), opts_(std::move(opts)), on_chunk_(std::move(on_chunk)) {
  if (opts_.chunk < 1) opts_.chunk = 1;
  uv_async_init(loop_, &async_, [](uv_async_t* a) { static_cast<FanoutWorker*>(a->data)->drain(); });
  async_.data = this;
}

FanoutWorker::~FanoutWorker() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
}

void FanoutWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void FanoutWorker::submit(const FanoutJob& job) {
  {
    std::lock_guard lock(mu_);
    (job.author_id == 0 ? singles_ : jobs_).push_back(Active{job, 0});
  }
  cv_.notify_one();
}

void FanoutWorker::consumed(size_t n) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    outstanding_ = n > outstanding_ ? 0 : outstanding_ - n;
    wake = outstanding_ <= opts_.max_outstanding / 2;
  }
  if (wake) cv_.notify_one();
}

size_t FanoutWorker::queued_jobs() const {
  std::lock_guard lock(mu_);
  return jobs_.size() + singles_.size();
}

void FanoutWorker::stop(std::function<void()> done) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  stop_done_ = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), [](uv_handle_t* h) {
    auto* self = static_cast<FanoutWorker*>(h->data);
    if (self->stop_done_) {
      auto d = std::move(self->stop_done_);
      d();
    }
  });
}

void FanoutWorker::drain() {
  std::vector<FanoutChunk> got;
  {
    std::lock_guard lock(mu_);
    got.swap(ready_);
  }
  for (auto& c : got) on_chunk_(std::move(c));
}

bool FanoutWorker::ensure_store(std::string* err) {
  if (store_) return true;
  if (opts_.db_path.empty()) {
    *err = "no database (--db)";
    return false;
  }
  // The database may not exist yet (the web app creates it on first start):
  // try again on the next job, at most once a second.
  uint64_t now = uv_hrtime() / 1000000;
  if (last_open_attempt_ms_ != 0 && now - last_open_attempt_ms_ < 1000) {
    *err = "database not open yet";
    return false;
  }
  last_open_attempt_ms_ = now;
  Store::Options o;
  o.read_only = true;
  o.search = false;  // follower lists only; the search index is the web app's
  auto s = Store::open(opts_.db_path, o);
  if (!s) {
    *err = "cannot open database: " + s.error().message;
    return false;
  }
  store_ = std::move(s.value());
  return true;
}

const std::string& FanoutWorker::name_of(int64_t id) {
  auto it = names_.find(id);
  if (it != names_.end()) return it->second;
  if (names_.size() > 200000) names_.clear();  // bounded cache; names never change
  std::string name;
  if (store_) {
    if (auto u = store_->user_by_id(id)) name = u->username;
  }
  return names_.emplace(id, std::move(name)).first->second;
}

void FanoutWorker::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] {
      return stopping_ || !singles_.empty() || (!jobs_.empty() && outstanding_ < opts_.max_outstanding);
    });
    if (stopping_) return;
    std::deque<Active>& from = singles_.empty() ? jobs_ : singles_;
    Active a = std::move(from.front());
    from.pop_front();
    lock.unlock();

    FanoutChunk c;
    c.job_id = a.job.job_id;
    std::string err;
    bool have_store = ensure_store(&err);
    if (a.job.author_id == 0) {
      c.ids.push_back(a.job.single_user);
      c.last = true;
    } else if (!have_store) {
      c.error = err;
      c.last = true;
    } else {
      c.ids = store_->follower_ids(a.job.author_id, a.after_id, static_cast<int>(opts_.chunk));
      c.last = c.ids.size() < opts_.chunk;
      if (!c.ids.empty()) a.after_id = c.ids.back();
    }
    if (a.job.want_names && have_store) {
      c.names.reserve(c.ids.size());
      for (int64_t id : c.ids) c.names.push_back(name_of(id));
    }
    size_t n = c.ids.size();
    bool last = c.last;

    lock.lock();
    outstanding_ += n;
    ready_.push_back(std::move(c));
    // Round-robin: an unfinished job goes to the back of the queue.
    if (!last) jobs_.push_back(std::move(a));
    uv_async_send(&async_);
  }
}

}  // namespace uw::notifier
