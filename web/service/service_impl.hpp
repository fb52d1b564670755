#pragma once
// uw::web::ServiceImpl — the Service (web/service/service.hpp) built from:
//   * TimelineCache on the loop thread (every read it can answer exactly),
//   * Writer: the single writer thread with group commit (every write),
//   * Readers: a small pool of read-only connections (what the cache cannot answer),
//   * the libuv threadpool for Argon2id (auth.hpp).
// Cache updates, responses and events happen in writer completions, i.e. after
// COMMIT, on the loop thread.
//
// Lifetime: callbacks capture `this`; the object must outlive every request it
// accepted. shutdown() stops the writer and readers, waits for password jobs on
// the threadpool, closes the mailbox and only then calls done — after that the
// object may be destroyed.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/file_writer.hpp"
#include "core/metrics.hpp"
#include "core/rate_limit.hpp"
#include "core/store/feed_listener.hpp"
#include "core/store/readers.hpp"
#include "core/store/writer.hpp"
#include "core/worker/loop_mailbox.hpp"
#include "web/service/auth.hpp"
#include "web/service/service.hpp"
#include "web/service/timeline_cache.hpp"

namespace uw::web {

// Tuning knobs that are not part of ServiceConfig (tests shrink them).
struct CacheTuning {
  size_t per_author = 256;      // ids kept per author as new uweets arrive
  size_t warm_per_author = 32;  // ids loaded per author at start
  size_t public_ring = 256;
  int reader_threads = 2;
};

class ServiceImpl final : public Service {
 public:
  ServiceImpl(uv_loop_t* loop, ServiceConfig cfg, metrics::Registry* metrics, CacheTuning tuning);
  ~ServiceImpl() override;
  // Opens the store (migrations), loads the caches, starts writer and readers.
  Result<Unit> start();

  void set_event_sink(EventSink sink) override { sink_ = std::move(sink); }
  void set_post_barrier(const PostBarrier& barrier) override { barrier_ = barrier; }
  void set_ticket_key(const sign::SecretKey* key) override { ticket_key_ = key; }

  void register_account(std::string username, std::string password, std::string peer_ip,
                        Done<User> done) override;
  void login(std::string username, std::string password, std::string peer_ip,
             Done<LoginResult> done) override;
  void logout(std::string token, Done<Unit> done) override;
  bool user_exists(std::string_view username) const override {
    return cache_.user_by_name(username) != nullptr;
  }
  uint64_t users_version() const override { return cache_.users_version(); }
  uint64_t users_removed_version() const override { return cache_.users_removed(); }
  std::optional<Viewer> authenticate(const std::string& token) override;
  std::optional<Error> sessions_unavailable() const override;
  int64_t retry_after_s(const std::string& username, const std::string& peer_ip) override;

  void post(const Viewer& v, std::string text, std::optional<std::string> idempotency_key,
            Done<Posted> done) override;
  void uweet(int64_t id, Done<Uweet> done) override;
  void delete_uweet(const Viewer& v, int64_t id, Done<Unit> done) override;
  void update_profile(const Viewer& v, std::optional<std::string> display_name,
                      std::optional<std::string> bio, Done<User> done) override;
  Result<User> me(const Viewer& v) override;
  void delete_account(const Viewer& v, std::string password, std::string peer_ip, Done<Unit> done) override;
  int64_t name_reserved_s() const override { return cfg_.name_reserved_s; }
  void change_password(const Viewer& v, std::string token, std::string current, std::string next,
                       std::string peer_ip, Done<Unit> done) override;
  void follow(const Viewer& v, std::string username, Done<bool> done) override;
  void unfollow(const Viewer& v, std::string username, Done<bool> done) override;

  void home_timeline(const Viewer& v, std::optional<int64_t> before, int limit,
                     Done<Page<Uweet>> done) override;
  void public_timeline(std::optional<int64_t> before, int limit, Done<Page<Uweet>> done) override;
  int64_t public_timeline_version() const override { return static_cast<int64_t>(cache_.uweets_version()); }
  void profile(std::string username, const std::optional<Viewer>& v, Done<Profile> done) override;
  void user_uweets(std::string username, std::optional<int64_t> before, int limit,
                   Done<Page<Uweet>> done) override;
  void followers(std::string username, std::optional<int64_t> before, int limit,
                 Done<Page<User>> done) override;
  void following(std::string username, std::optional<int64_t> before, int limit,
                 Done<Page<User>> done) override;
  void search(std::string query, std::optional<int64_t> before, int limit, Done<Page<Uweet>> done) override;

  void notifications(const Viewer& v, std::optional<NotificationKey> before, int limit,
                     Done<NotificationList> done) override;
  void mark_notifications_read(const Viewer& v, NotificationKey up_to, Done<NotificationKey> done) override;
  Result<std::string> ticket(const Viewer& v) override;
  void seed_demo(Done<Unit> done) override;
  void shutdown(std::function<void()> done) override;

  const TimelineCache& cache() const { return cache_; }     // tests
  const FeedListener* feed() const { return feed_.get(); }  // tests; null on SQLite

 private:
  struct Demo;
  // Loads what the caches hold from store into cache: at start-up into
  // cache_, and on the writer thread into a fresh cache for a live reload
  // (rewarm()); touches nothing but its arguments (and reads tuning_).
  // False if a read failed (the caches would be incomplete).
  bool warm(TimelineCache& cache, Store& store) const;
  bool warm_bulk(TimelineCache& cache, Store& store, std::vector<int64_t>* ids) const;
  bool load_sessions(TimelineCache& cache, Store& store) const;
  void demo_step(const std::shared_ptr<Demo>& d);
  // Threadpool bookkeeping so shutdown waits for password jobs.
  void pool_started() { ++pool_jobs_; }
  void pool_finished();
  void finish_shutdown();
  // The login throttle's journal: read and compacted at start, appended to
  // (off the loop, by a FileWriter) on every failure and on a good password
  // that clears some.
  Result<Unit> open_throttle_journal();
  void journal(std::string line);
  void emit(const sign::Event& e) {
    if (sink_) sink_(e);
  }
  static Error no_such_user(const std::string& name);
  // The viewer's own password, checked like a login (throttle, Argon2id on the
  // threadpool, failures counted and journalled); `then` gets Unit or 401 / 429.
  void check_own_password(int64_t user_id, std::string password, const std::string& peer_ip, Done<Unit> then);
  // After a committed account delete: the caches forget it, the followers' pages hear of it.
  void forget_account(const DeletedAccount& d);
  // The change feed (service_impl_feed.cpp): several instances on one PostgreSQL.
  const std::string& instance_name();
  Result<Unit> start_feed(const FeedCursor& from);
  bool apply_feed(FeedPage page);  // true: it ended sessions (peers wait for the acknowledgement)
  // Applies a page's changes to cache_. replay: a page applied before, again
  // after a reload (cache calls only: the login throttle and the metrics
  // counted it the first time).
  bool apply_changes(const FeedPage& page, bool replay);
  // The feed was pruned past this instance's cursor: reloads the caches
  // live (docs/ARCHITECTURE.md "Several web instances", the bounds).
  void rewarm();
  void reload();        // rewarm()'s writer job (again by the timer after a failure)
  void rewarm_later();  // after a failed reload: reload() again in 1 s
  void close_rewarm_timer();
  void share_login(bool failed, const std::string& key, const std::string& ip, int64_t at_s);
  // then() once every live peer applied transaction xid (at once without peers).
  void after_peers_applied(int64_t xid, std::function<void()> then);
  // False while this instance has lost touch with the feed for longer than
  // its fence: peers no longer wait for it, so it cannot know of their logouts.
  bool sessions_trusted() const;
  // Fills each uweet's author_display from the cache (loop thread).
  void decorate(Uweet& u) const;
  Done<Page<Uweet>> decorated(Done<Page<Uweet>> done) const;

  uv_loop_t* loop_;
  ServiceConfig cfg_;
  CacheTuning tuning_;
  metrics::Counter* uweets_created_ = nullptr;
  metrics::Counter* uweets_deleted_ = nullptr;
  metrics::Counter* accounts_deleted_ = nullptr;
  metrics::Counter* logins_ok_ = nullptr;
  metrics::Counter* logins_failed_ = nullptr;
  metrics::Counter* logins_throttled_ = nullptr;
  metrics::Counter* cache_misses_ = nullptr;
  metrics::Counter* posts_limited_ = nullptr;
  metrics::Counter* signups_limited_ = nullptr;
  metrics::Registry* metrics_;
  std::unique_ptr<LoopMailbox> mailbox_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<SearchIndexer> indexer_;  // declared before readers_: outlives their search jobs
  std::unique_ptr<Readers> readers_;
  std::unique_ptr<FeedListener> feed_;  // PostgreSQL only
  std::unordered_map<std::string, metrics::Counter*> feed_applied_;
  metrics::Histogram* feed_lag_ = nullptr;
  metrics::Counter* feed_rewarms_ = nullptr;
  metrics::Counter* feed_rewarm_failures_ = nullptr;
  // A live reload is running: pages applied meanwhile are kept, to be applied
  // again to the reloaded caches, and tokens are not trusted until it is in.
  bool rewarm_pending_ = false;
  std::vector<FeedPage> rewarm_pages_;
  uv_timer_t* rewarm_timer_ = nullptr;  // made on the first failed reload; closed by shutdown()
  TimelineCache cache_;
  auth::Throttle throttle_;
  std::unique_ptr<FileWriter> throttle_journal_;  // null: not persisted
  RateLimit post_limit_;
  RateLimit signup_limit_;
  EventSink sink_;
  PostBarrier barrier_;  // --notify-http-sync
  const sign::SecretKey* ticket_key_ = nullptr;
  int pool_jobs_ = 0;
  bool stopping_ = false;
  std::function<void()> shutdown_done_;
};

// Creates a ServiceImpl with explicit tuning (Service::create uses the defaults).
Result<std::unique_ptr<ServiceImpl>> make_service(uv_loop_t* loop, ServiceConfig cfg,
                                                  metrics::Registry* metrics, CacheTuning tuning);

}  // namespace uw::web
