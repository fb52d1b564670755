// Schema migrations. Step k (1-based) takes the database from user_version k-1
// to k. Steps are append-only: never edit a released step, add a new one.
// docs/STORAGE.md describes the resulting schema and why each index exists.
#include "core/store/sqlite/schema.hpp"

#include <fmt/format.h>

#include <array>
#include <string>

namespace uw::store_schema {
namespace {

constexpr std::array kSteps = {
    // 1: users, sessions, uweets (+ FTS5), mentions, follows.
    R"sql(
CREATE TABLE users(
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL,             -- display case, as registered
  username_key  TEXT NOT NULL,             -- lower-cased: uniqueness and look-ups
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL           -- unix seconds
);
CREATE UNIQUE INDEX users_by_key ON users(username_key);

CREATE TABLE sessions(
  token_hash BLOB PRIMARY KEY CHECK(length(token_hash) = 32),
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL              -- unix seconds
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE uweets(
  id              INTEGER PRIMARY KEY,
  author_id       INTEGER NOT NULL REFERENCES users(id),
  text            TEXT NOT NULL CHECK(length(text) BETWEEN 1 AND 141),
  created_at      INTEGER NOT NULL,        -- unix milliseconds
  idempotency_key TEXT
);
CREATE INDEX uweets_by_author ON uweets(author_id, id);
CREATE UNIQUE INDEX uweets_by_idempotency_key ON uweets(author_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE VIRTUAL TABLE uweets_fts USING fts5(
  text, content='uweets', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER uweets_fts_insert AFTER INSERT ON uweets BEGIN
  INSERT INTO uweets_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER uweets_fts_delete AFTER DELETE ON uweets BEGIN
  INSERT INTO uweets_fts(uweets_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER uweets_fts_update AFTER UPDATE OF text ON uweets BEGIN
  INSERT INTO uweets_fts(uweets_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO uweets_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE mentions(
  uweet_id INTEGER NOT NULL REFERENCES uweets(id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users(id),
  PRIMARY KEY(uweet_id, user_id)
) WITHOUT ROWID;
CREATE INDEX mentions_by_user ON mentions(user_id, uweet_id);

CREATE TABLE follows(
  id          INTEGER PRIMARY KEY,         -- cursor of follower/following pages
  follower_id INTEGER NOT NULL REFERENCES users(id),
  followee_id INTEGER NOT NULL REFERENCES users(id),
  created_at  INTEGER NOT NULL,            -- unix seconds
  CHECK(follower_id <> followee_id)
);
CREATE UNIQUE INDEX follows_by_pair ON follows(follower_id, followee_id);
CREATE UNIQUE INDEX follows_by_followee ON follows(followee_id, follower_id);
CREATE INDEX follows_following_page ON follows(follower_id, id);
CREATE INDEX follows_followers_page ON follows(followee_id, id);
)sql",
    // 2: full-text search moves to its own database file (attached as
    // `search`, see search_schema()), indexed off the write path.
    R"sql(
DROP TRIGGER IF EXISTS uweets_fts_insert;
DROP TRIGGER IF EXISTS uweets_fts_delete;
DROP TRIGGER IF EXISTS uweets_fts_update;
DROP TABLE IF EXISTS uweets_fts;
)sql",
    // 3: deleted uweets leave a tombstone: the deletion log other processes
    // follow (seq), the idempotency key kept used, and the highest id ever given.
    R"sql(
CREATE TABLE deleted_uweets(
  seq             INTEGER PRIMARY KEY,     -- the deletion log's order
  uweet_id        INTEGER NOT NULL UNIQUE,
  author_id       INTEGER NOT NULL,
  idempotency_key TEXT,
  deleted_at      INTEGER NOT NULL         -- unix milliseconds
);
CREATE UNIQUE INDEX deleted_uweets_by_key ON deleted_uweets(author_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
)sql",
    // 4: a display name and a bio per user ("" = none).
    R"sql(
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
)sql",
    // 5: deleted accounts leave an entry: the log other processes follow
    // (seq), the name reserved until reserved_until, the highest user id given.
    R"sql(
CREATE TABLE deleted_users(
  seq            INTEGER PRIMARY KEY,      -- the account deletion log's order
  user_id        INTEGER NOT NULL UNIQUE,
  username       TEXT NOT NULL,            -- display case
  username_key   TEXT NOT NULL,            -- lower-cased, as users.username_key
  deleted_at     INTEGER NOT NULL,         -- unix milliseconds
  reserved_until INTEGER NOT NULL          -- unix seconds
);
CREATE INDEX deleted_users_by_key ON deleted_users(username_key, reserved_until);
)sql",
    // 6: the stored notification history (docs/STORAGE.md "Notifications"):
    // "followed you" rows written with the follow, and each user's "read up
    // to" marker. Mentions are the mentions table; a followee's uweets are
    // found on read. Both go with their users (ON DELETE CASCADE).
    R"sql(
CREATE TABLE follow_notifications(
  id           INTEGER PRIMARY KEY,        -- the key's sub (>= 1)
  recipient_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  actor_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  pos          INTEGER NOT NULL,           -- the newest uweet id given when the follow committed
  created_at   INTEGER NOT NULL            -- unix seconds
);
CREATE INDEX follow_notifications_page ON follow_notifications(recipient_id, pos, id);
CREATE INDEX follow_notifications_by_actor ON follow_notifications(actor_id, recipient_id, created_at);
CREATE TABLE notification_reads(
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  pos     INTEGER NOT NULL,
  sub     INTEGER NOT NULL
);
)sql",
};

Result<Unit> exec(sqlite3* db, const char* sql, std::string_view what) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e{500, "db_migration", fmt::format("{}: {}", what, msg ? msg : sqlite3_errmsg(db))};
    sqlite3_free(msg);
    return e;
  }
  return Unit{};
}

}  // namespace

int latest_version() { return static_cast<int>(kSteps.size()); }

const char* search_schema() {
  // Contentless: the text stays in uweets; the index maps words to uweet ids.
  // `progress` is the newest uweet id indexed (the indexer's resume point).
  return R"sql(
CREATE VIRTUAL TABLE IF NOT EXISTS search.uweets_fts USING fts5(
  text, content='', tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS search.progress(
  one          INTEGER PRIMARY KEY CHECK(one = 1),
  indexed_upto INTEGER NOT NULL
);
INSERT OR IGNORE INTO search.progress(one, indexed_upto) VALUES (1, 0);
)sql";
}

int current_version(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) != SQLITE_OK) return -1;
  int v = -1;
  if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return v;
}

Result<Unit> migrate(sqlite3* db, int target) {
  for (;;) {
    if (auto r = exec(db, "BEGIN IMMEDIATE", "begin migration"); !r) return r;
    // Read the version inside the write lock: two writers opening at once
    // must not both apply the same step.
    const int v = current_version(db);
    if (v < 0 || v > latest_version()) {
      exec(db, "ROLLBACK", "rollback").ok();
      return Error{500, "db_version",
                   fmt::format("database schema version {} is not one this program knows (up to {})", v,
                               latest_version())};
    }
    if (v >= target) return exec(db, "COMMIT", "commit");
    const std::string sql =
        fmt::format("{}\nPRAGMA user_version = {};", kSteps[static_cast<size_t>(v)], v + 1);
    if (auto r = exec(db, sql.c_str(), fmt::format("migration step {}", v + 1)); !r) {
      exec(db, "ROLLBACK", "rollback").ok();
      return r;
    }
    if (auto r = exec(db, "COMMIT", "commit migration"); !r) return r;
  }
}

}  // namespace uw::store_schema
