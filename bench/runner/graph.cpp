#include "bench/runner/graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "bench/lossy/impairment.hpp"

namespace uw::bench {

std::vector<std::vector<uint32_t>> FollowGraph::followers() const {
  std::vector<std::vector<uint32_t>> out(users);
  for (auto [from, to] : edges) out[to].push_back(from);
  for (auto& v : out) std::sort(v.begin(), v.end());
  return out;
}

FollowGraph make_power_law_graph(const GraphConfig& cfg) {
  FollowGraph g;
  g.users = cfg.users;
  if (cfg.users < 2) return g;
  std::vector<double> cdf(cfg.users);
  double sum = 0;
  for (uint32_t i = 0; i < cfg.users; ++i) {
    sum += std::pow(static_cast<double>(i + 1), -cfg.zipf_exponent);
    cdf[i] = sum;
  }
  lossy::Rng rng(cfg.seed);
  std::set<uint32_t> picked;
  for (uint32_t u = 0; u < cfg.users; ++u) {
    const double want_d = std::round((1.0 - rng.uniform()) * 2 * cfg.mean_following);
    const uint32_t want = static_cast<uint32_t>(std::clamp(want_d, 1.0, static_cast<double>(cfg.users - 1)));
    picked.clear();
    // Rejection of self and repeats; bounded so a tiny graph cannot spin.
    for (uint32_t tries = 0; picked.size() < want && tries < want * 50; ++tries) {
      const double x = rng.uniform() * sum;
      const uint32_t v = static_cast<uint32_t>(std::upper_bound(cdf.begin(), cdf.end(), x) - cdf.begin());
      if (v >= cfg.users || v == u) continue;
      picked.insert(v);
    }
    for (uint32_t v : picked) g.edges.emplace_back(u, v);
  }
  return g;
}

std::string bench_username(uint32_t i) { return fmt::format("b{}", i); }

std::vector<PlannedUweet> plan_uweets(const WorkloadConfig& cfg, uint32_t users,
                                      std::string (*username)(uint32_t)) {
  std::vector<PlannedUweet> out;
  if (users == 0) return out;
  out.reserve(cfg.uweets);
  lossy::Rng rng(cfg.seed ^ (0x5bd1e995ull * static_cast<uint64_t>(cfg.point + 1)));
  for (uint32_t i = 0; i < cfg.uweets; ++i) {
    PlannedUweet p;
    p.author = static_cast<uint32_t>(rng.below(users));
    const bool mention = users > 1 && rng.uniform() < cfg.mention_fraction;
    const uint32_t other = static_cast<uint32_t>(rng.below(users - (users > 1 ? 1 : 0)));
    if (mention) p.mention = other >= p.author ? other + 1 : other;
    p.text = fmt::format("bench point {} uweet {}", cfg.point, i);
    if (p.mention) p.text += fmt::format(" hello @{}", username(*p.mention));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace uw::bench
