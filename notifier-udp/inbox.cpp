#include "notifier-udp/inbox.hpp"

namespace uw::notifier {

Inboxes::Inboxes(size_t per_user, uint64_t first_pos)
    : cap_(per_user < 1 ? 1 : per_user), first_pos_(first_pos < 1 ? 1 : first_pos) {
  for (size_t i = 0; i < kShards; ++i)
    shards_[i].max_load_factor(0.5f + 0.5f * static_cast<float>(i) / static_cast<float>(kShards));
}

uint64_t Inboxes::push(int64_t user_id, const std::shared_ptr<const Note>& n) {
  auto& sh = shard(user_id);
  auto [it, inserted] = sh.try_emplace(user_id);
  Ring& r = it->second;
  if (inserted) {
    ++users_;
    r.last_pos = first_pos_ - 1;
  }
  uint64_t pos = ++r.last_pos;
  if (r.items.size() < cap_) {
    size_t before = r.items.capacity();
    r.items.push_back(InboxEntry{pos, n});
    slots_ += r.items.capacity() - before;
    ++entries_;
    return pos;
  }
  r.items[r.head] = InboxEntry{pos, n};
  r.head = (r.head + 1) % cap_;
  return pos;
}

const Inboxes::Ring* Inboxes::find(int64_t user_id) const {
  const auto& sh = shard(user_id);
  auto it = sh.find(user_id);
  return it == sh.end() ? nullptr : &it->second;
}

std::vector<InboxEntry> Inboxes::recent(int64_t user_id, size_t limit) const {
  std::vector<InboxEntry> out;
  const Ring* r = find(user_id);
  if (r == nullptr) return out;
  size_t n = r->items.size();
  // Newest is just before head (when full) or at the back (when growing); the
  // ring is in delivery order, which is position order.
  size_t newest = n < cap_ ? n - 1 : (r->head + n - 1) % n;
  size_t take = n < limit ? n : limit;
  out.reserve(take);
  for (size_t i = 0; i < take; ++i) out.push_back(r->items[(newest + n - i) % n]);
  return out;
}

std::vector<InboxEntry> Inboxes::after(int64_t user_id, uint64_t after_pos) const {
  auto all = recent(user_id, cap_);
  std::vector<InboxEntry> out;
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if (it->pos > after_pos) out.push_back(*it);
  return out;
}

bool Inboxes::holds(int64_t user_id, NoteKind kind, int64_t uweet_id) const {
  const Ring* r = find(user_id);
  if (r == nullptr) return false;
  for (const auto& e : r->items)
    if (e.note->kind == kind && e.note->uweet_id == uweet_id) return true;
  return false;
}

size_t Inboxes::bytes() const {
  // Node of the hash map (key, ring, next pointer, cached hash) plus buckets.
  size_t per_user = sizeof(int64_t) + sizeof(Ring) + 2 * sizeof(void*);
  size_t buckets = 0;
  for (const auto& sh : shards_) buckets += sh.bucket_count();
  return users_ * per_user + buckets * sizeof(void*) + slots_ * sizeof(InboxEntry);
}

}  // namespace uw::notifier
