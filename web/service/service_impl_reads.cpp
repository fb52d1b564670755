// ServiceImpl: reads. Each answers from the TimelineCache when it can be exact,
// else asks a reader thread; plus tickets and the demo seed.
#include <algorithm>
#include <chrono>
#include <utility>

#include "core/clock.hpp"
#include "core/rules.hpp"
#include "sign/ticket.hpp"
#include "web/service/service_impl.hpp"

namespace uw::web {

namespace {
// How long a search waits for the index to catch up before answering with what
// is indexed (only reached under overload or while rebuilding the index).
constexpr std::chrono::milliseconds kSearchIndexWait{250};
}  // namespace

namespace {
int clamp_limit(int limit) { return std::clamp(limit, 1, 100); }
}  // namespace

void ServiceImpl::decorate(Uweet& u) const {
  const CachedUser* a = cache_.user(u.author_id);
  u.author_display = a ? a->user.display_name : std::string();
}

Done<Page<Uweet>> ServiceImpl::decorated(Done<Page<Uweet>> done) const {
  return [this, done = std::move(done)](Result<Page<Uweet>> r) {
    if (r)
      for (auto& u : r->items) decorate(u);
    done(std::move(r));
  };
}

void ServiceImpl::uweet(int64_t id, Done<Uweet> done) {
  if (const Uweet* cached = cache_.uweet(id)) {
    Uweet u = *cached;
    decorate(u);
    return done(std::move(u));
  }
  // With peers, a uweet above the newest id applied may exist: ask the database.
  if (id <= 0 || (!feed_ && id > cache_.max_uweet_id()))
    return done(Error{404, "no_such_uweet", "There is no such uweet."});
  if (cache_misses_) cache_misses_->inc();
  readers_->call<Uweet>(
      [id](Store& s) -> Result<Uweet> {
        auto u = s.uweet(id);
        if (!u) return Error{404, "no_such_uweet", "There is no such uweet."};
        return std::move(*u);
      },
      [this, done = std::move(done)](Result<Uweet> r) {
        if (r) decorate(*r);
        done(std::move(r));
      });
}

void ServiceImpl::home_timeline(const Viewer& v, std::optional<int64_t> before, int limit,
                                Done<Page<Uweet>> done) {
  limit = clamp_limit(limit);
  done = decorated(std::move(done));
  if (auto p = cache_.home(v.user_id, before, limit)) return done(std::move(*p));
  if (cache_misses_) cache_misses_->inc();
  readers_->call<Page<Uweet>>(
      [uid = v.user_id, before, limit](Store& s) { return s.home_timeline(uid, before, limit); },
      std::move(done));
}

void ServiceImpl::public_timeline(std::optional<int64_t> before, int limit, Done<Page<Uweet>> done) {
  limit = clamp_limit(limit);
  done = decorated(std::move(done));
  if (auto p = cache_.public_page(before, limit)) return done(std::move(*p));
  if (cache_misses_) cache_misses_->inc();
  readers_->call<Page<Uweet>>([before, limit](Store& s) { return s.public_timeline(before, limit); },
                              std::move(done));
}

void ServiceImpl::profile(std::string username, const std::optional<Viewer>& v, Done<Profile> done) {
  const CachedUser* u = cache_.user_by_name(username);
  if (!u) return done(no_such_user(username));
  Profile p;
  p.user = u->user;
  p.counts = Counts{u->uweets, u->followers, static_cast<int64_t>(u->followees.size())};
  p.is_self = v && v->user_id == u->user.id;
  p.viewer_follows = v && !p.is_self && cache_.follows(v->user_id, u->user.id);
  done(std::move(p));
}

void ServiceImpl::user_uweets(std::string username, std::optional<int64_t> before, int limit,
                              Done<Page<Uweet>> done) {
  const CachedUser* u = cache_.user_by_name(username);
  if (!u) return done(no_such_user(username));
  limit = clamp_limit(limit);
  done = decorated(std::move(done));
  if (auto p = cache_.author(u->user.id, before, limit)) return done(std::move(*p));
  if (cache_misses_) cache_misses_->inc();
  readers_->call<Page<Uweet>>(
      [id = u->user.id, before, limit](Store& s) { return s.user_uweets(id, before, limit); },
      std::move(done));
}

void ServiceImpl::followers(std::string username, std::optional<int64_t> before, int limit,
                            Done<Page<User>> done) {
  const CachedUser* u = cache_.user_by_name(username);
  if (!u) return done(no_such_user(username));
  limit = clamp_limit(limit);
  readers_->call<Page<User>>(
      [id = u->user.id, before, limit](Store& s) { return s.followers(id, before, limit); }, std::move(done));
}

void ServiceImpl::following(std::string username, std::optional<int64_t> before, int limit,
                            Done<Page<User>> done) {
  const CachedUser* u = cache_.user_by_name(username);
  if (!u) return done(no_such_user(username));
  limit = clamp_limit(limit);
  readers_->call<Page<User>>(
      [id = u->user.id, before, limit](Store& s) { return s.following(id, before, limit); }, std::move(done));
}

void ServiceImpl::search(std::string query, std::optional<int64_t> before, int limit,
                         Done<Page<Uweet>> done) {
  auto first = query.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return done(Page<Uweet>{});
  limit = clamp_limit(limit);
  done = decorated(std::move(done));
  // Every uweet committed before this search should be findable: the reader
  // waits (bounded) for the backend's indexer to get there, when it has one
  // (SQLite: core/store/sqlite/indexer.hpp; PostgreSQL indexes at insert).
  readers_->call<Page<Uweet>>(
      [q = std::move(query), before, limit, ix = indexer_.get(), target = cache_.max_uweet_id()](Store& s) {
        if (ix) ix->wait_indexed(target, kSearchIndexWait);
        return s.search(q, before, limit);
      },
      std::move(done));
}

Result<std::string> ServiceImpl::ticket(const Viewer& v) {
  if (!ticket_key_)
    return Error{503, "notifications_off", "Live notifications are not enabled on this server."};
  return sign::mint_ticket(*ticket_key_, sign::Ticket{v.user_id, clock::now_s() + cfg_.ticket_ttl_s});
}

// ---------------------------------------------------------------- demo seed

// The demo runs through the public operations (so caches and events stay
// right), one step at a time.
struct ServiceImpl::Demo {
  enum Kind { Register, Follow, Post };
  struct Step {
    Kind kind;
    std::string who, arg;
  };
  std::vector<Step> steps;
  size_t next = 0;
  Done<Unit> done;
};

inline constexpr const char* kDemoPassword = "password123";

void ServiceImpl::seed_demo(Done<Unit> done) {
  if (cache_.user_count() > 0) return done(Unit{});
  auto d = std::make_shared<Demo>();
  d->done = std::move(done);
  using D = Demo;
  for (const char* n : {"alice", "bob", "carol", "dave"}) d->steps.push_back({D::Register, n, ""});
  const std::pair<const char*, const char*> follows[] = {
      {"alice", "bob"},  {"alice", "carol"}, {"bob", "alice"}, {"carol", "alice"},
      {"carol", "dave"}, {"dave", "bob"},    {"bob", "carol"}};
  for (auto [a, b] : follows) d->steps.push_back({D::Follow, a, b});
  const std::pair<const char*, const char*> posts[] = {
      {"alice", "Hello Uwitter! First uweet."},
      {"bob", "Morning all. Coffee first, then code."},
      {"carol", "Reading about libuv and event loops today."},
      {"dave", "Just joined. Who should I follow?"},
      {"alice", "@dave follow @bob, he posts about coffee."},
      {"bob", "Thanks @alice! Espresso or filter, @carol?"},
      {"carol", "@bob filter, always."},
      {"dave", "Following @bob now. Hi!"},
      {"alice", "SQLite in WAL mode is lovely for this."},
      {"bob", "141 characters is plenty if you mean it."},
      {"carol", "Group commit: many posts, one fsync."},
      {"alice", "Anyone up for a walk later? @carol @dave"},
      {"dave", "@alice yes please"},
      {"bob", "Signed UDP datagrams for notifications. Fire and forget."},
      {"carol", "Search works too: try searching for coffee."},
      {"alice", "Weekend plans: bake bread, fix the bike."},
      {"bob", "@dave welcome aboard!"},
      {"dave", "Thanks @bob. This is fun."},
      {"carol", "Last one for today. Good night!"},
      {"alice", "Good night @carol"},
  };
  for (auto [a, t] : posts) d->steps.push_back({D::Post, a, t});
  demo_step(d);
}

void ServiceImpl::demo_step(const std::shared_ptr<Demo>& d) {
  if (d->next == d->steps.size()) return d->done(Unit{});
  const auto& st = d->steps[d->next++];
  auto cont = [this, d](const auto& r) {
    if (!r) return d->done(r.error());
    demo_step(d);
  };
  if (st.kind == Demo::Register) {
    return register_account(st.who, kDemoPassword, "", [cont](const Result<User>& r) { cont(r); });
  }
  const CachedUser* u = cache_.user_by_name(st.who);
  if (!u) return d->done(no_such_user(st.who));
  Viewer v{u->user.id, u->user.username};
  if (st.kind == Demo::Follow) return follow(v, st.arg, [cont](const Result<bool>& r) { cont(r); });
  post(v, st.arg, std::nullopt, [cont](const Result<Posted>& r) { cont(r); });
}

}  // namespace uw::web
