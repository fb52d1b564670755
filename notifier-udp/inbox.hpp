#pragma once
// uw::notifier::Inboxes — a bounded ring of recent notifications per user
// (--inbox N). Memory: a shared pointer per entry plus one small ring per user
// who has ever been notified; notes are shared with every other recipient.
// Used for /inbox and for Last-Event-ID catch-up on reconnect.
// Threading: loop thread only.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "notifier-udp/note.hpp"

namespace uw::notifier {

class Inboxes {
 public:
  explicit Inboxes(size_t per_user) : cap_(per_user < 1 ? 1 : per_user) {}
  void push(int64_t user_id, const std::shared_ptr<const Note>& n);
  // Newest first, at most limit.
  std::vector<std::shared_ptr<const Note>> recent(int64_t user_id, size_t limit) const;
  // Oldest first, every entry with id > after_id (catch-up).
  std::vector<std::shared_ptr<const Note>> after(int64_t user_id, uint64_t after_id) const;
  size_t users() const { return users_; }
  size_t entries() const { return entries_; }
  // Approximate bytes held by rings and their entries (notes counted separately).
  size_t bytes() const;
  size_t capacity() const { return cap_; }

 private:
  struct Ring {
    std::vector<std::shared_ptr<const Note>> items;  // grows to cap, then wraps
    size_t head = 0;                                 // next slot to overwrite once full
  };
  size_t cap_;
  size_t entries_ = 0;
  size_t slots_ = 0;  // sum of ring capacities
  size_t users_ = 0;
  // Sharded by user id so that growing to a million users rehashes 1/256 of
  // them at a time: no single insert stalls the loop for tens of milliseconds.
  static constexpr size_t kShards = 256;
  std::vector<std::unordered_map<int64_t, Ring>> shards_{kShards};
  std::unordered_map<int64_t, Ring>& shard(int64_t user) { return shards_[static_cast<uint64_t>(user) % kShards]; }
  const std::unordered_map<int64_t, Ring>& shard(int64_t user) const {
    return shards_[static_cast<uint64_t>(user) % kShards];
  }
};

}  // namespace uw::notifier
