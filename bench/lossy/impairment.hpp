#pragma once
// uw::lossy::Impairment — the pure, seeded impairment model of uwitter-lossy.
// No I/O and no clocks: given the same configuration and the same sequence of
// datagram lengths (arrival order), it makes exactly the same decisions. The
// relay (relay.hpp) applies the decisions to real datagrams.
//
// Every impairment draws from its own PRNG stream, derived from the seed, and
// draws the same number of values for every datagram; so changing the drop
// rate does not change which datagrams get duplicated, and a run can be
// repeated exactly. Not thread-safe: one instance belongs to one thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace uw::lossy {

// xoshiro256** seeded through splitmix64. Small, fast, and with a stable
// output sequence across platforms and standard libraries (unlike the
// std:: distributions), which is what repeatable runs need.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform integer in [0, n); n > 0. One draw (multiply-shift); the bias is
  // below n / 2^64, far under anything a test could see.
  uint64_t below(uint64_t n);
  // True with probability p (p <= 0: never, p >= 1: always); always draws once.
  bool chance(double p) { return uniform() < p; }

 private:
  uint64_t s_[4];
};

// Gilbert–Elliott (Gilbert form: the Bad state loses every datagram, the Good
// state none). Parametrised by the stationary loss rate pi and the mean burst
// length L (mean run of consecutive losses), the transition probabilities are
//   r = P(Bad -> Good) = 1 / L
//   p = P(Good -> Bad) = pi * r / (1 - pi)
// because the stationary probability of Bad is p / (p + r) and runs in Bad are
// geometric with mean 1 / r. Feasible iff L >= 1 and p <= 1, i.e. pi <= L/(L+1).
struct GilbertElliott {
  double p_good_to_bad = 0;
  double p_bad_to_good = 1;
  // Returns nullopt if (pi, L) is infeasible (see above) or out of range.
  static std::optional<GilbertElliott> from_loss(double pi, double mean_burst_len);
  double stationary_loss() const;
  // Probability that k consecutive datagrams are all lost, in steady state:
  // pi * (1 - r)^(k-1). This is the model curve for k back-to-back copies.
  double all_lost_consecutive(int k) const;
};

struct ImpairmentConfig {
  uint64_t seed = 1;
  double drop = 0;              // independent drop probability
  double burst_loss = 0;        // Gilbert–Elliott stationary loss rate (0 = off)
  double burst_len = 1;         // Gilbert–Elliott mean burst length, datagrams (>= 1)
  double duplicate = 0;         // probability of sending one extra identical copy
  double reorder = 0;           // probability of holding a datagram back
  double reorder_delay_ms = 0;  // how long a reordered datagram is held
  double corrupt = 0;           // probability of flipping one bit
  double delay_ms = 0;          // fixed delay added to every datagram
  double jitter_ms = 0;         // plus a uniform [0, jitter) delay per datagram

  // An Error (status 2, "bad_config") whose message names the bad parameter.
  Result<Unit> validate() const;
};

// What the model decided for one datagram.
struct Decision {
  uint64_t index = 0;  // arrival order, from 0
  bool drop_independent = false;
  bool drop_burst = false;  // Gilbert–Elliott Bad state
  bool duplicate = false;   // one extra copy (sent right after the first)
  bool reorder = false;     // held back by reorder_delay_ms
  bool corrupt = false;     // bit `corrupt_bit` of byte `corrupt_byte` flipped
  uint32_t corrupt_byte = 0;
  uint8_t corrupt_bit = 0;
  uint64_t delay_us = 0;  // total hold before sending: delay + jitter (+ reorder)

  bool dropped() const { return drop_independent || drop_burst; }
  // Copies that leave the relay: 0 when dropped, else 1 or 2.
  int copies_out() const { return dropped() ? 0 : (duplicate ? 2 : 1); }
  // Compact list of actions: "pass", or e.g. "drop", "burst", "dup,corrupt@12.3".
  std::string actions() const;
};

class Impairment {
 public:
  // cfg must be valid (cfg.validate().ok()).
  explicit Impairment(const ImpairmentConfig& cfg);
  // Decides the fate of the next datagram, `length` bytes long.
  Decision decide(size_t length);
  // Applies d's corruption (if any) to the bytes; no-op when !d.corrupt.
  static void apply_corruption(const Decision& d, uint8_t* bytes, size_t length);
  const ImpairmentConfig& config() const { return cfg_; }

 private:
  ImpairmentConfig cfg_;
  std::optional<GilbertElliott> ge_;
  bool ge_bad_ = false;
  bool ge_started_ = false;
  uint64_t next_index_ = 0;
  Rng drop_rng_, burst_rng_, dup_rng_, reorder_rng_, corrupt_rng_, delay_rng_;
};

}  // namespace uw::lossy
