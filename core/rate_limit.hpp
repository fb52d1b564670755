#pragma once
// uw::RateLimit — token buckets by key (the web app: a user id for posting, a
// client address for sign-ups; the notifier: a peer address for bad tickets): each key may spend `burst`
// tokens at once and earns `rate_per_s` back per second. Memory only, no database write per check: a check is
// a hash look-up and a little arithmetic. A restart forgets the buckets (at worst one more burst per key);
// the web app's login throttling, which must survive a restart, is web/service/auth's Throttle.
//
// Memory is bounded: past kMaxKeys keys, buckets that have refilled completely
// (which are the same as absent ones) are dropped; if every one is still
// spending, the oldest-refilled half goes.
// Threading: loop thread only.
#include <cstdint>
#include <string>
#include <unordered_map>

namespace uw {

class RateLimit {
 public:
  static constexpr size_t kMaxKeys = 100'000;
  // rate_per_s <= 0 turns the limit off (take() always allows).
  RateLimit(double rate_per_s, int burst);
  // Spends one token of key at now_ms. 0 = allowed (spent); otherwise the
  // whole seconds (>= 1) until a token is there, and nothing is spent.
  int64_t take(const std::string& key, int64_t now_ms);
  // Whether key has a whole token at now_ms, spending nothing: for work that is
  // charged only when it turns out bad (a failed signature check).
  bool available(const std::string& key, int64_t now_ms) const;
  bool enabled() const { return rate_per_s_ > 0; }
  size_t size() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_ms = 0;  // when tokens was computed
  };
  double refill(const Bucket& b, int64_t now_ms) const;
  void prune(int64_t now_ms);
  double rate_per_s_;
  double burst_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace uw
