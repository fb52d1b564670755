#include "web/http/fragments.hpp"

namespace uw::web::views {

const UweetParts& UweetFragments::get(const Uweet& u, const Mentions* mentions) {
  if (auto it = map_.find(u.id); it != map_.end()) {
    UweetParts& p = it->second;
    const bool stale = (mentions && (!p.checked || (p.unlinked && p.users_version != mentions->version) ||
                                     (p.has_at && p.removed_version != mentions->removed_version))) ||
                       p.display != u.author_display;  // the author renamed themselves
    if (!stale) {
      ++hits_;
      return p;
    }
    p = uweet_parts(u, mentions);
    return p;
  }
  while (map_.size() >= capacity_ && !order_.empty()) {
    map_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(u.id);
  return map_.emplace(u.id, uweet_parts(u, mentions)).first->second;
}

}  // namespace uw::web::views
