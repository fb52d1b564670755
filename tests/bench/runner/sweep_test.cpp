// bench/runner/sweep.cpp: which points a sweep measures, and what the models
// predict for each.
#include "bench/runner/sweep.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

namespace uw::bench {
namespace {

TEST(Sweep, EveryRateTimesEveryCopyCountBackToBackAndSpaced) {
  SweepConfig cfg;
  cfg.drop_rates = {0, 0.1};
  cfg.bursts = {{0.05, 4}};
  cfg.duplicate_rates = {0.2};
  cfg.corrupt_rates = {};
  cfg.copies = {1, 2};
  cfg.seed = 100;
  auto pts = make_sweep(cfg);
  // Per rate: k=1 once, k=2 back to back and spaced = 3 points; 4 rates.
  ASSERT_EQ(pts.size(), 12u);
  EXPECT_EQ(pts[0].sweep, "drop");
  EXPECT_EQ(pts[0].injected, 0);
  EXPECT_EQ(pts[0].copies, 1);
  EXPECT_FALSE(pts[0].spaced);
  EXPECT_EQ(pts[1].copies, 2);
  EXPECT_FALSE(pts[1].spaced);
  EXPECT_EQ(pts[2].copies, 2);
  EXPECT_TRUE(pts[2].spaced);
  EXPECT_DOUBLE_EQ(pts[3].impairment.drop, 0.1);
  EXPECT_EQ(pts[6].sweep, "burst");
  EXPECT_DOUBLE_EQ(pts[6].impairment.burst_loss, 0.05);
  EXPECT_DOUBLE_EQ(pts[6].impairment.burst_len, 4);
  EXPECT_DOUBLE_EQ(pts[6].injected, 0.05);
  EXPECT_EQ(pts[9].sweep, "duplicate");
  EXPECT_DOUBLE_EQ(pts[9].impairment.duplicate, 0.2);
  // Each point's relay has a seed of its own: seed + index.
  for (size_t i = 0; i < pts.size(); ++i) EXPECT_EQ(pts[i].impairment.seed, 100 + i);
}

TEST(Sweep, WithoutSpacedCopiesEachCopyCountOnce) {
  SweepConfig cfg;
  cfg.drop_rates = {0.05};
  cfg.bursts = {};
  cfg.duplicate_rates = {};
  cfg.corrupt_rates = {0.1};
  cfg.copies = {1, 2, 3};
  cfg.spaced_too = false;
  auto pts = make_sweep(cfg);
  ASSERT_EQ(pts.size(), 6u);
  for (const auto& p : pts) EXPECT_FALSE(p.spaced);
  EXPECT_EQ(pts[5].sweep, "corrupt");
  EXPECT_EQ(pts[5].copies, 3);
  EXPECT_DOUBLE_EQ(pts[5].impairment.corrupt, 0.1);
}

SweepPoint point(const std::string& sweep, int copies) {
  SweepPoint p;
  p.sweep = sweep;
  p.copies = copies;
  return p;
}

TEST(Sweep, DropAndCorruptPredictOneMinusPToTheK) {
  DatagramTruth truth;
  truth.logical = 10'000;
  auto drop = point("drop", 2);
  drop.impairment.drop = 0.2;
  auto pr = predict(drop, truth, 0.999, 0, 1);
  EXPECT_NEAR(pr.ratio, 1 - 0.2 * 0.2, 1e-12);
  EXPECT_TRUE(pr.count.contains(9600));
  EXPECT_FALSE(pr.count.contains(9000));
  EXPECT_LT(pr.count.hi, 10'000);

  auto corrupt = point("corrupt", 1);
  corrupt.impairment.corrupt = 0.1;
  corrupt.impairment.drop = 0.5;  // not what a corrupt point sweeps
  EXPECT_NEAR(predict(corrupt, truth, 0.999, 0, 1).ratio, 0.9, 1e-12);
}

TEST(Sweep, DuplicatesLoseNothing) {
  DatagramTruth truth;
  truth.logical = 500;
  auto dup = point("duplicate", 1);
  dup.impairment.duplicate = 0.5;
  auto pr = predict(dup, truth, 0.999, 0, 1);
  EXPECT_DOUBLE_EQ(pr.ratio, 1);
  EXPECT_TRUE(pr.count.contains(500));
  EXPECT_FALSE(pr.count.contains(499));
}

TEST(Sweep, BurstsAreSimulatedWithinTheLogicalCount) {
  DatagramTruth truth;
  truth.logical = 200;
  truth.arrival_groups.resize(200);
  std::iota(truth.arrival_groups.begin(), truth.arrival_groups.end(), 0u);
  auto burst = point("burst", 1);
  burst.impairment.burst_loss = 0.2;
  burst.impairment.burst_len = 4;
  auto pr = predict(burst, truth, 0.99, 2000, 7);
  // A long-run loss of 20%: the mean accepted ratio is near 0.8.
  EXPECT_NEAR(pr.ratio, 0.8, 0.05);
  EXPECT_GE(pr.count.lo, 0);
  EXPECT_LE(pr.count.hi, 200);
  EXPECT_TRUE(pr.count.contains(160));
  EXPECT_LT(pr.count.lo, pr.count.hi);
  // The same seed gives the same prediction.
  auto again = predict(burst, truth, 0.99, 2000, 7);
  EXPECT_DOUBLE_EQ(again.ratio, pr.ratio);
  EXPECT_DOUBLE_EQ(again.count.lo, pr.count.lo);
}

}  // namespace
}  // namespace uw::bench
