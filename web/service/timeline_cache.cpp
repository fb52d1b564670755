#include "web/service/timeline_cache.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/rules.hpp"

namespace uw::web {

TimelineCache::TimelineCache(size_t per_author, size_t public_ring)
    : per_author_(std::max<size_t>(1, per_author)),
      public_ring_(std::min(std::max<size_t>(1, public_ring), per_author_)) {}

CachedUser& TimelineCache::put_user(const User& u, std::string password_hash) {
  ++users_version_;
  auto& cu = users_[u.id];
  cu.user = u;
  cu.password_hash = std::move(password_hash);
  by_name_[rules::username_key(u.username)] = u.id;
  return cu;
}

void TimelineCache::replace(TimelineCache&& fresh) {
  const uint64_t uweets = uweets_version_, users = users_version_, removed = users_removed_;
  *this = std::move(fresh);
  uweets_version_ += uweets + 1;
  users_version_ += users + 1;
  users_removed_ += removed + 1;
}

CachedUser* TimelineCache::mut_user(int64_t id) {
  auto it = users_.find(id);
  return it == users_.end() ? nullptr : &it->second;
}

void TimelineCache::set_password_hash(int64_t user_id, std::string hash) {
  if (auto* u = mut_user(user_id)) u->password_hash = std::move(hash);
}

void TimelineCache::set_profile(int64_t user_id, std::string display_name, std::string bio) {
  if (auto* u = mut_user(user_id)) {
    ++uweets_version_;
    u->user.display_name = std::move(display_name);
    u->user.bio = std::move(bio);
  }
}

void TimelineCache::set_followees(int64_t user_id, std::vector<int64_t> followees) {
  if (auto* u = mut_user(user_id)) {
    std::sort(followees.begin(), followees.end());
    u->followees = std::move(followees);
  }
}

void TimelineCache::set_follower_count(int64_t user_id, int64_t n) {
  if (auto* u = mut_user(user_id)) u->followers = n;
}

void TimelineCache::load_recent(int64_t author_id, const std::vector<Uweet>& newest_first, bool complete,
                                int64_t total) {
  auto* a = mut_user(author_id);
  if (!a) return;
  a->recent.clear();
  for (const auto& u : newest_first) {
    if (a->recent.size() == per_author_) {
      complete = false;
      break;
    }
    a->recent.push_back(u.id);
    uweets_[u.id] = u;
    max_uweet_id_ = std::max(max_uweet_id_, u.id);
  }
  a->recent_complete = complete;
  a->uweets = total;
}

void TimelineCache::load_public(const std::vector<Uweet>& newest_first, bool complete) {
  public_.clear();
  for (const auto& u : newest_first) {
    if (public_.size() == public_ring_) {
      complete = false;
      break;
    }
    public_.push_back(u.id);
    uweets_[u.id] = u;
    max_uweet_id_ = std::max(max_uweet_id_, u.id);
  }
  public_complete_ = complete;
}

namespace {
// Puts id into a newest-first list at its place (another instance's uweet can
// commit after newer ones were seen). A list that is not complete holds an
// exact run down to its oldest id: an id below that stays out. Returns
// whether it went in.
bool place(std::deque<int64_t>& ids, int64_t id, bool complete) {
  if (ids.empty() || id > ids.front()) {
    ids.push_front(id);
    return true;
  }
  if (id < ids.back()) {
    if (!complete) return false;
    ids.push_back(id);
    return true;
  }
  auto it = std::partition_point(ids.begin(), ids.end(), [id](int64_t x) { return x > id; });
  if (it != ids.end() && *it == id) return false;
  ids.insert(it, id);
  return true;
}
}  // namespace

bool TimelineCache::add_uweet(const Uweet& u) {
  if (uweets_.count(u.id) != 0) return false;  // applied already (own commit, or the feed twice)
  ++uweets_version_;
  uweets_[u.id] = u;
  max_uweet_id_ = std::max(max_uweet_id_, u.id);
  bool listed = false;
  if (auto* a = mut_user(u.author_id)) {
    ++a->uweets;
    listed = place(a->recent, u.id, a->recent_complete);
    if (a->recent.size() > per_author_) {
      int64_t old = a->recent.back();
      a->recent.pop_back();
      a->recent_complete = false;
      forget_if_unlisted(old);
    }
  }
  listed = place(public_, u.id, public_complete_) || listed;
  if (public_.size() > public_ring_) {
    int64_t old = public_.back();
    public_.pop_back();
    public_complete_ = false;
    forget_if_unlisted(old);
  }
  if (!listed) uweets_.erase(u.id);  // older than every list holds
  return true;
}

std::vector<int64_t> TimelineCache::follower_ids(int64_t user_id) const {
  std::vector<int64_t> out;
  for (const auto& [id, cu] : users_)
    if (std::binary_search(cu.followees.begin(), cu.followees.end(), user_id)) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

// Taking an id out of a list keeps it an exact run: the list still holds every
// (remaining) uweet of its source at or above its oldest id.
void TimelineCache::remove_uweet(int64_t author_id, int64_t uweet_id) {
  ++uweets_version_;
  uweets_.erase(uweet_id);
  const auto drop = [uweet_id](std::deque<int64_t>& ids) {
    auto it = std::find(ids.begin(), ids.end(), uweet_id);
    if (it != ids.end()) ids.erase(it);
  };
  drop(public_);
  if (auto* a = mut_user(author_id)) {
    drop(a->recent);
    if (a->uweets > 0) --a->uweets;
  }
}

// The public ring's ids are checked by author (a ring entry is always in
// uweets_); the author's own list goes with the user. Removing ids from lists
// keeps each an exact run, as remove_uweet does.
void TimelineCache::remove_user(int64_t user_id, const std::vector<int64_t>& follower_ids) {
  auto it = users_.find(user_id);
  if (it == users_.end()) return;
  ++uweets_version_;
  ++users_version_;
  ++users_removed_;
  std::erase_if(public_, [&](int64_t id) {
    auto u = uweets_.find(id);
    return u != uweets_.end() && u->second.author_id == user_id;
  });
  std::erase_if(uweets_, [&](const auto& kv) { return kv.second.author_id == user_id; });
  for (int64_t followee : it->second.followees)
    if (auto* b = mut_user(followee); b && b->followers > 0) --b->followers;
  for (int64_t follower : follower_ids) {
    auto* a = mut_user(follower);
    if (!a) continue;
    auto pos = std::lower_bound(a->followees.begin(), a->followees.end(), user_id);
    if (pos != a->followees.end() && *pos == user_id) a->followees.erase(pos);
  }
  drop_user_sessions(user_id, "");
  by_name_.erase(rules::username_key(it->second.user.username));
  users_.erase(it);
}

// Lists are contiguous newest-first runs, so "still listed" is a comparison
// with the list's oldest id.
void TimelineCache::forget_if_unlisted(int64_t id) {
  auto it = uweets_.find(id);
  if (it == uweets_.end()) return;
  bool in_public = !public_.empty() && id >= public_.back();
  const CachedUser* a = user(it->second.author_id);
  bool in_author = a && !a->recent.empty() && id >= a->recent.back();
  if (!in_public && !in_author) uweets_.erase(it);
}

bool TimelineCache::add_follow(int64_t follower, int64_t followee) {
  auto* a = mut_user(follower);
  auto* b = mut_user(followee);
  if (!a || !b) return false;
  auto pos = std::lower_bound(a->followees.begin(), a->followees.end(), followee);
  if (pos != a->followees.end() && *pos == followee) return true;
  a->followees.insert(pos, followee);
  ++b->followers;
  return true;
}

bool TimelineCache::remove_follow(int64_t follower, int64_t followee) {
  auto* a = mut_user(follower);
  auto* b = mut_user(followee);
  if (!a || !b) return false;
  auto pos = std::lower_bound(a->followees.begin(), a->followees.end(), followee);
  if (pos == a->followees.end() || *pos != followee) return true;
  a->followees.erase(pos);
  if (b->followers > 0) --b->followers;
  return true;
}

const CachedUser* TimelineCache::user(int64_t id) const {
  auto it = users_.find(id);
  return it == users_.end() ? nullptr : &it->second;
}

const CachedUser* TimelineCache::user_by_name(std::string_view name) const {
  if (name.empty() || name.size() > rules::kMaxUsername) return nullptr;
  auto it = by_name_.find(rules::username_key(name));
  return it == by_name_.end() ? nullptr : user(it->second);
}

const Uweet* TimelineCache::uweet(int64_t id) const {
  auto it = uweets_.find(id);
  return it == uweets_.end() ? nullptr : &it->second;
}

bool TimelineCache::follows(int64_t follower, int64_t followee) const {
  const auto* a = user(follower);
  return a && std::binary_search(a->followees.begin(), a->followees.end(), followee);
}

void TimelineCache::put_session(const std::string& token_hash, int64_t user_id, int64_t expires_at_s) {
  sessions_[token_hash] = Session{user_id, expires_at_s};
  sessions_by_user_[user_id].insert(token_hash);
}

void TimelineCache::erase_session(std::unordered_map<std::string, Session>::iterator it) {
  if (auto u = sessions_by_user_.find(it->second.user_id); u != sessions_by_user_.end()) {
    u->second.erase(it->first);
    if (u->second.empty()) sessions_by_user_.erase(u);
  }
  sessions_.erase(it);
}

void TimelineCache::drop_user_sessions(int64_t user_id, const std::string& keep_hash) {
  auto u = sessions_by_user_.find(user_id);
  if (u == sessions_by_user_.end()) return;
  std::vector<std::string> hashes(u->second.begin(), u->second.end());
  for (const auto& h : hashes)
    if (h != keep_hash)
      if (auto it = sessions_.find(h); it != sessions_.end()) erase_session(it);
}

std::optional<int64_t> TimelineCache::session(const std::string& token_hash, int64_t now_s) {
  auto it = sessions_.find(token_hash);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires_at_s <= now_s) {
    erase_session(it);
    return std::nullopt;
  }
  return it->second.user_id;
}

void TimelineCache::drop_session(const std::string& token_hash) {
  if (auto it = sessions_.find(token_hash); it != sessions_.end()) erase_session(it);
}

std::optional<Page<int64_t>> TimelineCache::merge(const std::vector<Source>& sources,
                                                  std::optional<int64_t> before, int limit) {
  const size_t want = static_cast<size_t>(std::clamp(limit, 1, 100));
  // floor: the largest "oldest cached id" among incomplete lists. Anything
  // uncached is below it, so merged ids >= floor are exact.
  bool any_incomplete = false;
  int64_t floor = std::numeric_limits<int64_t>::min();
  struct Cursor {
    int64_t id;
    uint32_t src;
    uint32_t pos;
  };
  std::vector<Cursor> heap;
  heap.reserve(sources.size());
  for (uint32_t i = 0; i < sources.size(); ++i) {
    const auto& ids = *sources[i].ids;
    if (!sources[i].complete) {
      if (ids.empty()) return std::nullopt;
      any_incomplete = true;
      floor = std::max(floor, ids.back());
    }
    auto it = ids.begin();
    if (before) it = std::partition_point(ids.begin(), ids.end(), [&](int64_t x) { return x >= *before; });
    if (it != ids.end()) heap.push_back({*it, i, static_cast<uint32_t>(it - ids.begin())});
  }
  auto less = [](const Cursor& a, const Cursor& b) { return a.id < b.id; };
  std::make_heap(heap.begin(), heap.end(), less);
  Page<int64_t> out;
  out.items.reserve(want);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), less);
    Cursor c = heap.back();
    heap.pop_back();
    if (out.items.size() == want) {  // another item exists: there is a next page
      out.next_before = out.items.back();
      return out;
    }
    if (any_incomplete && c.id < floor) return std::nullopt;  // would need uncached ids
    out.items.push_back(c.id);
    const auto& ids = *sources[c.src].ids;
    if (c.pos + 1 < ids.size()) {
      heap.push_back({ids[c.pos + 1], c.src, c.pos + 1});
      std::push_heap(heap.begin(), heap.end(), less);
    }
  }
  if (any_incomplete) {
    if (out.items.size() < want) return std::nullopt;
    out.next_before = out.items.back();  // older uweets exist below the floor
  }
  return out;
}

std::optional<Page<Uweet>> TimelineCache::materialise(std::optional<Page<int64_t>> ids) const {
  if (!ids) return std::nullopt;
  Page<Uweet> out;
  out.items.reserve(ids->items.size());
  for (int64_t id : ids->items) {
    const Uweet* u = uweet(id);
    if (!u) return std::nullopt;  // invariant broken: let the database answer
    out.items.push_back(*u);
  }
  out.next_before = ids->next_before;
  return out;
}

std::optional<Page<Uweet>> TimelineCache::home(int64_t viewer_id, std::optional<int64_t> before,
                                               int limit) const {
  const auto* v = user(viewer_id);
  if (!v) return std::nullopt;
  std::vector<Source> sources;
  sources.reserve(v->followees.size() + 1);
  sources.push_back({&v->recent, v->recent_complete});
  for (int64_t f : v->followees)
    if (const auto* a = user(f)) sources.push_back({&a->recent, a->recent_complete});
  return materialise(merge(sources, before, limit));
}

std::optional<Page<Uweet>> TimelineCache::author(int64_t author_id, std::optional<int64_t> before,
                                                 int limit) const {
  const auto* a = user(author_id);
  if (!a) return std::nullopt;
  return materialise(merge({{&a->recent, a->recent_complete}}, before, limit));
}

std::optional<Page<Uweet>> TimelineCache::public_page(std::optional<int64_t> before, int limit) const {
  return materialise(merge({{&public_, public_complete_}}, before, limit));
}

}  // namespace uw::web
