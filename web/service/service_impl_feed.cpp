// ServiceImpl: several web instances on one PostgreSQL (docs/ARCHITECTURE.md
// "Several web instances"). The other instances' commits arrive as pages of
// the change feed (core/store/feed_listener.*) and are applied here, on the
// loop, with the same cache calls as this instance's own commits; revocations
// wait for every live peer to have applied them.
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <utility>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "web/service/service_impl.hpp"

namespace uw::web {

namespace {
std::string random_instance_name() {
  unsigned char b[4];
  randombytes_buf(b, sizeof b);
  char out[16];
  std::snprintf(out, sizeof out, "web-%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
  return out;
}

const char* kind_label(ChangeKind k) {
  switch (k) {
    case ChangeKind::user:
      return "user";
    case ChangeKind::session_new:
    case ChangeKind::session_end:
      return "session";
    case ChangeKind::uweet:
      return "uweet";
    case ChangeKind::uweet_deleted:
      return "uweet_deleted";
    case ChangeKind::account_deleted:
      return "account_deleted";
    case ChangeKind::follow:
    case ChangeKind::unfollow:
      return "follow";
    case ChangeKind::login_failed:
    case ChangeKind::login_ok:
      return "login";
  }
  return "other";
}
}  // namespace

const std::string& ServiceImpl::instance_name() {
  if (cfg_.instance_name.empty()) cfg_.instance_name = random_instance_name();
  return cfg_.instance_name;
}

Result<Unit> ServiceImpl::start_feed(const FeedCursor& from) {
  FeedListener::Options o;
  o.target = cfg_.db_path;
  o.name = instance_name();
  o.poll = std::chrono::milliseconds(cfg_.feed_poll_ms);
  feed_ = std::make_unique<FeedListener>(
      o, from, *mailbox_, [this](FeedPage page) { return apply_feed(std::move(page)); }, metrics_);
  if (metrics_) {
    for (const char* k :
         {"user", "session", "uweet", "uweet_deleted", "account_deleted", "follow", "login", "other"})
      feed_applied_[k] = &metrics_->counter("uwitter_feed_applied_total",
                                            "Changes committed by other web instances applied to the caches.",
                                            {{"kind", k}});
    feed_lag_ = &metrics_->histogram(
        "uwitter_feed_lag_seconds",
        "From a change's write on another instance to its application here (the database's clock).",
        {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5});
    feed_rewarms_ = &metrics_->counter(
        "uwitter_feed_rewarms_total",
        "Live reloads of the caches, after the change feed had been pruned past this instance's cursor.");
    feed_rewarm_failures_ = &metrics_->counter("uwitter_feed_rewarm_failures_total",
                                               "Live cache reloads that failed (tried again after 1 s).");
  }
  log::info("feed: instance {} follows the change feed of {}", o.name, redact_target(cfg_.db_path));
  return feed_->start();
}

bool ServiceImpl::apply_feed(FeedPage page) {
  if (stopping_) return false;
  if (page.pruned) {
    // Only after an outage longer than the feed keeps its rows: what was
    // missed cannot be read any more, so the caches are loaded again.
    log::warn(
        "feed: changes after this instance's cursor were pruned (out of touch for longer than the "
        "feed keeps them); reloading the caches");
    rewarm();
  }
  const bool revoked = apply_changes(page, false);
  if (rewarm_pending_) rewarm_pages_.push_back(std::move(page));
  return revoked;
}

// The reload runs as a writer job: this instance's own writes are ordered
// around it (a write committed before it is in what it reads, one after it
// completes after the reloaded caches are in), and the other instances'
// changes that arrive meanwhile are kept and applied again on top (applying a
// change twice is harmless, see add_uweet). Tokens get 503
// sessions_unavailable until it is in: the old caches may hold sessions that
// ended during the outage.
void ServiceImpl::rewarm() {
  if (rewarm_pending_ || stopping_) return;  // the pages kept for the running one cover this one too
  rewarm_pending_ = true;
  reload();
}

void ServiceImpl::reload() {
  rewarm_pages_.clear();  // applied already, and older than what this reload reads
  const auto t0 = std::chrono::steady_clock::now();
  writer_->call<std::shared_ptr<TimelineCache>>(
      [this](Store& s) -> Result<std::shared_ptr<TimelineCache>> {
        auto fresh = std::make_shared<TimelineCache>(tuning_.per_author, tuning_.public_ring);
        if (!warm(*fresh, s))
          return Error{503, "db_unavailable", "the caches could not be read from the database"};
        return fresh;
      },
      [this, t0](Result<std::shared_ptr<TimelineCache>> r) {
        if (stopping_) return;
        if (!r) {
          if (feed_rewarm_failures_) feed_rewarm_failures_->inc();
          log::error("feed: reloading the caches failed ({}); trying again in 1 s", r.error().message);
          rewarm_later();
          return;
        }
        cache_.replace(std::move(*r.value()));
        auto pages = std::move(rewarm_pages_);
        rewarm_pages_.clear();
        rewarm_pending_ = false;
        for (const FeedPage& p : pages) (void)apply_changes(p, true);
        if (feed_rewarms_) feed_rewarms_->inc();
        log::info(
            "feed: caches reloaded in {:.0f} ms ({} users, {} uweets, {} sessions; {} pages applied again)",
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
            cache_.user_count(), cache_.uweet_count(), cache_.session_count(), pages.size());
      });
}

void ServiceImpl::rewarm_later() {
  if (!rewarm_timer_) {
    rewarm_timer_ = new uv_timer_t;
    uv_timer_init(loop_, rewarm_timer_);
    rewarm_timer_->data = this;
  }
  uv_timer_start(
      rewarm_timer_, [](uv_timer_t* t) { static_cast<ServiceImpl*>(t->data)->reload(); }, 1000, 0);
}

void ServiceImpl::close_rewarm_timer() {
  if (!rewarm_timer_) return;
  uv_close(reinterpret_cast<uv_handle_t*>(rewarm_timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  rewarm_timer_ = nullptr;
}

bool ServiceImpl::apply_changes(const FeedPage& page, bool replay) {
  bool revoked = false;
  const int64_t now = clock::now_ms();
  std::unordered_map<int64_t, const WarmSnapshot::UserRow*> users;
  for (const auto& row : page.users) users[row.user.id] = &row;
  for (const Change& c : page.changes) {
    switch (c.kind) {
      case ChangeKind::user: {
        auto it = users.find(c.a);
        if (it == users.end()) break;  // deleted since: its account_deleted follows
        const auto& row = *it->second;
        if (const CachedUser* cu = cache_.user(c.a)) {
          if (cu->user.display_name != row.user.display_name || cu->user.bio != row.user.bio)
            cache_.set_profile(c.a, row.user.display_name, row.user.bio);
          if (cu->password_hash != row.password_hash) cache_.set_password_hash(c.a, row.password_hash);
        } else {
          cache_.put_user(row.user, row.password_hash);
        }
        break;
      }
      case ChangeKind::session_new:
        if (cache_.user(c.a)) cache_.put_session(c.h, c.a, c.b);
        break;
      case ChangeKind::session_end:
        cache_.drop_session(c.h);
        revoked = true;
        break;
      case ChangeKind::uweet: {
        const CachedUser* a = cache_.user(c.b);
        Uweet u{c.a, c.b, a ? a->user.username : std::string(), c.t, c.c};
        cache_.add_uweet(u);
        break;
      }
      case ChangeKind::uweet_deleted:
        cache_.remove_uweet(c.b, c.a);
        break;
      case ChangeKind::account_deleted:
        cache_.remove_user(c.a, cache_.follower_ids(c.a));
        revoked = true;
        break;
      case ChangeKind::follow:
        cache_.add_follow(c.a, c.b);
        break;
      case ChangeKind::unfollow:
        cache_.remove_follow(c.a, c.b);
        break;
      case ChangeKind::login_failed:
      case ChangeKind::login_ok: {
        if (replay) break;  // counted when the page was first applied
        const size_t tab = c.t.find('\t');
        if (tab == std::string::npos) break;
        const std::string key = c.t.substr(0, tab), ip = c.t.substr(tab + 1);
        if (c.kind == ChangeKind::login_failed) {
          throttle_.failure(key, ip, c.b);
          journal(auth::Throttle::failure_line(key, ip, c.b));
        } else if (throttle_.success(key, ip)) {
          journal(auth::Throttle::success_line(key, ip));
        }
        break;
      }
    }
    if (replay) continue;
    if (auto it = feed_applied_.find(kind_label(c.kind)); it != feed_applied_.end()) it->second->inc();
    if (feed_lag_) feed_lag_->observe(static_cast<double>(std::max<int64_t>(0, now - c.at_ms)) / 1000.0);
  }
  return revoked;
}

// Another instance's throttle counts this failure (or this clearing) too.
void ServiceImpl::share_login(bool failed, const std::string& key, const std::string& ip, int64_t at_s) {
  if (!feed_) return;
  writer_->call<Unit>([failed, key, ip, at_s](Store& s) { return s.feed_login(failed, key, ip, at_s); },
                      [](const Result<Unit>& r) {
                        if (!r) log::warn("feed: a login outcome was not shared: {}", r.error().message);
                      });
}

// After a write committed in transaction xid that the client's next request
// must find applied on whichever instance it reaches — a revocation (logout,
// password change, account deletion), a new session, a new account: answers
// once every live peer has applied it (or the wait's cap passed).
void ServiceImpl::after_peers_applied(int64_t xid, std::function<void()> then) {
  if (!feed_ || xid <= 0) return then();
  feed_->await_peers(xid, [then = std::move(then)](bool) { then(); });
}

bool ServiceImpl::sessions_trusted() const { return !feed_ || (feed_->in_contact() && !rewarm_pending_); }

std::optional<Error> ServiceImpl::sessions_unavailable() const {
  if (sessions_trusted()) return std::nullopt;
  return Error{503, "sessions_unavailable",
               "This server has lost touch with the database and cannot check sessions; try again shortly.",
               2};
}

}  // namespace uw::web
