// uw::PgStore: the change feed (docs/STORAGE.md "Change feed"). The rows are
// written by triggers (postgres/schema.cpp, step 7) in the writing
// transaction; this file reads them, keeps the instance table and prunes.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "core/rules.hpp"
#include "core/store/postgres/conn.hpp"
#include "core/store/postgres/store.hpp"

namespace uw {
namespace pg {

// The database's clock in unix milliseconds (what heartbeats and at_ms use).
#define UW_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

const char* feed_sql(Id id) {
  switch (id) {
    case kFeedHorizon:
      return "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint";
    case kFeedRead:
      // Changes of transactions in [lo, hi) after seq $3, hi being this
      // snapshot's xmin unless the read is a continuation ($2 > 0): every
      // transaction below xmin has ended, so no change can still appear
      // there. One row with NULL change columns when there is none.
      return "WITH h AS (SELECT CASE WHEN $2::bigint > 0 THEN $2::bigint"
             "  ELSE pg_snapshot_xmin(pg_current_snapshot())::text::bigint END AS x,"
             "  (SELECT pruned_upto FROM feed_state WHERE one = 1) AS p, " UW_PG_NOW_MS
             " AS now_ms)"
             " SELECT h.x, h.p, h.now_ms, c.seq, c.kind, c.a, c.b, c.c, c.t, encode(c.h, 'hex'), c.at_ms"
             " FROM h LEFT JOIN changes c ON c.xid >= $1::text::xid8 AND c.xid < h.x::text::xid8"
             "  AND c.seq > $3 AND ($4 = '' OR c.origin <> $4)"
             " ORDER BY c.seq LIMIT $5";
    case kFeedUsers:
      return "SELECT id, username, created_at, password_hash, display_name, bio FROM users"
             " WHERE id = ANY($1::bigint[]) ORDER BY id";
    case kFeedHeartbeat:
      return "INSERT INTO feed_instances(name, applied, heartbeat_ms) VALUES ($1, "
             "$2::text::xid8, " UW_PG_NOW_MS
             ") ON CONFLICT (name) DO UPDATE SET applied = EXCLUDED.applied,"
             " heartbeat_ms = EXCLUDED.heartbeat_ms";
    case kFeedHeartbeatWake:
      return "WITH h AS (INSERT INTO feed_instances(name, applied, heartbeat_ms) VALUES ($1, "
             "$2::text::xid8, " UW_PG_NOW_MS
             ") ON CONFLICT (name) DO UPDATE SET applied = EXCLUDED.applied,"
             " heartbeat_ms = EXCLUDED.heartbeat_ms RETURNING 1)"
             " SELECT pg_notify('uw_acks', '') FROM h";
    case kFeedPeersBehind:
      return "SELECT count(*) FROM feed_instances WHERE name <> $1 AND heartbeat_ms > " UW_PG_NOW_MS
             " - $3 AND applied <= $2::text::xid8";
    case kFeedLeave:
      return "DELETE FROM feed_instances WHERE name = $1";
    case kFeedXid:
      return "SELECT pg_current_xact_id()::text::bigint";
    case kFeedPrune:
      // One instance at a time (the others skip: try-lock); the newest xid
      // removed is kept so that a reader whose cursor is older knows it
      // missed changes. Instances silent as long go too.
      return "WITH l AS (SELECT pg_try_advisory_xact_lock(7543210012) AS got),"
             " d AS (DELETE FROM changes WHERE at_ms < $1 AND (SELECT got FROM l)"
             "  RETURNING xid::text::bigint AS x),"
             " s AS (UPDATE feed_state SET pruned_upto = greatest(pruned_upto, (SELECT max(x) FROM d))"
             "  WHERE one = 1 AND EXISTS (SELECT 1 FROM d)),"
             " i AS (DELETE FROM feed_instances WHERE heartbeat_ms < $1 AND (SELECT got FROM l))"
             " SELECT count(*) FROM d";
    case kFeedLogin:
      return "INSERT INTO changes(kind, b, t) VALUES ($1, $2, $3)";
    default:
      break;
  }
  return "";
}

}  // namespace pg

using namespace pg;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return 0;
}

std::string from_hex(const std::string& hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1])));
  return out;
}

constexpr int kMaxFeedPage = 10'000;

}  // namespace

Result<FeedCursor> PgStore::feed_start() {
  auto r = c_->run(kFeedHorizon, {}, "feed start");
  if (!r) return r.error();
  if (r->size() != 1) return Error{500, "db_error", "feed start: no horizon"};
  return FeedCursor{r->i64(0, 0), 0, 0};
}

Result<FeedPage> PgStore::feed_read(const FeedCursor& from, std::string_view skip_origin, int limit) {
  limit = std::clamp(limit, 1, kMaxFeedPage);
  // One statement, one snapshot: its xmin and the changes below it. The
  // users are read after it (one round trip more only when a page names
  // any), as they are then.
  const auto fail = [](Error e) -> Result<FeedPage> { return e; };
  auto r = c_->run(kFeedRead, {from.lo, from.hi, from.after_seq, skip_origin, static_cast<int64_t>(limit)},
                   "feed read");
  if (!r) return fail(r.error());
  FeedPage page;
  if (r->size() == 0) return fail(Error{500, "db_error", "feed read: no horizon"});
  const int64_t hi = r->i64(0, 0);
  const int64_t pruned_upto = r->i64(0, 1);
  page.now_ms = r->i64(0, 2);
  std::string user_ids;
  for (int i = 0; i < r->size(); ++i) {
    if (r->null(i, 3)) continue;
    Change ch;
    ch.seq = r->i64(i, 3);
    ch.kind = static_cast<ChangeKind>(r->i64(i, 4));
    ch.a = r->i64(i, 5);
    ch.b = r->i64(i, 6);
    ch.c = r->i64(i, 7);
    if (!r->null(i, 8)) ch.t = r->text(i, 8);
    if (!r->null(i, 9)) ch.h = from_hex(r->text(i, 9));
    ch.at_ms = r->i64(i, 10);
    if (ch.kind == ChangeKind::user) {
      if (!user_ids.empty()) user_ids += ',';
      user_ids += std::to_string(ch.a);
    }
    page.changes.push_back(std::move(ch));
  }
  if (!user_ids.empty()) {
    auto u = c_->run(kFeedUsers, {"{" + user_ids + "}"}, "feed read: users");
    if (!u) return fail(u.error());
    for (int i = 0; i < u->size(); ++i) {
      WarmSnapshot::UserRow row;
      row.user = User{u->i64(i, 0), u->text(i, 1), u->i64(i, 2), u->text(i, 4), u->text(i, 5)};
      row.password_hash = u->text(i, 3);
      page.users.push_back(std::move(row));
    }
  }
  page.pruned = from.lo > 0 && pruned_upto >= from.lo;
  if (static_cast<int>(page.changes.size()) == limit) {
    page.more = true;
    page.next = FeedCursor{from.lo, hi, page.changes.back().seq};
  } else {
    page.next = FeedCursor{std::max(from.lo, hi), 0, 0};
  }
  return page;
}

Result<Unit> PgStore::feed_listen() {
  if (auto r = c_->ensure(); !r) return r;
  // This connection writes only heartbeats and prunes: losing the last of
  // them in a crash costs nothing, so no flush to wait for.
  // application_name: what an operator (or a test) finds it by in pg_stat_activity.
  if (auto r = c_->exec("SET synchronous_commit = off; SET application_name = 'uwitter-feed'; LISTEN "
                        "uw_changes; LISTEN uw_acks",
                        "feed listen");
      !r)
    return r;
  listening_generation_ = c_->generation;
  return Unit{};
}

Result<bool> PgStore::feed_wait(std::chrono::milliseconds max, int wake_fd) {
  const Error gone{503, "db_unavailable", "feed: the listening connection was lost", kRetryUnavailableS};
  if (c_->lost() || c_->generation != listening_generation_) return gone;
  bool notified = false;
  const auto drain = [&] {
    while (PGnotify* n = PQnotifies(c_->pg)) {
      notified = true;
      PQfreemem(n);
    }
  };
  drain();  // arrived with the answer to an earlier statement
  if (notified) return true;
  pollfd fds[2] = {{PQsocket(c_->pg), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int n = ::poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(std::max<int64_t>(0, max.count())));
  if (n < 0) return false;  // EINTR: as if the time had passed
  if (wake_fd >= 0 && (fds[1].revents & POLLIN)) {
    uint64_t v = 0;
    (void)!::read(wake_fd, &v, sizeof v);
  }
  if (fds[0].revents != 0) {
    if (PQconsumeInput(c_->pg) != 1 || c_->lost()) return gone;
    drain();
  }
  return notified;
}

Result<Unit> PgStore::feed_heartbeat(std::string_view name, int64_t applied_lo, bool wake_peers) {
  auto r = c_->run(wake_peers ? kFeedHeartbeatWake : kFeedHeartbeat, {name, applied_lo}, "feed heartbeat");
  if (!r) return r.error();
  return Unit{};
}

Result<int64_t> PgStore::feed_peers_behind(std::string_view name, int64_t xid, int64_t live_ms) {
  auto r = c_->run(kFeedPeersBehind, {name, xid, live_ms}, "feed peers behind");
  if (!r) return r.error();
  return r->size() == 1 ? r->i64(0, 0) : 0;
}

Result<Unit> PgStore::feed_leave(std::string_view name) {
  auto r = c_->run(kFeedLeave, {name}, "feed leave");
  if (!r) return r.error();
  return Unit{};
}

Result<int64_t> PgStore::feed_xid() {
  auto r = c_->run(kFeedXid, {}, "feed xid");
  if (!r) return r.error();
  if (r->size() != 1) return Error{500, "db_error", "feed xid: no row"};
  return r->i64(0, 0);
}

Result<int64_t> PgStore::feed_prune(int64_t before_ms) {
  auto r = c_->run(kFeedPrune, {before_ms}, "feed prune");
  if (!r) return r.error();
  return r->size() == 1 ? r->i64(0, 0) : 0;
}

Result<Unit> PgStore::feed_login(bool failed, std::string_view key, std::string_view address, int64_t at_s) {
  std::string t = std::string(key) + "\t" + std::string(address);
  if (!rules::valid_utf8(t) || t.find('\0') != std::string::npos)
    return Error{422, "invalid_utf8", "feed login: not text"};
  const int64_t kind = static_cast<int64_t>(failed ? ChangeKind::login_failed : ChangeKind::login_ok);
  auto r = c_->run(kFeedLogin, {kind, at_s, t}, "feed login");
  if (!r) return r.error();
  return Unit{};
}

}  // namespace uw
