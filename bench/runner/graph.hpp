#pragma once
// uw::bench workload generation: a follow graph with a power-law follower
// distribution, and the uweets to post. Pure and seeded: the same config gives
// the same graph and plan. Thread-safe (no shared state).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uw::bench {

struct GraphConfig {
  uint32_t users = 1000;
  double mean_following = 10;  // mean out-degree (followees per user)
  double zipf_exponent = 1.0;  // popularity of user i is proportional to (i+1)^-s
  uint64_t seed = 1;
};

// Users are 0..users-1; user 0 is the most popular. Edges are (follower,
// followee), no self-follows, no duplicates, sorted.
struct FollowGraph {
  uint32_t users = 0;
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  // followers[v] = the users following v, ascending.
  std::vector<std::vector<uint32_t>> followers() const;
};

// Each user picks max(1, round(U * 2 * mean)) followees, U uniform in (0,1],
// by popularity (Zipf weights), so in-degrees follow a power law: a few users
// have many followers, most have few.
FollowGraph make_power_law_graph(const GraphConfig& cfg);

struct PlannedUweet {
  uint32_t author = 0;
  std::optional<uint32_t> mention;  // a user named with @ in the text (never the author)
  std::string text;
};

struct WorkloadConfig {
  uint32_t uweets = 5000;
  double mention_fraction = 0.1;
  uint64_t seed = 1;
  int point = 0;  // part of the text so uweets of different sweep points differ
};

// Authors uniform over users; `username(i)` names user i in mentions.
std::vector<PlannedUweet> plan_uweets(const WorkloadConfig& cfg, uint32_t users,
                                      std::string (*username)(uint32_t));

// The bench's user names: "b" + index in base 10 ("b0", "b999").
std::string bench_username(uint32_t i);

}  // namespace uw::bench
