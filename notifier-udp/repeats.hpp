#pragma once
// uw::notifier::Repeats — what keeps one uweet or one follow from notifying a
// person twice (docs/NOTIFIER.md "One notification per thing").
//
// * A follower who is also mentioned in a uweet gets the mention only. The web
//   app sends the post and its mentions in the same datagram, and every event
//   is registered here (note_mention) when it enters Delivery, before any
//   recipient is served, so the uweet's fan-out can skip the mentioned ones
//   (mentioned()) whichever of the two jobs finishes first. A mention that
//   arrives after the uweet was already delivered to that user is dropped
//   instead (Delivery asks the inbox): one notification per uweet wins over
//   the more specific kind when the datagrams came apart.
// * "X followed you" is sent at most once per (follower, followee) within
//   `follow_window_ms` (--follow-repeat-s): unfollowing and following again
//   does not notify again.
// Both records are bounded: entries older than their window go first, and at
// most `max_entries` of each kind are kept (the oldest are forgotten early).
// Threading: loop thread only.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace uw::notifier {

class Repeats {
 public:
  struct Options {
    uint64_t mention_window_ms = 60'000;    // how long a mention shadows its uweet's fan-out
    uint64_t follow_window_ms = 3'600'000;  // 0 = every follow notifies
    size_t max_entries = 262'144;           // per record
  };
  explicit Repeats(Options o) : o_(o) {}
  // A mention of `user` in `uweet` entered delivery at now_ms.
  void note_mention(int64_t uweet, int64_t user, uint64_t now_ms);
  // The users mentioned in `uweet` (nullptr if none): a fan-out looks this up
  // once per chunk, not once per follower.
  const std::vector<int64_t>* mentioned(int64_t uweet) const;
  // True if this follow should notify (and records it); false for a repeat
  // within the window.
  bool first_follow(int64_t follower, int64_t followee, uint64_t now_ms);

 private:
  void expire(uint64_t now_ms);
  struct Pair {
    int64_t a, b;
    bool operator==(const Pair&) const = default;
  };
  struct PairHash {
    size_t operator()(const Pair& p) const {
      return static_cast<size_t>(static_cast<uint64_t>(p.a) * 0x9E3779B97F4A7C15ull ^
                                 static_cast<uint64_t>(p.b));
    }
  };
  struct Stamp {
    uint64_t ms;
    Pair key;
  };
  Options o_;
  std::unordered_map<int64_t, std::vector<int64_t>> mentions_;  // uweet -> mentioned users
  std::deque<Stamp> mention_order_;                             // (ms, {uweet, user}) oldest first
  std::unordered_map<Pair, uint64_t, PairHash> follows_;        // (follower, followee) -> ms
  std::deque<Stamp> follow_order_;
};

}  // namespace uw::notifier
