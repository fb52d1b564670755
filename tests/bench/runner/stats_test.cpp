// tests for bench/runner/stats.cpp: intervals and the Gilbert–Elliott simulation.
#include "bench/runner/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "bench/lossy/impairment.hpp"

namespace uw::bench {
namespace {

TEST(Stats, NormalQuantileMatchesTables) {
  struct Row {
    double conf, z;
  };
  for (auto r : {Row{0.90, 1.644854}, Row{0.95, 1.959964}, Row{0.99, 2.575829}, Row{0.999, 3.290527}})
    EXPECT_NEAR(normal_z(r.conf), r.z, 1e-5) << r.conf;
}

TEST(Stats, WilsonAndClopperPearsonMatchReferenceValues) {
  // Rows 1-2 are textbook values (0/20 exact upper = 1 - 0.025^(1/20)); row 3 was computed
  // separately with exact integer binomial sums (Python math.comb).
  struct Row {
    uint64_t x, n;
    double conf, wlo, whi, clo, chi;
  };
  const Row rows[] = {
      {8, 10, 0.95, 0.4901625, 0.9433178, 0.4439045, 0.9747893},
      {0, 20, 0.95, 0.0, 0.1611252, 0.0, 0.1684335},
      {50, 100, 0.99, 0.3752796, 0.6247204, 0.3688614, 0.6311386},
  };
  for (const auto& r : rows) {
    auto w = wilson_interval(r.x, r.n, r.conf);
    auto c = clopper_pearson_interval(r.x, r.n, r.conf);
    EXPECT_NEAR(w.lo, r.wlo, 1e-5) << r.x << "/" << r.n;
    EXPECT_NEAR(w.hi, r.whi, 1e-5) << r.x << "/" << r.n;
    EXPECT_NEAR(c.lo, r.clo, 1e-5) << r.x << "/" << r.n;
    EXPECT_NEAR(c.hi, r.chi, 1e-5) << r.x << "/" << r.n;
  }
}

TEST(Stats, BinomialCdfMatchesSmallCases) {
  EXPECT_NEAR(binomial_cdf(0, 3, 0.5), 0.125, 1e-12);
  EXPECT_NEAR(binomial_cdf(1, 3, 0.5), 0.5, 1e-12);
  EXPECT_NEAR(binomial_cdf(2, 4, 0.25), 0.94921875, 1e-12);
  EXPECT_EQ(binomial_cdf(5, 5, 0.3), 1.0);
}

TEST(Stats, BinomialAcceptanceIsTheTightestCentralRegion) {
  struct Row {
    uint64_t n;
    double p;
  };
  for (auto r : {Row{100, 0.8}, Row{10'000, 0.8}, Row{5'000, 0.99}, Row{2'000, 0.5}, Row{15'000, 0.999}}) {
    const double a = 0.0005;
    auto iv = binomial_acceptance(r.n, r.p, 0.999);
    const auto lo = static_cast<uint64_t>(iv.lo), hi = static_cast<uint64_t>(iv.hi);
    // P(X < lo) <= a < P(X < lo + 1), and P(X > hi) <= a < P(X > hi - 1).
    if (lo > 0) {
      EXPECT_LE(binomial_cdf(lo - 1, r.n, r.p), a + 1e-12) << r.n << " " << r.p;
    }
    EXPECT_GT(binomial_cdf(lo, r.n, r.p), a) << r.n << " " << r.p;
    EXPECT_LE(1 - binomial_cdf(hi, r.n, r.p), a + 1e-12) << r.n << " " << r.p;
    if (hi > 0) {
      EXPECT_GT(1 - binomial_cdf(hi - 1, r.n, r.p), a) << r.n << " " << r.p;
    }
  }
  EXPECT_EQ(binomial_acceptance(100, 0.0, 0.999).hi, 0);
  EXPECT_EQ(binomial_acceptance(100, 1.0, 0.999).lo, 100);
}

TEST(Stats, GilbertElliottSimulationMatchesClosedFormForBackToBackCopies) {
  // G groups of k back-to-back copies: P(group lost) = pi (1 - r)^(k-1).
  const uint32_t g = 5'000;
  for (int k : {1, 2, 3}) {
    std::vector<uint32_t> groups;
    for (uint32_t i = 0; i < g; ++i)
      for (int c = 0; c < k; ++c) groups.push_back(i);
    const double pi = 0.1, len = 4;
    auto samples = simulate_ge_delivered(groups, pi, len, 0.0, 400, 1);
    ASSERT_EQ(samples.size(), 400u);
    const double expect = g * (1 - lossy::GilbertElliott::from_loss(pi, len)->all_lost_consecutive(k));
    // The mean of 400 trials has a standard error of sd/20; 4 standard errors.
    const auto iv = moment_interval(samples, 0.999);
    const double sd = (iv.hi - iv.lo) / 2 / normal_z(0.999);
    EXPECT_NEAR(mean(samples), expect, 4 * sd / 20) << "k=" << k;
  }
}

TEST(Stats, SimulationWithIndependentDropMatchesOneMinusPToTheK) {
  const uint32_t g = 4'000;
  for (int k : {1, 2, 3}) {
    std::vector<uint32_t> groups;
    for (int c = 0; c < k; ++c)  // spaced copies: all first copies, then all second ...
      for (uint32_t i = 0; i < g; ++i) groups.push_back(i);
    auto samples = simulate_ge_delivered(groups, 0.0, 1.0, 0.2, 300, 2);
    const double expect = g * (1 - std::pow(0.2, k));
    const double sd = std::sqrt(g * std::pow(0.2, k) * (1 - std::pow(0.2, k)));
    EXPECT_NEAR(mean(samples), expect, 4 * sd / std::sqrt(300.0)) << "k=" << k;
  }
}

TEST(Stats, QuantileAndMomentIntervals) {
  std::vector<uint64_t> s(1001);
  std::iota(s.begin(), s.end(), 0);
  auto q = quantile_interval(s, 0.9);
  EXPECT_EQ(q.lo, 50);
  EXPECT_EQ(q.hi, 950);
  std::vector<uint64_t> two = {10, 20};
  auto m = moment_interval(two, 0.95);
  EXPECT_NEAR(m.lo, 15 - 1.959964 * std::sqrt(50.0), 1e-4);
}

}  // namespace
}  // namespace uw::bench
