// ServiceImpl: several web instances on one PostgreSQL (docs/ARCHITECTURE.md
// "Several web instances"). The other instances' commits arrive as pages of
// the change feed (core/store/feed_listener.*) and are applied here, on the
// loop, with the same cache calls as this instance's own commits; revocations
// wait for every live peer to have applied them.
#include <sodium.h>

#include <cstdio>
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
      o, from, *mailbox_, [this](const FeedPage& page) { return apply_feed(page); }, metrics_);
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
    feed_rewarms_ = &metrics_->counter("uwitter_feed_rewarms_total",
                                       "Times the change feed had been pruned past this instance's cursor.");
  }
  log::info("feed: instance {} follows the change feed of {}", o.name, redact_target(cfg_.db_path));
  return feed_->start();
}

bool ServiceImpl::apply_feed(const FeedPage& page) {
  if (stopping_) return false;
  bool revoked = false;
  if (page.pruned) {
    // Only after an outage longer than the feed keeps its rows: what was
    // missed cannot be read any more. Counted and logged; the caches are
    // right again as the pruned rows' users post, follow and log in anew
    // (docs/ARCHITECTURE.md "Several web instances": restart the instance
    // to reload them at once).
    if (feed_rewarms_) feed_rewarms_->inc();
    log::error(
        "feed: changes after this instance's cursor were pruned (an outage longer than the feed "
        "keeps them); restart this instance to reload its caches");
  }
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

// After a revocation committed in transaction xid: answers once every live
// peer has applied it (or the wait's cap passed), so the client's next
// request, wherever it goes, no longer finds the session.
void ServiceImpl::after_revocation(int64_t xid, std::function<void()> then) {
  if (!feed_ || xid <= 0) return then();
  feed_->await_peers(xid, [then = std::move(then)](bool) { then(); });
}

bool ServiceImpl::sessions_trusted() const { return !feed_ || feed_->in_contact(); }

std::optional<Error> ServiceImpl::sessions_unavailable() const {
  if (sessions_trusted()) return std::nullopt;
  return Error{503, "sessions_unavailable",
               "This server has lost touch with the database and cannot check sessions; try again shortly.",
               2};
}

}  // namespace uw::web
