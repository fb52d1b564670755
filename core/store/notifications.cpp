// Backend-neutral parts of the notification history: cursor text and the merge.
#include "core/store/notifications.hpp"

#include <charconv>
#include <limits>

namespace uw::notes {

std::string key_text(NotificationKey k) { return std::to_string(k.pos) + "." + std::to_string(k.sub); }

namespace {
std::optional<int64_t> whole(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}
}  // namespace

std::optional<NotificationKey> parse_key(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto pos = whole(text.substr(0, dot));
  auto sub = whole(text.substr(dot + 1));
  if (!pos || !sub) return std::nullopt;
  return NotificationKey{*pos, *sub};
}

int64_t uweet_upper_bound(const std::optional<NotificationKey>& before) {
  if (!before) return std::numeric_limits<int64_t>::max();
  if (before->sub > 0 && before->pos < std::numeric_limits<int64_t>::max()) return before->pos + 1;
  return before->pos;
}

NotificationPage merge_page(std::vector<Notification> follows, std::vector<Notification> uweets, int limit) {
  NotificationPage page;
  const auto n = static_cast<size_t>(limit);
  size_t i = 0;
  size_t j = 0;
  while (page.items.size() < n + 1 && (i < follows.size() || j < uweets.size())) {
    const bool take_follow = j >= uweets.size() || (i < follows.size() && uweets[j].key < follows[i].key);
    page.items.push_back(std::move(take_follow ? follows[i++] : uweets[j++]));
  }
  if (page.items.size() > n) {
    page.items.pop_back();
    page.next_before = page.items.back().key;
  }
  return page;
}

}  // namespace uw::notes
