#pragma once
// uw::web::views::UweetFragments — rendered uweets kept by id. A uweet never
// changes once committed, so its HTML can be reused on every page that lists
// it (rendered again when its author's display name changed); only its age ("3m") depends on the time, so an
// entry is the markup before the age and the markup after it (views::uweet_parts).
//
// Bounded: past `capacity` entries the oldest inserted are dropped (FIFO; a
// timeline reader mostly asks for recent uweets, which were inserted last).
//
// Threading: loop thread only (the pages' owner); not thread-safe.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "core/store/store.hpp"
#include "web/http/html.hpp"

namespace uw::web::views {

// One rendered uweet: head + age text + tail, then views closes the <li>
// (after what only the author sees: the delete link).
struct UweetParts {
  std::string head;
  std::string tail;
  // Rendered with a Mentions, and then whether some @name was no user (left
  // as text) at users_version: such an entry is rendered again once a user
  // has been added. One with any @ (has_at) is rendered again once a user has
  // been deleted (removed_version), so a deleted user's @name stops linking.
  std::string display;  // the author's display name it was rendered with
  bool checked = false;
  bool unlinked = false;
  bool has_at = false;
  uint64_t users_version = 0;
  uint64_t removed_version = 0;
};

// Which @names in uweets are users (their mentions become links).
struct Mentions {
  html::UserExists exists;
  uint64_t version = 0;          // changes whenever a user is added (Service::users_version)
  uint64_t removed_version = 0;  // changes whenever a user is deleted (Service::users_removed_version)
};

// The markup of a uweet around its age (views.cpp). Without mentions every
// @name is a link.
UweetParts uweet_parts(const Uweet& u, const Mentions* mentions = nullptr);

class UweetFragments {
 public:
  static constexpr size_t kDefaultCapacity = 20000;  // --html-cache's default
  explicit UweetFragments(size_t capacity = kDefaultCapacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  // The parts of u, rendered now or earlier. The reference stays valid until
  // the next call.
  const UweetParts& get(const Uweet& u, const Mentions* mentions = nullptr);
  size_t size() const { return map_.size(); }
  uint64_t hits() const { return hits_; }

 private:
  size_t capacity_;
  std::unordered_map<int64_t, UweetParts> map_;
  std::deque<int64_t> order_;  // insertion order, oldest first
  uint64_t hits_ = 0;
};

}  // namespace uw::web::views
