#pragma once
// uw::bench sweeps: which points a run measures, and what the models predict
// for each. Pure; thread-safe.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/lossy/impairment.hpp"
#include "bench/runner/accounting.hpp"
#include "bench/runner/stats.hpp"

namespace uw::bench {

struct SweepPoint {
  std::string sweep;    // "baseline", "drop", "burst", "duplicate", "corrupt"
  double injected = 0;  // the swept probability
  lossy::ImpairmentConfig impairment;
  int copies = 1;       // --udp-copies
  bool spaced = false;  // copies spread over the spacing interval
};

struct SweepConfig {
  std::vector<double> drop_rates = {0, 0.01, 0.05, 0.10, 0.20, 0.50};
  std::vector<std::pair<double, double>> bursts = {{0.05, 4}, {0.20, 4}};  // (loss rate, mean burst length)
  std::vector<double> duplicate_rates = {0.2};
  std::vector<double> corrupt_rates = {0.1};
  std::vector<int> copies = {1, 2, 3};
  bool spaced_too = true;  // every k > 1 point also with spaced copies
  uint64_t seed = 1;
};

// Every combination: sweeps x rates x copies x {back to back, spaced}. The
// relay seed differs per point (seed + index) so points are independent.
std::vector<SweepPoint> make_sweep(const SweepConfig& cfg);

// The model's prediction of the ACCEPTED COUNT of logical datagrams:
//   drop p:     each copy lost independently: P(accepted) = 1 - p^k, Binomial(logical, .)
//   corrupt c:  a corrupted copy is always rejected: 1 - c^k, Binomial
//   duplicate:  nothing is lost: exactly `logical`
//   burst:      Gilbert–Elliott simulated `trials` times over the real arrival
//               order of the copies (truth.arrival_groups); the central
//               `confidence` range of the trials (use >= 20,000 trials at 99.9%)
struct Prediction {
  double ratio = 1;  // expected accepted / logical
  Interval count;    // the `confidence` interval of the accepted count
};
Prediction predict(const SweepPoint& p, const DatagramTruth& truth, double confidence, int ge_trials,
                   uint64_t seed);

}  // namespace uw::bench
