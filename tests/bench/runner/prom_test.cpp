// bench/runner/prom.cpp: reading the notifier's /metrics counters.
#include "bench/runner/prom.hpp"

#include <gtest/gtest.h>

#include <string>

namespace uw::bench {
namespace {

TEST(Prom, ParsesNotifierCountersAndRejectReasons) {
  const std::string text =
      "# HELP uwitter_notifier_received_total x\n# TYPE uwitter_notifier_received_total counter\n"
      "uwitter_notifier_received_total 1200\nuwitter_notifier_verified_total 1e+03\n"
      "uwitter_notifier_rejected_total{reason=\"bad_signature\"} 17\n"
      "uwitter_notifier_rejected_total{reason=\"duplicate\"} 150\n"
      "uwitter_notifier_rejected_total{reason=\"stale\"} 2 1700000000\n"
      "uwitter_notifier_duplicates_total 150\nuwitter_notifier_lost_total 33\ngarbage line\nnovalue\n";
  const auto c = notifier_counts(parse_prometheus(text));
  EXPECT_EQ(c.received, 1200u);
  EXPECT_EQ(c.verified, 1000u);
  EXPECT_EQ(c.duplicates, 150u);
  EXPECT_EQ(c.lost, 33u);
  EXPECT_EQ(c.rejected.at("bad_signature"), 17u);
  EXPECT_EQ(c.rejected_total(false), 19u);
  EXPECT_EQ(c.rejected_total(true), 169u);
  NotifierCounts before;
  before.verified = 400;
  before.rejected["bad_signature"] = 7;
  const auto d = c - before;
  EXPECT_EQ(d.verified, 600u);
  EXPECT_EQ(d.rejected.at("bad_signature"), 10u);
}

// A corrupted copy the notifier shed before its verify (a flipped session id
// looks like a new-session claim) was refused all the same.
TEST(Prom, ShedDatagramsCountAsRejections) {
  const std::string text =
      "uwitter_notifier_rejected_total{reason=\"bad_signature\"} 17\n"
      "uwitter_notifier_shed_total{reason=\"new_session_source_rate\"} 3\n"
      "uwitter_notifier_shed_total{reason=\"queue_full\"} 0\n";
  const auto c = notifier_counts(parse_prometheus(text));
  EXPECT_EQ(c.rejected.at("shed_new_session_source_rate"), 3u);
  EXPECT_EQ(c.rejected.at("bad_signature"), 17u);
  EXPECT_EQ(c.rejected_total(false), 20u);
}

}  // namespace
}  // namespace uw::bench
