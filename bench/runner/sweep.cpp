#include "bench/runner/sweep.hpp"

#include <algorithm>
#include <cmath>

namespace uw::bench {

std::vector<SweepPoint> make_sweep(const SweepConfig& cfg) {
  std::vector<SweepPoint> out;
  auto add = [&](const std::string& sweep, double injected, lossy::ImpairmentConfig imp) {
    for (int k : cfg.copies) {
      for (int spaced = 0; spaced < ((k > 1 && cfg.spaced_too) ? 2 : 1); ++spaced) {
        SweepPoint p;
        p.sweep = sweep;
        p.injected = injected;
        p.impairment = imp;
        p.impairment.seed = cfg.seed + out.size();
        p.copies = k;
        p.spaced = spaced == 1;
        out.push_back(p);
      }
    }
  };
  for (double d : cfg.drop_rates) {
    lossy::ImpairmentConfig imp;
    imp.drop = d;
    add("drop", d, imp);
  }
  for (auto [loss, len] : cfg.bursts) {
    lossy::ImpairmentConfig imp;
    imp.burst_loss = loss;
    imp.burst_len = len;
    add("burst", loss, imp);
  }
  for (double d : cfg.duplicate_rates) {
    lossy::ImpairmentConfig imp;
    imp.duplicate = d;
    add("duplicate", d, imp);
  }
  for (double c : cfg.corrupt_rates) {
    lossy::ImpairmentConfig imp;
    imp.corrupt = c;
    add("corrupt", c, imp);
  }
  return out;
}

Prediction predict(const SweepPoint& p, const DatagramTruth& truth, double confidence, int ge_trials,
                   uint64_t seed) {
  Prediction pr;
  const uint64_t n = truth.logical;
  if (p.sweep == "burst") {
    auto samples = simulate_ge_delivered(truth.arrival_groups, p.impairment.burst_loss,
                                         p.impairment.burst_len, p.impairment.drop, ge_trials, seed);
    pr.ratio = n ? mean(samples) / static_cast<double>(n) : 1;
    // Empirical quantiles: with few expected losses the count is skewed (a
    // long tail of extra losses), where mean ± z·sd would be too narrow.
    pr.count = quantile_interval(std::move(samples), confidence);
    pr.count.lo = std::max(0.0, pr.count.lo);
    pr.count.hi = std::min(static_cast<double>(n), pr.count.hi);
    return pr;
  }
  double lose_copy = 0;
  if (p.sweep == "drop" || p.sweep == "baseline") lose_copy = p.impairment.drop;
  if (p.sweep == "corrupt") lose_copy = p.impairment.corrupt;
  pr.ratio = 1 - std::pow(lose_copy, p.copies);
  pr.count = binomial_acceptance(n, pr.ratio, confidence);
  return pr;
}

}  // namespace uw::bench
