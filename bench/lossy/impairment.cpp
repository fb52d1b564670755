#include "bench/lossy/impairment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace uw::lossy {

namespace {

uint64_t splitmix64(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Each impairment has its own stream so that the decisions of one do not
// depend on whether another is switched on.
enum Stream : uint64_t { kDrop = 1, kBurst, kDup, kReorder, kCorrupt, kDelay };
uint64_t stream_seed(uint64_t seed, Stream s) {
  uint64_t x = seed ^ (0xa0761d6478bd642full * static_cast<uint64_t>(s));
  return splitmix64(&x);
}

bool is_probability(double p) { return std::isfinite(p) && p >= 0.0 && p <= 1.0; }

// Status 2: the exit code of a program started with a bad configuration.
Error bad_config(std::string message) { return Error{2, "bad_config", std::move(message)}; }

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& w : s_) w = splitmix64(&x);
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t Rng::below(uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
}

std::optional<GilbertElliott> GilbertElliott::from_loss(double pi, double mean_burst_len) {
  if (!std::isfinite(pi) || !std::isfinite(mean_burst_len)) return std::nullopt;
  if (pi < 0.0 || pi >= 1.0 || mean_burst_len < 1.0) return std::nullopt;
  GilbertElliott ge;
  ge.p_bad_to_good = 1.0 / mean_burst_len;
  ge.p_good_to_bad = pi * ge.p_bad_to_good / (1.0 - pi);
  if (ge.p_good_to_bad > 1.0 + 1e-12) return std::nullopt;  // tolerance for pi == L/(L+1) rounding
  ge.p_good_to_bad = std::min(ge.p_good_to_bad, 1.0);
  return ge;
}

double GilbertElliott::stationary_loss() const {
  const double sum = p_good_to_bad + p_bad_to_good;
  return sum > 0 ? p_good_to_bad / sum : 0.0;
}

double GilbertElliott::all_lost_consecutive(int k) const {
  if (k <= 0) return 1.0;
  return stationary_loss() * std::pow(1.0 - p_bad_to_good, k - 1);
}

Result<Unit> ImpairmentConfig::validate() const {
  struct {
    const char* name;
    double v;
  } probs[] = {{"drop", drop},
               {"burst-loss", burst_loss},
               {"duplicate", duplicate},
               {"reorder", reorder},
               {"corrupt", corrupt}};
  for (const auto& p : probs)
    if (!is_probability(p.v)) return bad_config(fmt::format("--{} must be a probability in [0, 1]", p.name));
  if (burst_loss > 0 && !GilbertElliott::from_loss(burst_loss, burst_len))
    return bad_config(
        fmt::format("--burst-loss {} with --burst-len {} is infeasible: need burst-len >= 1, "
                    "burst-loss < 1 and burst-loss <= len/(len+1)",
                    burst_loss, burst_len));
  struct {
    const char* name;
    double v;
  } times[] = {{"reorder-delay-ms", reorder_delay_ms}, {"delay-ms", delay_ms}, {"jitter-ms", jitter_ms}};
  for (const auto& t : times)
    if (!std::isfinite(t.v) || t.v < 0 || t.v > 60'000)
      return bad_config(fmt::format("--{} must be between 0 and 60000", t.name));
  return Unit{};
}

std::string Decision::actions() const {
  std::string out;
  auto add = [&](const std::string& a) { out += (out.empty() ? "" : ",") + a; };
  if (drop_independent) add("drop");
  if (drop_burst) add("burst");
  if (!dropped()) {
    if (corrupt) add(fmt::format("corrupt@{}.{}", corrupt_byte, corrupt_bit));
    if (duplicate) add("dup");
    if (reorder) add("reorder");
  }
  return out.empty() ? "pass" : out;
}

Impairment::Impairment(const ImpairmentConfig& cfg)
    : cfg_(cfg),
      drop_rng_(stream_seed(cfg.seed, kDrop)),
      burst_rng_(stream_seed(cfg.seed, kBurst)),
      dup_rng_(stream_seed(cfg.seed, kDup)),
      reorder_rng_(stream_seed(cfg.seed, kReorder)),
      corrupt_rng_(stream_seed(cfg.seed, kCorrupt)),
      delay_rng_(stream_seed(cfg.seed, kDelay)) {
  if (cfg.burst_loss > 0) ge_ = GilbertElliott::from_loss(cfg.burst_loss, cfg.burst_len);
}

Decision Impairment::decide(size_t length) {
  Decision d;
  d.index = next_index_++;
  d.drop_independent = drop_rng_.chance(cfg_.drop);
  if (ge_) {
    // The chain starts in its stationary distribution, then moves once per datagram.
    const double u = burst_rng_.uniform();
    if (!ge_started_) {
      ge_bad_ = u < ge_->stationary_loss();
      ge_started_ = true;
    } else {
      ge_bad_ = ge_bad_ ? !(u < ge_->p_bad_to_good) : (u < ge_->p_good_to_bad);
    }
    d.drop_burst = ge_bad_;
  }
  d.duplicate = dup_rng_.chance(cfg_.duplicate);
  d.reorder = reorder_rng_.chance(cfg_.reorder);
  const bool corrupt = corrupt_rng_.chance(cfg_.corrupt);
  const uint64_t where = corrupt_rng_.next();  // drawn always: a fixed count per datagram
  if (corrupt && length > 0) {
    const uint64_t bit = static_cast<uint64_t>(
        (static_cast<unsigned __int128>(where) * (static_cast<unsigned __int128>(length) * 8)) >> 64);
    d.corrupt = true;
    d.corrupt_byte = static_cast<uint32_t>(bit / 8);
    d.corrupt_bit = static_cast<uint8_t>(bit % 8);
  }
  const double jitter = delay_rng_.uniform() * cfg_.jitter_ms;
  double delay_ms = cfg_.delay_ms + jitter + (d.reorder ? cfg_.reorder_delay_ms : 0.0);
  d.delay_us = static_cast<uint64_t>(std::llround(delay_ms * 1000.0));
  return d;
}

void Impairment::apply_corruption(const Decision& d, uint8_t* bytes, size_t length) {
  if (!d.corrupt || d.corrupt_byte >= length) return;
  bytes[d.corrupt_byte] ^= static_cast<uint8_t>(1u << d.corrupt_bit);
}

}  // namespace uw::lossy
