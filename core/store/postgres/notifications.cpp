// uw::PgStore: the stored notification history on PostgreSQL (docs/STORAGE.md
// "Notifications"): "followed you" rows merged with mentions and followees'
// uweets, the "read up to" marker and the unread count. The follow row itself
// is written by kFollowInsert (postgres/store.cpp), in the follow's statement.
#include "core/store/notifications.hpp"

#include <algorithm>
#include <limits>

#include "core/log.hpp"
#include "core/store/postgres/conn.hpp"
#include "core/store/postgres/store.hpp"

namespace uw {

namespace pg {

const char* notification_sql(Id id) {
  switch (id) {
    case kNotesFollows:
      return "SELECT n.pos, n.id, n.actor_id, a.username, n.created_at FROM follow_notifications n"
             " JOIN users a ON a.id = n.actor_id WHERE n.recipient_id = $1"
             " AND (n.pos, n.id) < ($2::bigint, $3::bigint) ORDER BY n.pos DESC, n.id DESC LIMIT $4";
    case kNotesUweets:
      // The page's ids from two index ranges (the followees' uweets since each
      // follow began, the mentions of $1 by others), then only those rows.
      return "SELECT u.id, u.author_id, a.username, u.text, u.created_at,"
             " EXISTS(SELECT 1 FROM mentions m WHERE m.uweet_id = u.id AND m.user_id = $1)"
             " FROM uweets u JOIN users a ON a.id = u.author_id WHERE u.id IN ("
             "(SELECT u2.id FROM follows f JOIN uweets u2 ON u2.author_id = f.followee_id"
             " WHERE f.follower_id = $1 AND u2.id < $2 AND u2.created_at >= f.created_at * 1000"
             " UNION SELECT m.uweet_id FROM mentions m JOIN uweets u3 ON u3.id = m.uweet_id"
             " WHERE m.user_id = $1 AND m.uweet_id < $2 AND u3.author_id <> $1)"
             " ORDER BY 1 DESC LIMIT $3) ORDER BY u.id DESC";
    case kNotesUnreadFollows:
      return "SELECT count(*) FROM (SELECT 1 FROM follow_notifications WHERE recipient_id = $1"
             " AND (pos, id) > ($2::bigint, $3::bigint) LIMIT $4) c";
    case kNotesUnreadUweets:
      return "SELECT count(*) FROM ((SELECT u2.id FROM follows f JOIN uweets u2 ON u2.author_id = "
             "f.followee_id"
             " WHERE f.follower_id = $1 AND u2.id > $2 AND u2.created_at >= f.created_at * 1000"
             " UNION SELECT m.uweet_id FROM mentions m JOIN uweets u3 ON u3.id = m.uweet_id"
             " WHERE m.user_id = $1 AND m.uweet_id > $2 AND u3.author_id <> $1) LIMIT $3) c";
    case kNotesReadUpto:
      return "SELECT pos, sub FROM notification_reads WHERE user_id = $1";
    case kNotesMarkRead:
      return "INSERT INTO notification_reads AS r (user_id, pos, sub) VALUES ($1, $2, $3)"
             " ON CONFLICT (user_id) DO UPDATE SET pos = excluded.pos, sub = excluded.sub"
             " WHERE (excluded.pos, excluded.sub) > (r.pos, r.sub)";
    default:
      return "";
  }
}

}  // namespace pg

using namespace pg;

namespace {
constexpr int kMaxPageLimit = 1000;
}  // namespace

NotificationPage PgStore::notifications(int64_t user_id, std::optional<NotificationKey> before, int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  const NotificationKey bound = before.value_or(
      NotificationKey{std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()});
  const auto rows = static_cast<int64_t>(limit) + 1;
  std::vector<Notification> follows;
  if (auto r = c_->run(kNotesFollows, {user_id, bound.pos, bound.sub, rows}, "notifications (follows)")) {
    for (int i = 0; i < r->size(); ++i) {
      Notification n;
      n.key = NotificationKey{r->i64(i, 0), r->i64(i, 1)};
      n.kind = NotificationKind::follow;
      n.actor_id = r->i64(i, 2);
      n.actor = r->text(i, 3);
      n.created_at = r->i64(i, 4) * 1000;
      follows.push_back(std::move(n));
    }
  } else {
    log::error("store: {}", r.error().message);
  }
  std::vector<Notification> uweets;
  if (auto r = c_->run(kNotesUweets, {user_id, notes::uweet_upper_bound(before), rows},
                       "notifications (uweets)")) {
    for (int i = 0; i < r->size(); ++i) {
      Notification n;
      Uweet u{r->i64(i, 0), r->i64(i, 1), r->text(i, 2), r->text(i, 3), r->i64(i, 4)};
      n.key = NotificationKey{u.id, 0};
      n.kind = r->text(i, 5) == "t" ? NotificationKind::mention : NotificationKind::uweet;
      n.actor_id = u.author_id;
      n.actor = u.author;
      n.created_at = u.created_at;
      n.uweet = std::move(u);
      uweets.push_back(std::move(n));
    }
  } else {
    log::error("store: {}", r.error().message);
  }
  return notes::merge_page(std::move(follows), std::move(uweets), limit);
}

NotificationKey PgStore::notifications_read_upto(int64_t user_id) {
  auto r = c_->run(kNotesReadUpto, {user_id}, "notifications read up to");
  if (r && r->size() > 0) return NotificationKey{r->i64(0, 0), r->i64(0, 1)};
  return {};
}

Result<NotificationKey> PgStore::mark_notifications_read(int64_t user_id, NotificationKey up_to) {
  if (!user_by_id(user_id)) {
    if (auto down = take_unavailable()) return *down;
    return Error{404, "no_such_user", "No such user."};
  }
  // Never past the newest entry there is: a marker ahead of it would mark
  // notifications read before they exist.
  const auto newest = notifications(user_id, std::nullopt, 1);
  if (auto down = take_unavailable()) return *down;
  const NotificationKey top = newest.items.empty() ? NotificationKey{} : newest.items.front().key;
  up_to = std::min(up_to, top);
  auto r = c_->run(kNotesMarkRead, {user_id, up_to.pos, up_to.sub}, "mark notifications read");
  if (!r) return r.error();
  return notifications_read_upto(user_id);
}

int64_t PgStore::unread_notifications(int64_t user_id) {
  const NotificationKey m = notifications_read_upto(user_id);
  const auto cap = static_cast<int64_t>(kUnreadCountCap);
  int64_t n = 0;
  if (auto r = c_->run(kNotesUnreadFollows, {user_id, m.pos, m.sub, cap}, "unread (follows)"); r && r->size())
    n += r->i64(0, 0);
  if (auto r = c_->run(kNotesUnreadUweets, {user_id, m.pos, cap}, "unread (uweets)"); r && r->size())
    n += r->i64(0, 0);
  return std::min(n, cap);
}

}  // namespace uw
