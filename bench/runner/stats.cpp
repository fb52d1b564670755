#include "bench/runner/stats.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "bench/lossy/impairment.hpp"

namespace uw::bench {

double normal_z(double confidence) {
  // Solve erfc(z / sqrt 2) = 1 - confidence by bisection: slow but exact enough
  // (1e-12) and with no table to get wrong.
  const double target = 1.0 - confidence;
  double lo = 0, hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    if (std::erfc(mid / std::sqrt(2.0)) > target)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

Interval wilson_interval(uint64_t successes, uint64_t n, double confidence) {
  if (n == 0) return {0, 1};
  const double z = normal_z(confidence), nn = static_cast<double>(n);
  const double ph = static_cast<double>(successes) / nn;
  const double denom = 1 + z * z / nn;
  const double centre = (ph + z * z / (2 * nn)) / denom;
  const double half = z / denom * std::sqrt(ph * (1 - ph) / nn + z * z / (4 * nn * nn));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

namespace {

double log_pmf(uint64_t k, uint64_t n, double p) {
  const double kk = static_cast<double>(k), nn = static_cast<double>(n);
  return std::lgamma(nn + 1) - std::lgamma(kk + 1) - std::lgamma(nn - kk + 1) + kk * std::log(p) +
         (nn - kk) * std::log1p(-p);
}

}  // namespace

double binomial_cdf(uint64_t x, uint64_t n, double p) {
  if (x >= n) return 1.0;
  if (p <= 0) return 1.0;
  if (p >= 1) return 0.0;
  // O(x) lgamma calls: fine for the datagram counts of a bench run (<= ~1e6).
  double sum = 0;
  for (uint64_t k = 0; k <= x; ++k) sum += std::exp(log_pmf(k, n, p));
  return std::min(1.0, sum);
}

Interval clopper_pearson_interval(uint64_t successes, uint64_t n, double confidence) {
  if (n == 0) return {0, 1};
  const double a = (1 - confidence) / 2;
  Interval out{0, 1};
  // lo: the p with P(X >= s | p) = a; hi: the p with P(X <= s | p) = a. Both monotone in p.
  if (successes > 0) {
    double l = 0, h = 1;
    for (int i = 0; i < 60; ++i) {
      double mid = (l + h) / 2;
      double upper_tail = 1 - binomial_cdf(successes - 1, n, mid);
      if (upper_tail < a)
        l = mid;
      else
        h = mid;
    }
    out.lo = l;
  }
  if (successes < n) {
    double l = 0, h = 1;
    for (int i = 0; i < 60; ++i) {
      double mid = (l + h) / 2;
      if (binomial_cdf(successes, n, mid) > a)
        l = mid;
      else
        h = mid;
    }
    out.hi = h;
  }
  return out;
}

Interval binomial_acceptance(uint64_t n, double p, double confidence) {
  if (p <= 0) return {0, 0};
  if (p >= 1) return {static_cast<double>(n), static_cast<double>(n)};
  const double a = (1 - confidence) / 2;
  // Walk the pmf once, accumulating the CDF.
  double cdf = 0;
  uint64_t lo = 0, hi = n;
  bool have_lo = false;
  for (uint64_t k = 0; k <= n; ++k) {
    cdf += std::exp(log_pmf(k, n, p));
    if (!have_lo && cdf > a) {  // P(X < k) <= a, P(X < k+1) > a
      lo = k;
      have_lo = true;
    }
    if (1 - cdf <= a) {  // P(X > k) <= a: the smallest such k is hi
      hi = k;
      break;
    }
  }
  return {static_cast<double>(lo), static_cast<double>(hi)};
}

std::vector<uint64_t> simulate_ge_delivered(std::span<const uint32_t> groups, double loss_rate,
                                            double mean_burst_len, double independent_drop, int trials,
                                            uint64_t seed) {
  uint32_t ngroups = 0;
  for (uint32_t g : groups) ngroups = std::max(ngroups, g + 1);
  std::vector<uint64_t> out;
  out.reserve(static_cast<size_t>(std::max(trials, 0)));
  auto ge = lossy::GilbertElliott::from_loss(loss_rate, mean_burst_len);
  std::vector<uint8_t> got(ngroups);
  lossy::Rng rng(seed);
  for (int t = 0; t < trials; ++t) {
    std::fill(got.begin(), got.end(), 0);
    bool bad = false, started = false;
    uint64_t delivered = 0;
    for (uint32_t g : groups) {
      bool lost = false;
      if (ge && loss_rate > 0) {
        const double u = rng.uniform();
        bad = !started ? u < ge->stationary_loss() : (bad ? !(u < ge->p_bad_to_good) : u < ge->p_good_to_bad);
        started = true;
        lost = bad;
      }
      if (independent_drop > 0 && rng.uniform() < independent_drop) lost = true;
      if (!lost && !got[g]) {
        got[g] = 1;
        ++delivered;
      }
    }
    out.push_back(delivered);
  }
  return out;
}

Interval quantile_interval(std::vector<uint64_t> samples, double confidence) {
  if (samples.empty()) return {0, 0};
  std::sort(samples.begin(), samples.end());
  const double a = (1 - confidence) / 2;
  const size_t n = samples.size();
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::floor(q * static_cast<double>(n - 1) + 0.5));
    return static_cast<double>(samples[std::min(i, n - 1)]);
  };
  return {at(a), at(1 - a)};
}

Interval moment_interval(std::span<const uint64_t> samples, double confidence) {
  if (samples.size() < 2) return {0, 0};
  const double m = mean(samples);
  double ss = 0;
  for (uint64_t x : samples) ss += (static_cast<double>(x) - m) * (static_cast<double>(x) - m);
  const double sd = std::sqrt(ss / static_cast<double>(samples.size() - 1));
  const double z = normal_z(confidence);
  return {m - z * sd, m + z * sd};
}

double mean(std::span<const uint64_t> samples) {
  if (samples.empty()) return 0;
  double s = 0;
  for (uint64_t x : samples) s += static_cast<double>(x);
  return s / static_cast<double>(samples.size());
}

}  // namespace uw::bench
