#include "notifier-udp/inbox.hpp"

#include <algorithm>

namespace uw::notifier {

Inboxes::Inboxes(size_t per_user) : cap_(per_user < 1 ? 1 : per_user) {
  for (size_t i = 0; i < kShards; ++i)
    shards_[i].max_load_factor(0.5f + 0.5f * static_cast<float>(i) / static_cast<float>(kShards));
}

void Inboxes::push(int64_t user_id, const std::shared_ptr<const Note>& n) {
  auto& sh = shard(user_id);
  auto [it, inserted] = sh.try_emplace(user_id);
  if (inserted) ++users_;
  Ring& r = it->second;
  if (r.items.size() < cap_) {
    size_t before = r.items.capacity();
    r.items.push_back(n);
    slots_ += r.items.capacity() - before;
    ++entries_;
    return;
  }
  r.items[r.head] = n;
  r.head = (r.head + 1) % cap_;
}

std::vector<std::shared_ptr<const Note>> Inboxes::recent(int64_t user_id, size_t limit) const {
  std::vector<std::shared_ptr<const Note>> out;
  const auto& sh = shard(user_id);
  auto it = sh.find(user_id);
  if (it == sh.end()) return out;
  const Ring& r = it->second;
  size_t n = r.items.size();
  // Newest is just before head (when full) or at the back (when growing).
  size_t newest = r.items.size() < cap_ ? n - 1 : (r.head + n - 1) % n;
  for (size_t i = 0; i < n; ++i) out.push_back(r.items[(newest + n - i) % n]);
  // Delivery order can differ from id order (one-recipient notes skip the
  // fan-out worker): present by id, which is what Last-Event-ID counts in.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->id > b->id; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<std::shared_ptr<const Note>> Inboxes::after(int64_t user_id, uint64_t after_id) const {
  auto all = recent(user_id, cap_);
  std::vector<std::shared_ptr<const Note>> out;
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if ((*it)->id > after_id) out.push_back(*it);
  return out;
}

size_t Inboxes::bytes() const {
  // Node of the hash map (key, ring, next pointer, cached hash) plus buckets.
  size_t per_user = sizeof(int64_t) + sizeof(Ring) + 2 * sizeof(void*);
  size_t buckets = 0;
  for (const auto& sh : shards_) buckets += sh.bucket_count();
  return users_ * per_user + buckets * sizeof(void*) + slots_ * sizeof(std::shared_ptr<const Note>);
}

}  // namespace uw::notifier
