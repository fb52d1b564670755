// uw::Store: the stored notification history on SQLite (docs/STORAGE.md
// "Notifications"): "followed you" rows merged with mentions and followees'
// uweets, the "read up to" marker and the unread count.
#include "core/store/notifications.hpp"

#include <algorithm>
#include <limits>

#include "core/log.hpp"
#include "core/store/sqlite/sql.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw {

using namespace store_sql;

namespace {
constexpr int kMaxPageLimit = 1000;
}  // namespace

NotificationPage SqliteStore::notifications(int64_t user_id, std::optional<NotificationKey> before,
                                            int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  const NotificationKey bound = before.value_or(
      NotificationKey{std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()});
  std::vector<Notification> follows;
  {
    Query q((*st_)[kNotesFollows]);
    q.bind(1, user_id).bind(2, bound.pos).bind(3, bound.sub).bind(4, static_cast<int64_t>(limit) + 1);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      Notification n;
      n.key = NotificationKey{q.i64(0), q.i64(1)};
      n.kind = NotificationKind::follow;
      n.actor_id = q.i64(2);
      n.actor = q.text(3);
      n.created_at = q.i64(4) * 1000;
      follows.push_back(std::move(n));
    }
    if (rc != SQLITE_DONE) log::error("store: notifications (follows): {}", sqlite3_errmsg(db_));
  }
  std::vector<Notification> uweets;
  {
    Query q((*st_)[kNotesUweets]);
    q.bind(1, user_id).bind(2, notes::uweet_upper_bound(before)).bind(3, static_cast<int64_t>(limit) + 1);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      Notification n;
      Uweet u{q.i64(0), q.i64(1), q.text(2), q.text(3), q.i64(4)};
      n.key = NotificationKey{u.id, 0};
      n.kind = q.i64(5) != 0 ? NotificationKind::mention : NotificationKind::uweet;
      n.actor_id = u.author_id;
      n.actor = u.author;
      n.created_at = u.created_at;
      n.uweet = std::move(u);
      uweets.push_back(std::move(n));
    }
    if (rc != SQLITE_DONE) log::error("store: notifications (uweets): {}", sqlite3_errmsg(db_));
  }
  return notes::merge_page(std::move(follows), std::move(uweets), limit);
}

NotificationKey SqliteStore::notifications_read_upto(int64_t user_id) {
  Query q((*st_)[kNotesReadUpto]);
  q.bind(1, user_id);
  if (q.step() == SQLITE_ROW) return NotificationKey{q.i64(0), q.i64(1)};
  return {};
}

Result<NotificationKey> SqliteStore::mark_notifications_read(int64_t user_id, NotificationKey up_to) {
  if (!user_by_id(user_id)) return Error{404, "no_such_user", "No such user."};
  // Never past the newest entry there is: a marker ahead of it would mark
  // notifications read before they exist.
  const auto newest = notifications(user_id, std::nullopt, 1);
  const NotificationKey top = newest.items.empty() ? NotificationKey{} : newest.items.front().key;
  up_to = std::min(up_to, top);
  {
    Query q((*st_)[kNotesMarkRead]);
    q.bind(1, user_id).bind(2, up_to.pos).bind(3, up_to.sub);
    if (q.step() != SQLITE_DONE) return db_error(db_, "mark notifications read");
  }
  return notifications_read_upto(user_id);
}

int64_t SqliteStore::unread_notifications(int64_t user_id) {
  const NotificationKey m = notifications_read_upto(user_id);
  int64_t n = 0;
  {
    Query q((*st_)[kNotesUnreadFollows]);
    q.bind(1, user_id).bind(2, m.pos).bind(3, m.sub).bind(4, static_cast<int64_t>(kUnreadCountCap));
    if (q.step() == SQLITE_ROW) n += q.i64(0);
  }
  {
    Query q((*st_)[kNotesUnreadUweets]);
    q.bind(1, user_id).bind(2, m.pos).bind(3, static_cast<int64_t>(kUnreadCountCap));
    if (q.step() == SQLITE_ROW) n += q.i64(0);
  }
  return std::min<int64_t>(n, kUnreadCountCap);
}

}  // namespace uw
