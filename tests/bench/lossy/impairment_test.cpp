// tests for bench/lossy/impairment.cpp: the seeded impairment model.
#include "bench/lossy/impairment.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bench/runner/stats.hpp"

namespace uw::lossy {
namespace {

constexpr double kConfidence = 0.999;

uint64_t count_where(const ImpairmentConfig& cfg, int n, bool (*pred)(const Decision&)) {
  Impairment m(cfg);
  uint64_t c = 0;
  for (int i = 0; i < n; ++i) c += pred(m.decide(300)) ? 1 : 0;
  return c;
}

TEST(Impairment, IndependentDropRateLiesInBinomialInterval) {
  const int n = 100'000;
  for (double p : {0.0, 0.01, 0.05, 0.10, 0.20, 0.50, 1.0}) {
    for (uint64_t seed : {1ull, 42ull, 0xdeadbeefull}) {
      ImpairmentConfig cfg;
      cfg.seed = seed;
      cfg.drop = p;
      const uint64_t dropped = count_where(cfg, n, [](const Decision& d) { return d.drop_independent; });
      const auto iv = bench::binomial_acceptance(n, p, kConfidence);
      EXPECT_TRUE(iv.contains(static_cast<double>(dropped)))
          << "p=" << p << " seed=" << seed << " dropped=" << dropped << " interval=[" << iv.lo << "," << iv.hi
          << "]";
    }
  }
}

TEST(Impairment, DuplicateReorderCorruptRatesLieInBinomialInterval) {
  const int n = 50'000;
  struct Row {
    const char* name;
    double ImpairmentConfig::*field;
    bool (*pred)(const Decision&);
  };
  const Row rows[] = {
      {"duplicate", &ImpairmentConfig::duplicate, [](const Decision& d) { return d.duplicate; }},
      {"reorder", &ImpairmentConfig::reorder, [](const Decision& d) { return d.reorder; }},
      {"corrupt", &ImpairmentConfig::corrupt, [](const Decision& d) { return d.corrupt; }},
  };
  for (const auto& row : rows) {
    for (double p : {0.01, 0.1, 0.3}) {
      ImpairmentConfig cfg;
      cfg.seed = 7;
      cfg.*row.field = p;
      const uint64_t hits = count_where(cfg, n, row.pred);
      const auto iv = bench::binomial_acceptance(n, p, kConfidence);
      EXPECT_TRUE(iv.contains(static_cast<double>(hits))) << row.name << " p=" << p << " hits=" << hits;
    }
  }
}

TEST(Impairment, GilbertElliottTransitionsFollowDocumentedFormulas) {
  auto ge = GilbertElliott::from_loss(0.1, 4.0);
  ASSERT_TRUE(ge);
  EXPECT_DOUBLE_EQ(ge->p_bad_to_good, 0.25);
  EXPECT_DOUBLE_EQ(ge->p_good_to_bad, 0.1 * 0.25 / 0.9);
  EXPECT_NEAR(ge->stationary_loss(), 0.1, 1e-12);
  EXPECT_NEAR(ge->all_lost_consecutive(2), 0.1 * 0.75, 1e-12);
}

TEST(Impairment, GilbertElliottRejectsInfeasibleParameters) {
  struct Row {
    double pi, len;
    bool ok;
  };
  const Row rows[] = {{0.1, 1.0, true},   {0.5, 1.0, true},      {0.51, 1.0, false}, {0.8, 4.0, true},
                      {0.81, 4.0, false}, {0.1, 0.5, false},     {1.0, 10.0, false}, {-0.1, 2.0, false},
                      {NAN, 2.0, false},  {0.1, INFINITY, false}};
  for (const auto& r : rows)
    EXPECT_EQ(GilbertElliott::from_loss(r.pi, r.len).has_value(), r.ok) << r.pi << " " << r.len;
}

TEST(Impairment, GilbertElliottLossRateAndBurstLengthLieInIntervals) {
  const int n = 200'000;
  const double z = bench::normal_z(kConfidence);
  for (auto [pi, len] : {std::pair{0.05, 2.0}, {0.1, 4.0}, {0.2, 8.0}}) {
    ImpairmentConfig cfg;
    cfg.seed = 99;
    cfg.burst_loss = pi;
    cfg.burst_len = len;
    Impairment m(cfg);
    uint64_t lost = 0, bursts = 0, run = 0;
    std::vector<uint64_t> runs;
    for (int i = 0; i < n; ++i) {
      const bool l = m.decide(100).drop_burst;
      lost += l;
      if (l)
        ++run;
      else if (run) {
        runs.push_back(run);
        run = 0;
      }
    }
    bursts = runs.size();
    ASSERT_GT(bursts, 100u);
    // Burst lengths are geometric with mean L and variance (1-r)/r^2, r = 1/L.
    const double r = 1 / len;
    const double sd_mean = std::sqrt((1 - r) / (r * r) / static_cast<double>(bursts));
    EXPECT_NEAR(bench::mean(runs), len, z * sd_mean) << "pi=" << pi << " len=" << len;
    // The loss fraction of a two-state chain: variance pi(1-pi)/n inflated by
    // (1+lambda)/(1-lambda), lambda = 1 - p - r (the chain's second eigenvalue).
    auto ge = *GilbertElliott::from_loss(pi, len);
    const double lambda = 1 - ge.p_good_to_bad - ge.p_bad_to_good;
    const double sd_frac = std::sqrt(pi * (1 - pi) / n * (1 + lambda) / (1 - lambda));
    EXPECT_NEAR(static_cast<double>(lost) / n, pi, z * sd_frac) << "pi=" << pi << " len=" << len;
  }
}

TEST(Impairment, SameSeedSameInputGivesSameDecisions) {
  ImpairmentConfig cfg;
  cfg.seed = 12345;
  cfg.drop = 0.1;
  cfg.burst_loss = 0.05;
  cfg.burst_len = 3;
  cfg.duplicate = 0.1;
  cfg.reorder = 0.1;
  cfg.reorder_delay_ms = 5;
  cfg.corrupt = 0.1;
  cfg.delay_ms = 1;
  cfg.jitter_ms = 2;
  Impairment a(cfg), b(cfg);
  cfg.seed = 12346;
  Impairment c(cfg);
  int differ = 0;
  for (int i = 0; i < 10'000; ++i) {
    const size_t len = 50 + static_cast<size_t>(i % 900);
    const Decision x = a.decide(len), y = b.decide(len), w = c.decide(len);
    ASSERT_EQ(x.actions(), y.actions()) << i;
    ASSERT_EQ(x.delay_us, y.delay_us) << i;
    differ += (x.actions() != w.actions() || x.delay_us != w.delay_us);
  }
  EXPECT_GT(differ, 1000) << "another seed should give other decisions";
}

TEST(Impairment, OneImpairmentDoesNotShiftAnother) {
  // Streams are independent: turning drop on must not change duplicates.
  ImpairmentConfig base;
  base.seed = 5;
  base.duplicate = 0.2;
  ImpairmentConfig more = base;
  more.drop = 0.3;
  more.corrupt = 0.3;
  Impairment a(base), b(more);
  for (int i = 0; i < 5'000; ++i) ASSERT_EQ(a.decide(200).duplicate, b.decide(200).duplicate) << i;
}

TEST(Impairment, CorruptionFlipsExactlyOneBitInsideTheDatagram) {
  ImpairmentConfig cfg;
  cfg.seed = 3;
  cfg.corrupt = 1.0;
  Impairment m(cfg);
  std::vector<uint64_t> bit_hist(8);
  for (size_t len : {1u, 2u, 7u, 64u, 1200u}) {
    for (int i = 0; i < 2'000; ++i) {
      std::vector<uint8_t> orig(len);
      for (size_t j = 0; j < len; ++j) orig[j] = static_cast<uint8_t>(j * 31 + i);
      auto bytes = orig;
      const Decision d = m.decide(len);
      ASSERT_TRUE(d.corrupt);
      ASSERT_LT(d.corrupt_byte, len);
      Impairment::apply_corruption(d, bytes.data(), bytes.size());
      int flipped = 0;
      for (size_t j = 0; j < len; ++j) flipped += __builtin_popcount(orig[j] ^ bytes[j]);
      ASSERT_EQ(flipped, 1) << "len=" << len;
      ++bit_hist[d.corrupt_bit];
    }
  }
  for (uint64_t c : bit_hist) EXPECT_GT(c, 1000u) << "every bit position is used";
}

TEST(Impairment, EmptyDatagramIsNeverCorrupted) {
  ImpairmentConfig cfg;
  cfg.corrupt = 1.0;
  Impairment m(cfg);
  EXPECT_FALSE(m.decide(0).corrupt);
}

TEST(Impairment, DelayIsFixedPlusJitterPlusReorderHold) {
  ImpairmentConfig cfg;
  cfg.seed = 8;
  cfg.delay_ms = 2;
  cfg.jitter_ms = 3;
  cfg.reorder = 0.5;
  cfg.reorder_delay_ms = 10;
  Impairment m(cfg);
  for (int i = 0; i < 5'000; ++i) {
    const Decision d = m.decide(100);
    const uint64_t base = d.reorder ? 12'000 : 2'000;
    EXPECT_GE(d.delay_us, base);
    EXPECT_LE(d.delay_us, base + 3'000);
  }
}

TEST(Impairment, ValidateNamesTheBadParameter) {
  struct Row {
    void (*set)(ImpairmentConfig&);
    const char* needle;
  };
  const Row rows[] = {
      {[](ImpairmentConfig& c) { c.drop = 1.5; }, "--drop"},
      {[](ImpairmentConfig& c) { c.duplicate = -0.1; }, "--duplicate"},
      {[](ImpairmentConfig& c) { c.corrupt = NAN; }, "--corrupt"},
      {[](ImpairmentConfig& c) {
         c.burst_loss = 0.9;
         c.burst_len = 2;
       },
       "--burst-loss"},
      {[](ImpairmentConfig& c) { c.jitter_ms = -1; }, "--jitter-ms"},
  };
  EXPECT_TRUE(ImpairmentConfig{}.validate().ok());
  for (const auto& r : rows) {
    ImpairmentConfig c;
    r.set(c);
    auto v = c.validate();
    ASSERT_FALSE(v) << r.needle;
    EXPECT_NE(v.error().message.find(r.needle), std::string::npos) << v.error().message;
  }
}

}  // namespace
}  // namespace uw::lossy
