#include "web/http/fragments.hpp"

namespace uw::web::views {

const UweetParts& UweetFragments::get(const Uweet& u) {
  if (auto it = map_.find(u.id); it != map_.end()) {
    ++hits_;
    return it->second;
  }
  while (map_.size() >= capacity_ && !order_.empty()) {
    map_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(u.id);
  return map_.emplace(u.id, uweet_parts(u)).first->second;
}

}  // namespace uw::web::views
