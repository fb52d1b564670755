#include "notifier-udp/fanout_worker.hpp"

#include "core/store/store.hpp"

namespace uw::notifier {

FanoutWorker::FanoutWorker(uv_loop_t* loop, Options opts, std::function<void(FanoutChunk&&)> on_chunk)
    : opts_(std::move(opts)), on_chunk_(std::move(on_chunk)), mailbox_(loop) {
  if (opts_.chunk < 1) opts_.chunk = 1;
}

FanoutWorker::~FanoutWorker() {
  inbox_.stop(Stop::Now);
  thread_.join();
}

void FanoutWorker::start() {
  thread_.start({"fanout"}, [this] { run(); });
}

void FanoutWorker::submit(const FanoutJob& job) { (void)inbox_.push(FanoutJob(job)); }

void FanoutWorker::consumed(size_t n) {
  // Only this thread takes ids off, so the value cannot drop under us; the
  // worker may add meanwhile, which the exchange retries over.
  size_t before = outstanding_.load(std::memory_order_relaxed), after;
  do {
    after = n > before ? 0 : before - n;
  } while (!outstanding_.compare_exchange_weak(before, after, std::memory_order_relaxed));
  // Wake a worker held back by backpressure once the loop has caught up to half.
  const size_t half = opts_.max_outstanding / 2;
  if (before > half && after <= half) (void)inbox_.push(Wake{});
}

void FanoutWorker::stop(std::function<void()> done) {
  inbox_.stop(Stop::Now);
  thread_.join();
  stopping_ = true;  // close() runs what is queued: those chunks are dropped
  mailbox_.close(std::move(done));
}

Result<Unit> FanoutWorker::ensure_store() {
  if (store_) return Unit{};
  if (opts_.db_path.empty()) return Error{503, "no_database", "no database (--db)"};
  // The database may not exist yet (the web app creates it on first start):
  // try again on the next job, at most once a second.
  uint64_t now = uv_hrtime() / 1000000;
  if (last_open_attempt_ms_ != 0 && now - last_open_attempt_ms_ < 1000)
    return Error{503, "db_not_open", "database not open yet"};
  last_open_attempt_ms_ = now;
  Store::Options o;
  o.read_only = true;
  o.search = false;  // follower lists only; the search index is the web app's
  auto s = Store::open(opts_.db_path, o);
  if (!s) return Error{s.error().status, s.error().code, "cannot open database: " + s.error().message};
  store_ = std::move(s.value());
  return Unit{};
}

const std::string& FanoutWorker::name_of(int64_t id) {
  auto it = names_.find(id);
  if (it != names_.end()) return it->second;
  if (names_.size() > 200000) names_.clear();  // bounded cache; names never change
  std::string name;
  if (store_) {
    if (auto u = store_->user_by_id(id)) name = u->username;
    if (store_->take_unavailable()) {
      static const std::string unknown;
      return unknown;  // not cached: the name is there once the database is back
    }
  }
  return names_.emplace(id, std::move(name)).first->second;
}

void FanoutWorker::run() {
  std::vector<Message> got;
  for (;;) {
    // Wait only when there is nothing we may do; otherwise just pick up what
    // arrived, so a new single recipient goes ahead of the next big chunk.
    const bool can_read =
        !jobs_.empty() && outstanding_.load(std::memory_order_relaxed) < opts_.max_outstanding;
    if (!(singles_.empty() && !can_read ? inbox_.take(got) : inbox_.poll(got))) return;
    for (auto& m : got) {
      if (auto* j = std::get_if<FanoutJob>(&m))
        (j->author_id == 0 ? singles_ : jobs_).push_back(Active{*j, 0});
    }
    got.clear();
    if (singles_.empty() &&
        (jobs_.empty() || outstanding_.load(std::memory_order_relaxed) >= opts_.max_outstanding)) {
      continue;
    }
    std::deque<Active>& from = singles_.empty() ? jobs_ : singles_;
    Active a = from.front();
    from.pop_front();

    FanoutChunk c;
    c.job_id = a.job.job_id;
    const Result<Unit> store = ensure_store();
    const bool have_store = store.ok();
    const bool first_chunk = a.after_id == 0;
    if (a.job.author_id == 0) {
      c.ids.push_back(a.job.single_user);
      c.last = true;
    } else if (!have_store) {
      c.error = store.error().message;
      c.last = true;
    } else {
      c.ids = store_->follower_ids(a.job.author_id, a.after_id, static_cast<int>(opts_.chunk));
      c.last = c.ids.size() < opts_.chunk;
      if (!c.ids.empty()) a.after_id = c.ids.back();
      if (auto e = store_->take_unavailable()) {
        // The database went away mid-list (the store reconnects by itself on a
        // later job): say so instead of taking "no rows" for "no followers".
        c.error = e->message;
        c.last = true;
      }
    }
    const bool small = first_chunk && c.last && c.ids.size() <= a.job.names_up_to;
    if ((a.job.want_names || small) && have_store) {
      c.names.reserve(c.ids.size());
      for (int64_t id : c.ids) c.names.push_back(name_of(id));
    }
    outstanding_.fetch_add(c.ids.size(), std::memory_order_relaxed);
    // Round-robin: an unfinished job goes to the back of the queue.
    if (!c.last) jobs_.push_back(a);
    mailbox_.post([this, c = std::move(c)]() mutable {
      if (!stopping_) on_chunk_(std::move(c));
    });
  }
}

}  // namespace uw::notifier
