// uw::Store: the start-up bulk loads of the web app's caches (whole-table
// scans, read once at start on the writable connection before the writer owns it).
#include "core/store/sqlite/sql.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw {

using namespace store_sql;

Result<WarmSnapshot> SqliteStore::warm_snapshot() {
  WarmSnapshot snap;
  int rc;
  {
    Query q((*st_)[kWarmUsers]);
    while ((rc = q.step()) == SQLITE_ROW) {
      snap.users.push_back({User{q.i64(0), q.text(1), q.i64(2), q.text(4), q.text(5)}, q.text(3)});
    }
    if (rc != SQLITE_DONE) return db_error(db_, "scan users");
  }
  {
    Query q((*st_)[kWarmFollows]);
    while ((rc = q.step()) == SQLITE_ROW) snap.follows.emplace_back(q.i64(0), q.i64(1));
    if (rc != SQLITE_DONE) return db_error(db_, "scan follows");
  }
  {
    Query q((*st_)[kWarmUweetCounts]);
    while ((rc = q.step()) == SQLITE_ROW) snap.uweet_counts.emplace_back(q.i64(0), q.i64(1));
    if (rc != SQLITE_DONE) return db_error(db_, "count uweets");
  }
  return snap;
}

Result<std::vector<LiveSession>> SqliteStore::live_sessions(int64_t now_s) {
  std::vector<LiveSession> out;
  Query q((*st_)[kLiveSessions]);
  q.bind(1, now_s);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    std::string hash = q.blob(0);
    if (hash.empty()) continue;
    out.push_back(LiveSession{std::move(hash), q.i64(1), q.i64(2)});
  }
  if (rc != SQLITE_DONE) return db_error(db_, "list sessions");
  return out;
}

}  // namespace uw
