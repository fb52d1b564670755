#pragma once
// uw::bench statistics: pure functions, no I/O. Binomial intervals (Wilson,
// Clopper-Pearson, and the central acceptance region of a known p), the normal
// quantile, and the Gilbert–Elliott delivery prediction by simulation.
// Thread-safe (no shared state).
#include <cstdint>
#include <span>
#include <vector>

namespace uw::bench {

// Two-sided standard normal quantile: z such that P(|Z| <= z) = confidence.
double normal_z(double confidence);

struct Interval {
  double lo = 0;
  double hi = 0;
  bool contains(double x) const { return x >= lo && x <= hi; }
};

// Wilson score interval for a proportion with `successes` out of `n` trials.
Interval wilson_interval(uint64_t successes, uint64_t n, double confidence);
// Exact (Clopper–Pearson) interval for a proportion; conservative.
Interval clopper_pearson_interval(uint64_t successes, uint64_t n, double confidence);

// P(X <= x) for X ~ Binomial(n, p), computed exactly by summing the pmf in log space.
double binomial_cdf(uint64_t x, uint64_t n, double p);

// The central acceptance region of Binomial(n, p) at `confidence`: the smallest
// lo and largest hi with P(X < lo) <= a/2 and P(X > hi) <= a/2, a = 1 - confidence.
// "The count lies within the 99.9% binomial interval of p on n" means
// lo <= count <= hi with confidence 0.999. Returned as counts (not proportions).
Interval binomial_acceptance(uint64_t n, double p, double confidence);

// Gilbert–Elliott delivery by simulation. `groups[i]` names the logical
// datagram the i-th arrival at the relay belongs to (copies of one datagram
// share a group; groups are 0..G-1). Each trial runs a fresh Gilbert chain
// (stationary start, loss in Bad only) over the arrivals in order, with an
// optional independent drop on top, and counts the groups with at least one
// arrival not lost. Returns the per-trial delivered-group counts.
std::vector<uint64_t> simulate_ge_delivered(std::span<const uint32_t> groups, double loss_rate,
                                            double mean_burst_len, double independent_drop, int trials,
                                            uint64_t seed);
// The central `confidence` quantile range of samples (sorted copy inside).
Interval quantile_interval(std::vector<uint64_t> samples, double confidence);
// mean ± z·sd of samples: the normal-approximation range, steadier than the
// extreme quantiles of a few thousand trials. This is what the bench uses for
// the Gilbert–Elliott prediction (the delivered count is a sum of many weakly
// dependent terms, so it is close to normal).
Interval moment_interval(std::span<const uint64_t> samples, double confidence);
double mean(std::span<const uint64_t> samples);

}  // namespace uw::bench
