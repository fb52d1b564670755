#include "notifier-udp/inbox.hpp"

namespace uw::notifier {

void Inboxes::push(int64_t user_id, const std::shared_ptr<const Note>& n) {
  Ring& r = rings_[user_id];
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
  auto it = rings_.find(user_id);
  if (it == rings_.end()) return out;
  const Ring& r = it->second;
  size_t n = r.items.size();
  // Newest is just before head (when full) or at the back (when growing).
  size_t newest = r.items.size() < cap_ ? n - 1 : (r.head + n - 1) % n;
  for (size_t i = 0; i < n && out.size() < limit; ++i) out.push_back(r.items[(newest + n - i) % n]);
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
  return rings_.size() * per_user + rings_.bucket_count() * sizeof(void*) +
         slots_ * sizeof(std::shared_ptr<const Note>);
}

}  // namespace uw::notifier
