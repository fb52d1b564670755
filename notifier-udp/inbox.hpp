#pragma once
// uw::notifier::Inboxes — a bounded ring of recent notifications per user
// (--inbox N). Memory: a position and a shared pointer per entry plus one small
// ring per user who has ever been notified; notes are shared with every other
// recipient. Used for /inbox and for Last-Event-ID catch-up on reconnect.
//
// Positions: push() gives each entry the next number of that user's own
// sequence, so a user's positions follow the order in which notifications were
// delivered to them (which is not the order their notes were made in: a mention
// can overtake the fan-out of an earlier uweet). The SSE id is the position,
// so `Last-Event-ID: N` names exactly what the browser has seen, and after(N)
// is exactly what it has not. Every user's sequence starts at `first_pos` (the
// daemon passes the clock in microseconds at start), so positions also keep
// increasing across restarts.
// Threading: loop thread only.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "notifier-udp/note.hpp"

namespace uw::notifier {

struct InboxEntry {
  uint64_t pos = 0;  // the user's own delivery position: the SSE id
  std::shared_ptr<const Note> note;
};

class Inboxes {
 public:
  explicit Inboxes(size_t per_user, uint64_t first_pos = 1);
  // Stores n for user_id; returns its position (the SSE id that user sees).
  uint64_t push(int64_t user_id, const std::shared_ptr<const Note>& n);
  // Newest first (delivery order), at most limit.
  std::vector<InboxEntry> recent(int64_t user_id, size_t limit) const;
  // Oldest first, every entry with pos > after_pos (catch-up; 0 = every entry).
  std::vector<InboxEntry> after(int64_t user_id, uint64_t after_pos) const;
  // Whether user_id's ring holds a note of `kind` for uweet_id (a short scan of
  // at most capacity() entries).
  bool holds(int64_t user_id, NoteKind kind, int64_t uweet_id) const;
  size_t users() const { return users_; }
  size_t entries() const { return entries_; }
  // Approximate bytes held by rings and their entries (notes counted separately).
  size_t bytes() const;
  size_t capacity() const { return cap_; }

 private:
  struct Ring {
    std::vector<InboxEntry> items;  // grows to cap, then wraps
    size_t head = 0;                // next slot to overwrite once full
    uint64_t last_pos = 0;          // the position given last
  };
  const Ring* find(int64_t user_id) const;
  size_t cap_;
  uint64_t first_pos_;
  size_t entries_ = 0;
  size_t slots_ = 0;  // sum of ring capacities
  size_t users_ = 0;
  // Sharded so that growing to a million users never rehashes them all in one
  // go: each shard rehashes only its 1/256, and the shards' load factors are
  // staggered (0.5..1.0) so they do not all cross a threshold in the same turn
  // (a fan-out walks ids in order, touching every shard each turn).
  static constexpr size_t kShards = 256;
  std::vector<std::unordered_map<int64_t, Ring>> shards_{kShards};
  static size_t shard_of(int64_t user) {
    return static_cast<size_t>((static_cast<uint64_t>(user) * 0x9E3779B97F4A7C15ull) >> 56);
  }
  std::unordered_map<int64_t, Ring>& shard(int64_t user) { return shards_[shard_of(user)]; }
  const std::unordered_map<int64_t, Ring>& shard(int64_t user) const { return shards_[shard_of(user)]; }
};

}  // namespace uw::notifier
