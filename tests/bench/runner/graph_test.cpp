// bench/runner/graph.cpp: the power-law follow graph and the planned uweets.
#include "bench/runner/graph.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "bench/runner/stats.hpp"

namespace uw::bench {
namespace {

TEST(Graph, PowerLawGraphHasNoSelfOrRepeatedEdgesAndIsSeeded) {
  GraphConfig cfg;
  cfg.users = 1000;
  cfg.seed = 4;
  const FollowGraph a = make_power_law_graph(cfg), b = make_power_law_graph(cfg);
  EXPECT_EQ(a.edges, b.edges);
  std::set<std::pair<uint32_t, uint32_t>> uniq(a.edges.begin(), a.edges.end());
  EXPECT_EQ(uniq.size(), a.edges.size());
  for (auto [f, t] : a.edges) {
    EXPECT_NE(f, t);
    EXPECT_LT(f, cfg.users);
    EXPECT_LT(t, cfg.users);
  }
  // Mean out-degree near the configured 10 (uniform 1..20 -> ~10).
  EXPECT_NEAR(static_cast<double>(a.edges.size()) / cfg.users, 10.0, 1.0);
  cfg.seed = 5;
  EXPECT_NE(make_power_law_graph(cfg).edges, a.edges);
}

TEST(Graph, FewUsersHoldManyFollowers) {
  GraphConfig cfg;
  cfg.users = 1000;
  const auto followers = make_power_law_graph(cfg).followers();
  std::vector<size_t> deg;
  for (const auto& f : followers) deg.push_back(f.size());
  std::sort(deg.rbegin(), deg.rend());
  size_t total = 0, top10 = 0;
  for (size_t i = 0; i < deg.size(); ++i) (i < 10 ? top10 : total) += deg[i];
  total += top10;
  // Zipf(1) over 1000: the top 1% of users hold about 39% of the follow picks.
  EXPECT_GT(static_cast<double>(top10) / static_cast<double>(total), 0.25);
  EXPECT_GT(deg[0], 400u);
  EXPECT_LT(deg[500], 10u) << "the median user has few followers";
}

TEST(Graph, PlannedUweetsMentionOthersNeverTheAuthor) {
  WorkloadConfig w;
  w.uweets = 2000;
  w.mention_fraction = 0.25;
  auto plan = plan_uweets(w, 50, bench_username);
  ASSERT_EQ(plan.size(), 2000u);
  size_t mentions = 0;
  for (const auto& p : plan) {
    EXPECT_LT(p.author, 50u);
    if (p.mention) {
      ++mentions;
      EXPECT_NE(*p.mention, p.author);
      EXPECT_NE(p.text.find("@" + bench_username(*p.mention)), std::string::npos);
    }
    EXPECT_LE(p.text.size(), 141u);
  }
  const auto iv = binomial_acceptance(2000, 0.25, 0.999);
  EXPECT_TRUE(iv.contains(static_cast<double>(mentions))) << mentions;
}

}  // namespace
}  // namespace uw::bench
