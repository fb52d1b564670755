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
  size_t users() const { return rings_.size(); }
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
  std::unordered_map<int64_t, Ring> rings_;
};

}  // namespace uw::notifier
