#pragma once
// uw::web::TimelineCache — the web app's in-memory view of the database, kept
// on the loop thread and updated only from committed writes (the web app is the
// only writer, so nothing else can make it stale).
//
// Holds: users by id and by case-folded name (with the password hash, so login
// needs no disk read), live sessions (token hash -> user, expiry), the follow
// graph (followees per user, follower/following/uweet counts), each author's
// recent uweet ids (newest first, capped), the public timeline ring, and the
// uweets those lists name.
//
// Timelines are answered by a k-way merge (a heap over the lists). A list is
// "complete" when it holds every uweet of its source; otherwise only ids at or
// above its oldest cached id are known. The merge answers only when it can be
// exact and returns nullopt otherwise, so the caller asks a reader thread.
//
// Threading: loop thread only. Not thread-safe.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/store/store.hpp"

namespace uw::web {

struct CachedUser {
  User user;
  std::string password_hash;
  std::vector<int64_t> followees;  // ascending ids
  int64_t followers = 0;
  int64_t uweets = 0;
  std::deque<int64_t> recent;   // this author's uweet ids, newest first
  bool recent_complete = true;  // recent holds every uweet of the author
};

class TimelineCache {
 public:
  // per_author: ids kept per author; public_ring: ids of the public timeline
  // (must not exceed per_author, so a uweet leaving an author list has also left the ring).
  explicit TimelineCache(size_t per_author = 256, size_t public_ring = 256);

  // --- loading and updates -------------------------------------------------
  // Takes fresh's contents (a live reload); the versions below keep growing,
  // so nothing rendered from the old contents is taken for current.
  void replace(TimelineCache&& fresh);
  CachedUser& put_user(const User& u, std::string password_hash);
  void set_password_hash(int64_t user_id, std::string hash);
  // A committed profile change (display name, bio).
  void set_profile(int64_t user_id, std::string display_name, std::string bio);
  void set_followees(int64_t user_id, std::vector<int64_t> followees);
  void set_follower_count(int64_t user_id, int64_t n);
  // Bulk load of an author's newest uweets (newest first); complete if that is all of them.
  void load_recent(int64_t author_id, const std::vector<Uweet>& newest_first, bool complete, int64_t total);
  void load_public(const std::vector<Uweet>& newest_first, bool complete);
  // A committed uweet: usually newer than every id seen so far, but one of
  // another instance's can commit after newer ones (it goes to its place in
  // each list). False, and nothing changes, when the id is cached already
  // (a change applied twice).
  bool add_uweet(const Uweet& u);
  // A committed delete: the uweet leaves every list and the author's count
  // (whether or not its id was cached).
  void remove_uweet(int64_t author_id, int64_t uweet_id);
  // A committed account delete: the user, their sessions, their uweets (from
  // every list) and their follow edges both ways go; follower_ids are the
  // users who followed them (the cache keeps followees, not followers).
  void remove_user(int64_t user_id, const std::vector<int64_t>& follower_ids);
  // Follow edge changes (after commit). Returns false if a user is unknown.
  bool add_follow(int64_t follower, int64_t followee);
  bool remove_follow(int64_t follower, int64_t followee);

  // --- lookups --------------------------------------------------------------
  const CachedUser* user(int64_t id) const;
  const CachedUser* user_by_name(std::string_view name) const;  // case-insensitive
  const Uweet* uweet(int64_t id) const;
  bool follows(int64_t follower, int64_t followee) const;
  // Who follows user_id, ascending (a scan of every user: for the rare
  // account deleted by another instance).
  std::vector<int64_t> follower_ids(int64_t user_id) const;
  size_t user_count() const { return users_.size(); }
  // Changes whenever a user is added or removed (Service::users_version).
  uint64_t users_version() const { return users_version_; }
  // How many users were removed (remove_user).
  uint64_t users_removed() const { return users_removed_; }
  size_t uweet_count() const { return uweets_.size(); }
  int64_t max_uweet_id() const { return max_uweet_id_; }
  // Changes whenever what a timeline shows may have changed: a uweet added or
  // removed, a display name changed (rendered-page reuse).
  uint64_t uweets_version() const { return uweets_version_; }

  // --- sessions (keyed by the token's hash) ---------------------------------
  void put_session(const std::string& token_hash, int64_t user_id, int64_t expires_at_s);
  // User id of a live session; forgets it when expired.
  std::optional<int64_t> session(const std::string& token_hash, int64_t now_s);
  void drop_session(const std::string& token_hash);
  // Forgets every session of user_id but keep_hash ("" = every one). Costs
  // that user's sessions, not every session.
  void drop_user_sessions(int64_t user_id, const std::string& keep_hash);
  size_t session_count() const { return sessions_.size(); }

  // --- timelines: exact answers or nullopt ---------------------------------
  std::optional<Page<Uweet>> home(int64_t viewer_id, std::optional<int64_t> before, int limit) const;
  std::optional<Page<Uweet>> author(int64_t author_id, std::optional<int64_t> before, int limit) const;
  std::optional<Page<Uweet>> public_page(std::optional<int64_t> before, int limit) const;

  // One list for the merge: ids newest first; complete = nothing older exists.
  struct Source {
    const std::deque<int64_t>* ids;
    bool complete;
  };
  // Exposed for tests: the k-way merge over sources (ids only).
  static std::optional<Page<int64_t>> merge(const std::vector<Source>& sources, std::optional<int64_t> before,
                                            int limit);

 private:
  std::optional<Page<Uweet>> materialise(std::optional<Page<int64_t>> ids) const;
  void forget_if_unlisted(int64_t id);
  CachedUser* mut_user(int64_t id);

  size_t per_author_;
  size_t public_ring_;
  std::unordered_map<int64_t, CachedUser> users_;
  std::unordered_map<std::string, int64_t> by_name_;  // rules::username_key -> id
  std::unordered_map<int64_t, Uweet> uweets_;
  std::deque<int64_t> public_;  // newest first
  bool public_complete_ = true;
  int64_t max_uweet_id_ = 0;
  uint64_t uweets_version_ = 0;
  uint64_t users_version_ = 0;
  uint64_t users_removed_ = 0;
  struct Session {
    int64_t user_id;
    int64_t expires_at_s;
  };
  std::unordered_map<std::string, Session> sessions_;
  std::unordered_map<int64_t, std::unordered_set<std::string>> sessions_by_user_;  // token hashes
  void erase_session(std::unordered_map<std::string, Session>::iterator it);
};

}  // namespace uw::web
