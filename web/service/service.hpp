#pragma once
// uw::web::Service — everything Uwitter does, independent of how it is asked
// (the JSON API in web/http/api.cpp and the HTML pages in web/http/pages_*.cpp both call it).
//
// Threading: every method is called on the web app's loop thread, and every
// callback is invoked later on that same loop thread (never inline from a
// worker). Slow work never runs on the loop: password hashing goes to the libuv
// threadpool, writes to the single writer thread (group commit), and reads that
// the in-memory caches cannot answer go to reader threads.
//
// After a write commits, the service hands the matching event(s) to the
// EventSink (the UDP emitter), which must not block.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/store/store.hpp"
#include "sign/event.hpp"

namespace uw::metrics {
class Registry;
}
namespace uw::sign {
class SecretKey;
}

namespace uw::web {

template <class T>
using Done = std::function<void(Result<T>)>;

// The logged-in person making a request.
struct Viewer {
  int64_t user_id = 0;
  std::string username;
};

struct LoginResult {
  std::string token;  // 256-bit random, base64url; only its hash is stored
  User user;
  int64_t expires_at_s = 0;
};

// What post() answers: the uweet, and whether it is the one stored the first
// time this idempotency key was used (a replay: nothing new was written).
struct Posted {
  Uweet uweet;
  bool replayed = false;
};

struct Profile {
  User user;
  Counts counts;
  bool viewer_follows = false;  // false when anonymous or viewing self
  bool is_self = false;
};

struct ServiceConfig {
  std::string db_path;
  bool synchronous_full = false;
  int busy_timeout_ms = 5000;  // Store::Options::busy_timeout_ms
  int64_t session_ttl_s = int64_t{30} * 24 * 3600;
  // Login throttling: after this many failures in the window, 429 + Retry-After.
  int max_failures_per_account = 5;
  int max_failures_per_address = 20;
  int64_t failure_window_s = 300;
  int64_t ticket_ttl_s = 300;
  // Where the login throttle's state is kept across restarts ("" = memory
  // only); saved off the loop at most every throttle_save_interval_ms while it
  // changes, and at shutdown.
  std::string throttle_state_path;
  int64_t throttle_save_interval_ms = 2000;
  // Token buckets (core/rate_limit.hpp): uweets per user and sign-ups
  // per client address; rate <= 0 turns a limit off. Beyond: 429 rate_limited.
  double post_rate_per_s = 10.0 / 60.0;
  int post_burst = 100;
  double signup_rate_per_s = 6.0 / 60.0;
  int signup_burst = 30;
  // How long the name of a deleted account stays reserved (create_user
  // refuses it), so links and @mentions do not change owner at once.
  int64_t name_reserved_s = int64_t{30} * 24 * 3600;
  // Several instances on one PostgreSQL (docs/ARCHITECTURE.md "Several web
  // instances"): this instance's name in the change feed ("" = a random one
  // per start), and how often the feed is read when no NOTIFY wakes it (the
  // staleness bound when a NOTIFY is missed). Ignored on SQLite.
  std::string instance_name;
  int feed_poll_ms = 1000;
};

// A page of the viewer's stored notification history (Store::notifications)
// with where their "read up to" marker stands and how many are unread.
struct NotificationList {
  NotificationPage page;
  NotificationKey read_upto;
  int64_t unread = 0;  // up to kUnreadCountCap
};

// Receives committed events; must return at once (fire and forget).
using EventSink = std::function<void(const sign::Event&)>;
// Called after a new uweet's events went to the sink; the post is answered
// when it calls `then` (the http:// transport's synchronous mode). Unset: at once.
using PostBarrier = std::function<void(std::function<void()> then)>;

class Service {
 public:
  // Opens the database (migrations), starts the writer thread, warms caches.
  static Result<std::unique_ptr<Service>> create(uv_loop_t* loop, ServiceConfig cfg,
                                                 metrics::Registry* metrics);
  virtual ~Service() = default;

  virtual void set_event_sink(EventSink sink) = 0;
  virtual void set_post_barrier(const PostBarrier& /*barrier*/) {}
  // Used to mint subscription tickets; may be null (then ticket() fails 503).
  virtual void set_ticket_key(const sign::SecretKey* key) = 0;

  // Accounts and sessions. Errors: 409 username_taken, 422 invalid_*,
  // 401 bad_credentials (same message whether or not the user exists),
  // 429 too_many_attempts (Error.message says when to retry; Error.retry_after_s
  // and retry_after_s() too), 429 rate_limited (sign-ups from peer_ip beyond
  // the sign-up limit; "" = an internal caller, never limited).
  virtual void register_account(std::string username, std::string password, std::string peer_ip,
                                Done<User> done) = 0;
  virtual void login(std::string username, std::string password, std::string peer_ip,
                     Done<LoginResult> done) = 0;
  virtual void logout(std::string token, Done<Unit> done) = 0;
  // From memory, at once: whether a user of that name (any case) exists, a
  // number that changes whenever a user is added or deleted, and one that
  // changes whenever a user is deleted, so a rendering that linked only
  // existing names can tell it may be stale.
  virtual bool user_exists(std::string_view username) const = 0;
  virtual uint64_t users_version() const = 0;
  virtual uint64_t users_removed_version() const { return 0; }
  // Resolves a session token at once from memory (no disk); nullopt if unknown or expired.
  virtual std::optional<Viewer> authenticate(const std::string& token) = 0;
  // Set while authenticate() refuses every token because this instance
  // cannot know of the other instances' logouts (several instances on one
  // PostgreSQL, its feed out of touch: docs/ARCHITECTURE.md "Several web
  // instances"): a 503 with Retry-After to answer instead of a 401, so that
  // clients keep their sessions. Loop thread.
  virtual std::optional<Error> sessions_unavailable() const { return std::nullopt; }
  // Seconds until a throttled login may be retried (0 if not throttled).
  virtual int64_t retry_after_s(const std::string& username, const std::string& peer_ip) = 0;

  // Posting. Errors: 422 from rules::normalize_uweet; 429 rate_limited past
  // the viewer's posting limit (Error.retry_after_s). With an idempotency key
  // already used by this viewer: the uweet stored the first time, replayed,
  // when the (normalised) text is the same; 422 idempotency_key_reused when
  // it is not.
  virtual void post(const Viewer& v, std::string text, std::optional<std::string> idempotency_key,
                    Done<Posted> done) = 0;
  virtual void uweet(int64_t id, Done<Uweet> done) = 0;  // 404 no_such_uweet
  // Deletes the viewer's own uweet: after the commit it is gone from every
  // cache, list, count and search, and a `delete` event goes where the uweet
  // went. Its idempotency key stays used (a retry is 409 uweet_deleted).
  // Errors: 404 no_such_uweet, 403 not_your_uweet.
  virtual void delete_uweet(const Viewer& v, int64_t id, Done<Unit> done) = 0;

  // Profile: a new display name and/or bio (absent = unchanged; "" clears),
  // normalised by rules::normalize_display_name / normalize_bio (the uweet
  // rules: no control characters, not only invisible characters; at most 50
  // and 160 code points). Answers the updated user.
  virtual void update_profile(const Viewer& v, std::optional<std::string> display_name,
                              std::optional<std::string> bio, Done<User> done) = 0;
  // Changes the viewer's password: `current` must be theirs (else 401
  // wrong_password, counted by the login throttle like a failed login: 429
  // too_many_attempts past it), `next` must pass rules::check_password (422).
  // Argon2id verify and hash run on the threadpool. After the commit every
  // other session of the viewer (API tokens included) has ended; `token` (the
  // session making the request) stays.
  virtual void change_password(const Viewer& v, std::string token, std::string current, std::string next,
                               std::string peer_ip, Done<Unit> done) = 0;
  // Deletes the viewer's account: `password` must be theirs (401
  // wrong_password, counted by the login throttle: 429 too_many_attempts past
  // it; an API token alone is never enough). Argon2id verify runs on the
  // threadpool; then one commit removes their uweets, mentions, follows both
  // ways and sessions (API tokens included) and reserves the name for
  // ServiceConfig::name_reserved_s (Store::delete_user). After it no cache
  // knows them (followers' home timelines included), and each follower gets a
  // `delete` event with uweet id 0 (every uweet of that author), so a page
  // they have open drops the uweets.
  virtual void delete_account(const Viewer& v, std::string password, std::string peer_ip,
                              Done<Unit> done) = 0;
  // How long a deleted account's name stays reserved (ServiceConfig::name_reserved_s).
  virtual int64_t name_reserved_s() const = 0;
  // The user behind a viewer, from memory (404 no_such_user if gone).
  virtual Result<User> me(const Viewer& v) = 0;

  // Following. 404 no_such_user, 422 self_follow. Result: true if the state changed.
  virtual void follow(const Viewer& v, std::string username, Done<bool> done) = 0;
  virtual void unfollow(const Viewer& v, std::string username, Done<bool> done) = 0;

  // Lists, newest first; limit is clamped to [1, 100].
  virtual void home_timeline(const Viewer& v, std::optional<int64_t> before, int limit,
                             Done<Page<Uweet>> done) = 0;
  virtual void public_timeline(std::optional<int64_t> before, int limit, Done<Page<Uweet>> done) = 0;
  // A number that changes whenever the public timeline may have changed (a
  // uweet was posted or deleted), so a page rendered from it can be reused
  // while it stays the same. Loop thread.
  virtual int64_t public_timeline_version() const = 0;
  virtual void profile(std::string username, const std::optional<Viewer>& v, Done<Profile> done) = 0;
  virtual void user_uweets(std::string username, std::optional<int64_t> before, int limit,
                           Done<Page<Uweet>> done) = 0;
  virtual void followers(std::string username, std::optional<int64_t> before, int limit,
                         Done<Page<User>> done) = 0;
  virtual void following(std::string username, std::optional<int64_t> before, int limit,
                         Done<Page<User>> done) = 0;
  virtual void search(std::string query, std::optional<int64_t> before, int limit,
                      Done<Page<Uweet>> done) = 0;

  // The viewer's stored notification history, newest first (limit clamped to
  // [1, 100]), with the read marker and the unread count: one reader-thread
  // job. It is in the database, so it survives a restart of either daemon.
  virtual void notifications(const Viewer& v, std::optional<NotificationKey> before, int limit,
                             Done<NotificationList> done) = 0;
  // Moves the viewer's "read up to" marker forward to up_to (never back,
  // never past their newest entry); answers the marker (writer thread).
  virtual void mark_notifications_read(const Viewer& v, NotificationKey up_to,
                                       Done<NotificationKey> done) = 0;

  // A subscription ticket for the viewer (sign/ticket.hpp), valid ticket_ttl_s.
  virtual Result<std::string> ticket(const Viewer& v) = 0;

  // Fills an empty database with a few demo users and uweets (--demo).
  virtual void seed_demo(Done<Unit> done) = 0;

  // Stops the writer after it drains; done runs on the loop thread.
  virtual void shutdown(std::function<void()> done) = 0;
};

}  // namespace uw::web
