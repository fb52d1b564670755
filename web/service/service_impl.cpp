// ServiceImpl: lifecycle, cache warm-up, accounts, sessions, posting, following.
// Reads (timelines, profiles, search) are in service_impl_reads.cpp.
#include "web/service/service_impl.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <unordered_map>
#include <utility>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/rules.hpp"

namespace uw::web {

Result<std::unique_ptr<Service>> Service::create(uv_loop_t* loop, ServiceConfig cfg,
                                                 metrics::Registry* metrics) {
  auto s = make_service(loop, std::move(cfg), metrics, CacheTuning{});
  if (!s) return s.error();
  return std::unique_ptr<Service>(std::move(s.value()));
}

Result<std::unique_ptr<ServiceImpl>> make_service(uv_loop_t* loop, ServiceConfig cfg,
                                                  metrics::Registry* metrics, CacheTuning tuning) {
  auto s = std::make_unique<ServiceImpl>(loop, std::move(cfg), metrics, tuning);
  if (auto r = s->start(); !r) return r.error();
  return s;
}

ServiceImpl::ServiceImpl(uv_loop_t* loop, ServiceConfig cfg, metrics::Registry* metrics, CacheTuning tuning)
    : loop_(loop),
      cfg_(std::move(cfg)),
      tuning_(tuning),
      metrics_(metrics),
      cache_(tuning.per_author, tuning.public_ring),
      throttle_(cfg_.max_failures_per_account, cfg_.max_failures_per_address, cfg_.failure_window_s),
      post_limit_(cfg_.post_rate_per_s, cfg_.post_burst),
      signup_limit_(cfg_.signup_rate_per_s, cfg_.signup_burst) {
  if (metrics_) {
    uweets_created_ = &metrics_->counter("uwitter_uweets_created_total", "Uweets committed.");
    uweets_deleted_ = &metrics_->counter("uwitter_uweets_deleted_total",
                                         "Uweets deleted (by their authors, or with their account).");
    accounts_deleted_ =
        &metrics_->counter("uwitter_accounts_deleted_total", "Accounts deleted by their owners.");
    logins_ok_ =
        &metrics_->counter("uwitter_logins_total", "Login attempts by outcome.", {{"outcome", "ok"}});
    logins_failed_ =
        &metrics_->counter("uwitter_logins_total", "Login attempts by outcome.", {{"outcome", "failed"}});
    logins_throttled_ =
        &metrics_->counter("uwitter_logins_total", "Login attempts by outcome.", {{"outcome", "throttled"}});
    cache_misses_ = &metrics_->counter("uwitter_cache_misses_total",
                                       "Reads the in-memory caches sent to a reader thread.");
    posts_limited_ = &metrics_->counter("uwitter_rate_limited_total",
                                        "Requests refused with 429 rate_limited.", {{"what", "post"}});
    signups_limited_ = &metrics_->counter("uwitter_rate_limited_total",
                                          "Requests refused with 429 rate_limited.", {{"what", "signup"}});
  }
}

ServiceImpl::~ServiceImpl() {
  // Without shutdown() (start failed or a test tore down early): stop threads so
  // nothing runs against freed memory. The mailbox handle is closed here too.
  if (feed_) feed_->stop();
  if (writer_) writer_->stop();
  if (readers_) readers_->stop();
  if (indexer_) indexer_->stop();
  close_rewarm_timer();
  if (mailbox_) mailbox_->close(nullptr);
}

Result<Unit> ServiceImpl::start() {
  (void)auth::dummy_hash();  // ~43 ms once, now rather than on the first unknown-user login
  Store::Options o;
  o.synchronous_full = cfg_.synchronous_full;
  o.busy_timeout_ms = cfg_.busy_timeout_ms;
  o.search = false;  // see Store::Options::search: the indexer has the index
  if (is_postgres_target(cfg_.db_path)) o.feed_origin = instance_name();
  auto store = Store::open(cfg_.db_path, o);
  if (!store) return store.error();
  // The feed's cursor is taken before the caches load: a change committed
  // meanwhile is then applied twice at worst, which the cache calls allow.
  std::optional<FeedCursor> feed_from;
  if (store.value()->has_feed()) {
    auto c = store.value()->feed_start();
    if (!c) return c.error();
    feed_from = c.value();
  }
  (void)warm(cache_, *store.value());  // a failed read was logged; start-up goes on as before
  mailbox_ = std::make_unique<LoopMailbox>(loop_);
  auto indexer = Store::start_indexer(cfg_.db_path, o, metrics_);  // nullptr when the backend needs none
  if (!indexer) return indexer.error();
  indexer_ = std::move(indexer.value());
  auto readers = Readers::create(cfg_.db_path, tuning_.reader_threads, *mailbox_);
  if (!readers) return readers.error();
  readers_ = std::move(readers.value());
  writer_ = std::make_unique<Writer>(std::move(store.value()), *mailbox_, metrics_);
  if (auto r = open_throttle_journal(); !r) return r.error();
  if (feed_from)
    if (auto r = start_feed(*feed_from); !r) return r.error();
  return Unit{};
}

// Start-up only, before the loop serves requests: replays the journal,
// rewrites it compact (what is still inside the window; a temporary file
// renamed over the old one, so a crash never leaves half a file) and opens it
// for appending.
Result<Unit> ServiceImpl::open_throttle_journal() {
  const std::string& path = cfg_.throttle_state_path;
  if (path.empty()) return Unit{};
  const int64_t now = clock::now_s();
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    std::string text;
    char buf[65536];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    if (auto r = throttle_.restore(text, now); !r) {
      log::warn("{} ({}); starting with no login failures counted", r.error().message, path);
    } else if (throttle_.pairs() > 0) {
      log::info("login throttle: {} account/address pairs and {} addresses restored", throttle_.pairs(),
                throttle_.addresses());
    }
  }
  const std::string tmp = path + ".tmp";
  const std::string compact = throttle_.snapshot(now);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  bool ok = f && std::fwrite(compact.data(), 1, compact.size(), f) == compact.size();
  if (f) ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    return Error{500, "throttle_state", "cannot write the login throttle state " + path};
  auto w = FileWriter::open(path);
  if (!w) return Error{500, "throttle_state", "cannot open the login throttle state: " + w.error().message};
  throttle_journal_ = std::move(w.value());
  return Unit{};
}

void ServiceImpl::journal(std::string line) {
  if (throttle_journal_ && !throttle_journal_->write(std::move(line)))
    log::warn("login throttle state: the disk fell behind; a failure was not saved");
}

namespace {
// The newest `want` items of a paged list (the store caps page sizes), and
// whether that is all of them.
template <class Fetch>
std::vector<Uweet> newest(int want, bool* complete, Fetch fetch) {
  std::vector<Uweet> out;
  std::optional<int64_t> before;
  *complete = false;
  while (static_cast<int>(out.size()) < want) {
    Page<Uweet> p = fetch(before, std::min(100, want - static_cast<int>(out.size())));
    for (auto& u : p.items) out.push_back(std::move(u));
    if (!p.next_before || p.items.empty()) {
      *complete = true;
      break;
    }
    before = p.next_before;
  }
  return out;
}
}  // namespace

// What the caches hold, from store into cache: at start-up (before the loop
// serves requests) and for a live reload on the writer thread (rewarm()).
bool ServiceImpl::warm(TimelineCache& cache, Store& store) const {
  auto t0 = std::chrono::steady_clock::now();
  const int64_t now = clock::now_s();
  (void)store.delete_expired_sessions(now);
  std::vector<int64_t> ids;
  if (!warm_bulk(cache, store, &ids)) {
    ids.clear();
    for (int64_t after = 0;;) {
      auto batch = store.users_after(after, 1000);
      if (batch.empty()) break;
      for (const auto& u : batch) {
        auto a = store.user_auth(u.username);
        cache.put_user(u, a ? a->password_hash : std::string());
        ids.push_back(u.id);
        after = u.id;
      }
    }
    for (int64_t id : ids) {
      cache.set_followees(id, store.followee_ids(id));
      cache.set_follower_count(id, store.counts(id).followers);
    }
  }
  const int warm_n = static_cast<int>(std::max<size_t>(1, tuning_.warm_per_author));
  for (int64_t id : ids) {
    bool complete = false;
    auto items = newest(warm_n, &complete, [&](std::optional<int64_t> before, int n) {
      return store.user_uweets(id, before, n);
    });
    const CachedUser* cu = cache.user(id);
    int64_t total = cu && cu->uweets > 0
                        ? cu->uweets
                        : (complete ? static_cast<int64_t>(items.size()) : store.counts(id).uweets);
    cache.load_recent(id, items, complete, total);
  }
  bool complete = false;
  auto pub = newest(static_cast<int>(tuning_.public_ring), &complete,
                    [&](std::optional<int64_t> before, int n) { return store.public_timeline(before, n); });
  cache.load_public(pub, complete);
  const bool sessions = load_sessions(cache, store);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  log::info("cache warm: {} users, {} uweets, {} live sessions in {:.0f} ms", cache.user_count(),
            cache.uweet_count(), cache.session_count(), ms);
  // The per-author reads answer an empty page when the database fails; the
  // session listing, the last read, reports it (a connection lost inside the
  // writer's transaction stays lost, and that batch's COMMIT fails too).
  return sessions;
}

// Three table scans instead of ~5 queries per user: users with their hashes,
// every follow edge, and uweet counts per author (Store::warm_snapshot);
// returns false if that fails, and warm() then falls back to the per-user
// Store calls.
bool ServiceImpl::warm_bulk(TimelineCache& cache, Store& store, std::vector<int64_t>* ids) const {
  auto snap = store.warm_snapshot();
  if (!snap) {
    log::warn("cache warm: bulk load failed ({}); loading user by user", snap.error().message);
    return false;
  }
  for (auto& row : snap->users) {
    cache.put_user(row.user, row.password_hash);
    ids->push_back(row.user.id);
  }
  std::unordered_map<int64_t, std::vector<int64_t>> followees;
  std::unordered_map<int64_t, int64_t> followers;
  for (const auto& [follower, followee] : snap->follows) {
    followees[follower].push_back(followee);
    ++followers[followee];
  }
  std::unordered_map<int64_t, int64_t> uweets(snap->uweet_counts.begin(), snap->uweet_counts.end());
  for (int64_t id : *ids) {
    if (auto it = followees.find(id); it != followees.end()) cache.set_followees(id, std::move(it->second));
    if (auto it = followers.find(id); it != followers.end()) cache.set_follower_count(id, it->second);
    if (auto it = uweets.find(id); it != uweets.end()) cache.load_recent(id, {}, false, it->second);
  }
  return true;
}

bool ServiceImpl::load_sessions(TimelineCache& cache, Store& store) const {
  auto live = store.live_sessions(clock::now_s());
  if (!live) {
    log::warn("cache warm: cannot list sessions ({}); existing sessions need a new login",
              live.error().message);
    return false;
  }
  for (auto& s : *live) cache.put_session(s.token_hash, s.user_id, s.expires_at_s);
  return true;
}

Error ServiceImpl::no_such_user(const std::string& name) {
  std::string shown = rules::check_username(name) ? name : std::string("that name");
  return Error{404, "no_such_user", "There is no user called " + shown + "."};
}

void ServiceImpl::pool_finished() {
  --pool_jobs_;
  if (stopping_ && pool_jobs_ == 0 && shutdown_done_) finish_shutdown();
}

// ---------------------------------------------------------------- accounts

void ServiceImpl::register_account(std::string username, std::string password, std::string peer_ip,
                                   Done<User> done) {
  if (auto r = rules::check_username(username); !r) return done(r.error());
  if (auto r = rules::check_password(password); !r) return done(r.error());
  if (cache_.user_by_name(username))
    return done(
        Error{409, "username_taken", "The username " + username + " is taken; please choose another."});
  // Checked before the Argon2id hash, which is what a flood of sign-ups costs.
  if (int64_t wait = peer_ip.empty() ? 0 : signup_limit_.take(peer_ip, clock::now_ms()); wait > 0) {
    if (signups_limited_) signups_limited_->inc();
    return done(Error{
        429, "rate_limited",
        "Too many sign-ups from your address; try again in " + std::to_string(wait) + " seconds.", wait});
  }
  pool_started();
  auth::hash_password(
      loop_, std::move(password),
      [this, username = std::move(username), done = std::move(done)](Result<std::string> hash) mutable {
        if (!hash) {
          done(hash.error());
        } else {
          std::string h = std::move(hash.value());
          // With peers: answered once they know the account too, so a log-in
          // that reaches another instance finds it.
          auto xid = std::make_shared<int64_t>(0);
          writer_->call<User>(
              [username, h, now = clock::now_s(), xid, feed = feed_ != nullptr](Store& s) -> Result<User> {
                auto u = s.create_user(username, h, now);
                if (u && feed) {
                  if (auto x = s.feed_xid(); x) *xid = x.value();
                }
                return u;
              },
              [this, h, xid, done = std::move(done)](Result<User> r) {
                if (!r) return done(std::move(r));
                cache_.put_user(r.value(), h);
                after_peers_applied(*xid, [done, u = std::move(r.value())] { done(u); });
              });
        }
        pool_finished();
      });
}

void ServiceImpl::login(std::string username, std::string password, std::string peer_ip,
                        Done<LoginResult> done) {
  const int64_t now = clock::now_s();
  std::string key = rules::username_key(username.substr(0, 64));
  if (int64_t wait = throttle_.retry_after(key, peer_ip, now); wait > 0) {
    if (logins_throttled_) logins_throttled_->inc();
    return done(Error{429, "too_many_attempts",
                      "Too many failed logins; try again in " + std::to_string(wait) + " seconds.", wait});
  }
  const CachedUser* cu = cache_.user_by_name(username);
  // Unknown user: verify against the dummy hash anyway (empty hash), so the
  // answer takes as long as a wrong password does.
  std::string hash = cu ? cu->password_hash : std::string();
  int64_t uid = cu ? cu->user.id : 0;
  if (password.size() > rules::kMaxPasswordBytes) password.resize(rules::kMaxPasswordBytes + 1);
  auto pw = std::make_shared<std::string>(std::move(password));
  pool_started();
  auth::verify_password(
      loop_, std::move(hash), *pw,
      [this, pw, key, peer_ip, uid, now, done = std::move(done)](auth::Verdict v) mutable {
        const CachedUser* u = uid ? cache_.user(uid) : nullptr;
        if (!v.ok || !u) {
          throttle_.failure(key, peer_ip, now);
          journal(auth::Throttle::failure_line(key, peer_ip, now));
          share_login(true, key, peer_ip, now);
          if (logins_failed_) logins_failed_->inc();
          done(Error{401, "bad_credentials", "Wrong username or password."});
        } else {
          if (throttle_.success(key, peer_ip)) {
            journal(auth::Throttle::success_line(key, peer_ip));
            share_login(false, key, peer_ip, now);
          }
          if (logins_ok_) logins_ok_->inc();
          if (v.needs_rehash) {
            pool_started();
            auth::hash_password(loop_, *pw, [this, uid](Result<std::string> h) {
              if (h) {
                std::string nh = std::move(h.value());
                writer_->call<Unit>([uid, nh](Store& s) { return s.set_password_hash(uid, nh); },
                                    [this, uid, nh](const Result<Unit>& r) {
                                      if (r) cache_.set_password_hash(uid, nh);
                                    });
              }
              pool_finished();
            });
          }
          std::string token = auth::new_token();
          std::string th = auth::token_hash(token);
          int64_t exp = clock::now_s() + cfg_.session_ttl_s;
          LoginResult lr{std::move(token), u->user, exp};
          // With peers: answered once they hold the session too, so the
          // client's next request is accepted wherever it goes.
          writer_->call<int64_t>(
              [th, uid, exp, feed = feed_ != nullptr](Store& s) -> Result<int64_t> {
                if (auto r = s.create_session(th, uid, exp); !r) return r.error();
                return feed ? s.feed_xid() : Result<int64_t>(int64_t{0});
              },
              [this, th, uid, exp, lr = std::move(lr), done = std::move(done)](Result<int64_t> r) mutable {
                if (!r) return done(r.error());
                cache_.put_session(th, uid, exp);
                after_peers_applied(r.value(), [done, lr = std::move(lr)] { done(lr); });
              });
        }
        if (!pw->empty()) sodium_memzero(pw->data(), pw->size());
        pool_finished();
      });
}

void ServiceImpl::logout(std::string token, Done<Unit> done) {
  std::string th = auth::token_hash(token);
  cache_.drop_session(th);  // the token stops working now, before the delete commits
  // With peers: answered once they all dropped it too (after_peers_applied).
  writer_->call<int64_t>(
      [th, feed = feed_ != nullptr](Store& s) -> Result<int64_t> {
        if (auto r = s.delete_session(th); !r) return r.error();
        return feed ? s.feed_xid() : Result<int64_t>(int64_t{0});
      },
      [this, done = std::move(done)](Result<int64_t> r) {
        if (!r) return done(r.error());
        after_peers_applied(r.value(), [done] { done(Unit{}); });
      });
}

std::optional<Viewer> ServiceImpl::authenticate(const std::string& token) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  if (!sessions_trusted()) return std::nullopt;  // out of touch with the peers' logouts
  auto uid = cache_.session(auth::token_hash(token), clock::now_s());
  if (!uid) return std::nullopt;
  const CachedUser* u = cache_.user(*uid);
  if (!u) return std::nullopt;
  return Viewer{u->user.id, u->user.username};
}

int64_t ServiceImpl::retry_after_s(const std::string& username, const std::string& peer_ip) {
  return throttle_.retry_after(rules::username_key(username.substr(0, 64)), peer_ip, clock::now_s());
}

// ---------------------------------------------------------------- writes

void ServiceImpl::post(const Viewer& v, std::string text, std::optional<std::string> idempotency_key,
                       Done<Posted> done) {
  auto norm = rules::normalize_uweet(text);
  if (!norm) return done(norm.error());
  if (int64_t wait = post_limit_.take(std::to_string(v.user_id), clock::now_ms()); wait > 0) {
    if (posts_limited_) posts_limited_->inc();
    return done(Error{
        429, "rate_limited",
        "You are posting faster than this site allows; try again in " + std::to_string(wait) + " seconds.",
        wait});
  }
  NewUweet nu;
  nu.author_id = v.user_id;
  nu.text = std::move(norm.value());
  nu.created_at = clock::now_ms();
  for (const auto& name : rules::extract_mentions(nu.text))
    if (const auto* m = cache_.user_by_name(name)) nu.mentioned_user_ids.push_back(m->user.id);
  nu.idempotency_key = std::move(idempotency_key);
  auto mentioned = nu.mentioned_user_ids;
  std::string sent = nu.text;
  const int64_t sent_at = nu.created_at;
  writer_->insert(std::move(nu), [this, v, sent = std::move(sent), sent_at, mentioned = std::move(mentioned),
                                  done = std::move(done)](Result<Uweet> r) mutable {
    if (!r) return done(r.error());
    Uweet& u = r.value();
    if (u.author.empty()) u.author = v.username;
    // The stored answer to a repeated idempotency key: a uweet written by an
    // earlier request (its time is not this one's), or one the caches have.
    // With one writer ids only grow, so an id already seen is one too; with
    // several instances another's newer ids may have arrived first.
    const bool replayed =
        u.created_at != sent_at || cache_.uweet(u.id) != nullptr || (!feed_ && u.id <= cache_.max_uweet_id());
    if (replayed && u.text != sent) {
      return done(Error{422, "idempotency_key_reused",
                        "This Idempotency-Key was already used for another text (uweet " +
                            std::to_string(u.id) + "); send a new key with a new uweet."});
    }
    if (!replayed) {
      cache_.add_uweet(u);
      if (indexer_) indexer_->notify(u.id);
      if (uweets_created_) uweets_created_->inc();
      emit(sign::PostEvent{u.id, u.author_id, u.author, u.created_at, u.text});
      for (int64_t m : mentioned)
        if (m != u.author_id) emit(sign::MentionEvent{u.id, u.author_id, u.author, m, u.created_at, u.text});
      if (barrier_) {
        auto posted = std::make_shared<Posted>(Posted{std::move(u), replayed});
        barrier_([done = std::move(done), posted]() mutable { done(std::move(*posted)); });
        return;
      }
    }
    done(Posted{std::move(u), replayed});
  });
}

void ServiceImpl::delete_uweet(const Viewer& v, int64_t id, Done<Unit> done) {
  // With peers, a uweet above the newest id applied may exist: ask the database.
  if (id <= 0 || (!feed_ && id > cache_.max_uweet_id()))
    return done(Error{404, "no_such_uweet", "There is no such uweet."});
  writer_->call<DeletedUweet>(
      [uid = v.user_id, id, now = clock::now_ms()](Store& s) { return s.delete_uweet(uid, id, now); },
      [this, done = std::move(done)](Result<DeletedUweet> r) {
        if (!r) return done(r.error());
        const Uweet& u = r->uweet;
        cache_.remove_uweet(u.author_id, u.id);
        if (uweets_deleted_) uweets_deleted_->inc();
        // Where the uweet went, the delete goes: the followers' fan-out and
        // each mention (the notifier has no list of who was sent what).
        const int64_t now = clock::now_ms();
        emit(sign::DeleteEvent{u.id, u.author_id, u.author, 0, now});
        for (int64_t m : r->mentioned_user_ids)
          if (m != u.author_id) emit(sign::DeleteEvent{u.id, u.author_id, u.author, m, now});
        done(Unit{});
      });
}

void ServiceImpl::update_profile(const Viewer& v, std::optional<std::string> display_name,
                                 std::optional<std::string> bio, Done<User> done) {
  const CachedUser* cu = cache_.user(v.user_id);
  if (!cu) return done(no_such_user(v.username));
  std::string dn = cu->user.display_name, b = cu->user.bio;
  if (display_name) {
    auto r = rules::normalize_display_name(*display_name);
    if (!r) return done(r.error());
    dn = std::move(r.value());
  }
  if (bio) {
    auto r = rules::normalize_bio(*bio);
    if (!r) return done(r.error());
    b = std::move(r.value());
  }
  writer_->call<Unit>([uid = v.user_id, dn, b](Store& s) { return s.set_profile(uid, dn, b); },
                      [this, uid = v.user_id, dn, b, done = std::move(done)](const Result<Unit>& r) {
                        if (!r) return done(r.error());
                        cache_.set_profile(uid, dn, b);
                        const CachedUser* u = cache_.user(uid);
                        if (!u) return done(Error{404, "no_such_user", "No such user."});
                        done(u->user);
                      });
}

void ServiceImpl::change_password(const Viewer& v, std::string token, std::string current, std::string next,
                                  std::string peer_ip, Done<Unit> done) {
  const CachedUser* cu = cache_.user(v.user_id);
  if (!cu) return done(no_such_user(v.username));
  const int64_t now = clock::now_s();
  std::string key = rules::username_key(cu->user.username);
  if (int64_t wait = throttle_.retry_after(key, peer_ip, now); wait > 0) {
    if (logins_throttled_) logins_throttled_->inc();
    return done(Error{429, "too_many_attempts",
                      "Too many wrong passwords; try again in " + std::to_string(wait) + " seconds.", wait});
  }
  if (auto r = rules::check_password(next); !r) return done(r.error());
  if (current.size() > rules::kMaxPasswordBytes) current.resize(rules::kMaxPasswordBytes + 1);
  auto pw = std::make_shared<std::string>(std::move(next));
  std::string keep = token.empty() ? std::string() : auth::token_hash(token);
  pool_started();
  auth::verify_password(loop_, cu->password_hash, std::move(current),
                        [this, uid = v.user_id, key, peer_ip, now, pw, keep,
                         done = std::move(done)](auth::Verdict verdict) mutable {
                          if (!verdict.ok) {
                            throttle_.failure(key, peer_ip, now);
                            journal(auth::Throttle::failure_line(key, peer_ip, now));
                            share_login(true, key, peer_ip, now);
                            done(Error{401, "wrong_password", "The current password is wrong."});
                            return pool_finished();
                          }
                          pool_started();
                          auth::hash_password(
                              loop_, *pw,
                              [this, uid, keep, done = std::move(done)](Result<std::string> h) mutable {
                                if (!h) {
                                  done(h.error());
                                  return pool_finished();
                                }
                                std::string nh = std::move(h.value());
                                auto xid = std::make_shared<int64_t>(0);
                                writer_->call<int>(
                                    [uid, nh, keep, xid, feed = feed_ != nullptr](Store& s) -> Result<int> {
                                      if (auto r = s.set_password_hash(uid, nh); !r) return r.error();
                                      auto n = s.delete_other_sessions(uid, keep);
                                      if (n && feed)
                                        if (auto x = s.feed_xid(); x) *xid = x.value();
                                      return n;
                                    },
                                    [this, uid, nh, keep, xid, done = std::move(done)](const Result<int>& r) {
                                      if (!r) return done(r.error());
                                      cache_.set_password_hash(uid, nh);
                                      cache_.drop_user_sessions(uid, keep);
                                      after_peers_applied(*xid, [done] { done(Unit{}); });
                                    });
                                pool_finished();
                              });
                          sodium_memzero(pw->data(), pw->size());
                          pool_finished();
                        });
}

Result<User> ServiceImpl::me(const Viewer& v) {
  const CachedUser* u = cache_.user(v.user_id);
  if (!u) return no_such_user(v.username);
  return u->user;
}

void ServiceImpl::follow(const Viewer& v, std::string username, Done<bool> done) {
  const CachedUser* t = cache_.user_by_name(username);
  if (!t) return done(no_such_user(username));
  if (t->user.id == v.user_id) return done(Error{422, "self_follow", "You cannot follow yourself."});
  int64_t target = t->user.id;
  writer_->call<bool>(
      [a = v.user_id, target, now = clock::now_s()](Store& s) { return s.follow(a, target, now); },
      [this, v, target, done = std::move(done)](Result<bool> r) {
        if (r && r.value()) {
          cache_.add_follow(v.user_id, target);
          emit(sign::FollowEvent{v.user_id, v.username, target, clock::now_ms()});
        }
        done(std::move(r));
      });
}

void ServiceImpl::unfollow(const Viewer& v, std::string username, Done<bool> done) {
  const CachedUser* t = cache_.user_by_name(username);
  if (!t) return done(no_such_user(username));
  if (t->user.id == v.user_id) return done(Error{422, "self_follow", "You cannot unfollow yourself."});
  int64_t target = t->user.id;
  writer_->call<bool>([a = v.user_id, target](Store& s) { return s.unfollow(a, target); },
                      [this, v, target, done = std::move(done)](Result<bool> r) {
                        if (r && r.value()) cache_.remove_follow(v.user_id, target);
                        done(std::move(r));
                      });
}

// ---------------------------------------------------------------- shutdown

void ServiceImpl::shutdown(std::function<void()> done) {
  stopping_ = true;
  shutdown_done_ = std::move(done);
  if (feed_) feed_->stop();      // posts no more; leaves the instance table, so peers stop waiting for it
  if (writer_) writer_->stop();  // commits what is queued; completions wait in the mailbox
  if (readers_) readers_->stop();
  if (indexer_) indexer_->stop();
  close_rewarm_timer();
  if (pool_jobs_ == 0) finish_shutdown();
}

void ServiceImpl::finish_shutdown() {
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  writer_->stop();            // a password job may have queued a write after the first stop: it failed fast
  throttle_journal_.reset();  // writes what is pending (a few lines), then joins its thread
  auto mb = std::move(mailbox_);
  LoopMailbox* raw = mb.release();
  raw->close([raw, done = std::move(done)] {
    delete raw;
    if (done) done();
  });
}

}  // namespace uw::web
