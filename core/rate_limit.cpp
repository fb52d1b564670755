#include "core/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace uw {

RateLimit::RateLimit(double rate_per_s, int burst)
    : rate_per_s_(rate_per_s), burst_(static_cast<double>(std::max(1, burst))) {}

double RateLimit::refill(const Bucket& b, int64_t now_ms) const {
  const double dt = static_cast<double>(std::max<int64_t>(0, now_ms - b.at_ms)) / 1000.0;
  return std::min(burst_, b.tokens + dt * rate_per_s_);
}

int64_t RateLimit::take(const std::string& key, int64_t now_ms) {
  if (!enabled()) return 0;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxKeys) prune(now_ms);
    it = buckets_.emplace(key, Bucket{burst_, now_ms}).first;
  }
  Bucket& b = it->second;
  b.tokens = refill(b, now_ms);
  b.at_ms = now_ms;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  const double wait_s = (1.0 - b.tokens) / rate_per_s_;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_s)));
}

bool RateLimit::available(const std::string& key, int64_t now_ms) const {
  if (!enabled()) return true;
  auto it = buckets_.find(key);
  return it == buckets_.end() || refill(it->second, now_ms) >= 1.0;
}

void RateLimit::prune(int64_t now_ms) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (refill(it->second, now_ms) >= burst_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  if (buckets_.size() < kMaxKeys / 2) return;
  // Everyone is spending (a flood of keys): keep the half nearest to empty,
  // the ones that are being limited.
  std::vector<double> levels;
  levels.reserve(buckets_.size());
  for (const auto& [k, b] : buckets_) levels.push_back(refill(b, now_ms));
  auto mid = levels.begin() + static_cast<std::ptrdiff_t>(levels.size() / 2);
  std::nth_element(levels.begin(), mid, levels.end());
  const double cut = *mid;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (refill(it->second, now_ms) >= cut) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace uw
