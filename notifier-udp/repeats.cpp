#include "notifier-udp/repeats.hpp"

#include <algorithm>

namespace uw::notifier {

void Repeats::expire(uint64_t now_ms) {
  while (!mention_order_.empty() && (mention_order_.front().ms + o_.mention_window_ms <= now_ms ||
                                     mention_order_.size() > o_.max_entries)) {
    const Pair k = mention_order_.front().key;
    mention_order_.pop_front();
    auto it = mentions_.find(k.a);
    if (it == mentions_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), k.b), v.end());
    if (v.empty()) mentions_.erase(it);
  }
  while (!follow_order_.empty() && (follow_order_.front().ms + o_.follow_window_ms <= now_ms ||
                                    follow_order_.size() > o_.max_entries)) {
    const Stamp s = follow_order_.front();
    follow_order_.pop_front();
    // A newer stamp of the same pair is further back in the queue: keep it.
    auto it = follows_.find(s.key);
    if (it != follows_.end() && it->second == s.ms) follows_.erase(it);
  }
}

void Repeats::note_mention(int64_t uweet, int64_t user, uint64_t now_ms) {
  expire(now_ms);
  auto& v = mentions_[uweet];
  if (std::find(v.begin(), v.end(), user) != v.end()) return;
  v.push_back(user);
  mention_order_.push_back(Stamp{now_ms, Pair{uweet, user}});
}

const std::vector<int64_t>* Repeats::mentioned(int64_t uweet) const {
  auto it = mentions_.find(uweet);
  return it == mentions_.end() ? nullptr : &it->second;
}

bool Repeats::first_follow(int64_t follower, int64_t followee, uint64_t now_ms) {
  if (o_.follow_window_ms == 0) return true;
  expire(now_ms);
  Pair k{follower, followee};
  auto [it, inserted] = follows_.try_emplace(k, now_ms);
  if (!inserted) return false;  // still inside the window (expire() removed older ones)
  follow_order_.push_back(Stamp{now_ms, k});
  return true;
}

}  // namespace uw::notifier
