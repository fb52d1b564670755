// bench/runner/accounting.cpp: what the truth file and the SSE receipts add up to.
#include "bench/runner/accounting.hpp"

#include <gtest/gtest.h>

#include <string>

namespace uw::bench {
namespace {

lossy::TruthRecord rec(uint64_t index, uint64_t seq, const char* actions, const char* events) {
  auto r =
      lossy::parse_truth(std::to_string(index) + " 100 " + std::string(15, '0') + std::to_string(seq % 10) +
                         " " + actions + " 0 ab " + std::to_string(seq) + " " + events);
  EXPECT_TRUE(r);
  return *r;
}

TEST(Accounting, TruthGivesLogicalDeliveredDuplicatesAndGapLoss) {
  // seq 1: two copies, one dropped. seq 2: both copies dropped. seq 3: one corrupted, one intact+dup.
  // seq 4: only copy corrupted (above the highest delivered: invisible to the notifier).
  std::vector<lossy::TruthRecord> recs = {rec(0, 1, "drop", "p10"),        rec(1, 1, "pass", "p10"),
                                          rec(2, 2, "drop", "p11,m11:5"),  rec(3, 2, "burst", "p11,m11:5"),
                                          rec(4, 3, "corrupt@3.1", "p12"), rec(5, 3, "dup", "p12"),
                                          rec(6, 4, "corrupt@0.0", "p13")};
  const DatagramTruth t = account_truth(recs);
  EXPECT_EQ(t.sent, 7u);
  EXPECT_EQ(t.logical, 4u);
  EXPECT_EQ(t.delivered, 2u);
  EXPECT_EQ(t.corrupted_copies, 2u);
  EXPECT_EQ(t.intact_copies, 3u);
  EXPECT_EQ(t.expected_duplicates, 1u);  // seq 3's second intact copy
  EXPECT_EQ(t.expected_lost_gap, 1u);    // seq 2 (below 3); seq 4 is above the highest delivered
  EXPECT_EQ(t.arrival_groups, (std::vector<uint32_t>{0, 0, 1, 1, 2, 2, 3}));
  EXPECT_TRUE(t.event_delivered.at("p10"));
  EXPECT_FALSE(t.event_delivered.at("m11:5"));
  EXPECT_TRUE(t.event_delivered.at("p12"));
  EXPECT_FALSE(t.event_delivered.at("p13"));
}

TEST(Accounting, NotificationsCountArrivalsDuplicatesAndUndelivered) {
  std::map<NoteKey, double> expected = {
      {{1, 'u', 10}, 100.0}, {{2, 'u', 10}, 100.0}, {{5, 'm', 11}, 200.0}, {{3, 'u', 13}, 300.0}};
  std::map<std::string, bool> delivered = {{"p10", true}, {"m11:5", false}, {"p13", false}};
  std::vector<Receipt> got = {{{1, 'u', 10}, 110.0},
                              {{2, 'u', 10}, 130.0},
                              {{2, 'u', 10}, 140.0},
                              {{5, 'm', 11}, 250.0},
                              {{9, 'u', 99}, 1.0}};
  auto s = account_notifications(expected, got, delivered);
  EXPECT_EQ(s.expected, 4u);
  EXPECT_EQ(s.arrived, 3u);
  EXPECT_EQ(s.duplicates, 1u);
  EXPECT_EQ(s.unexpected, 1u);
  EXPECT_EQ(s.from_undelivered, 1u);  // the mention whose datagrams were all lost
  EXPECT_EQ(s.expected_deliverable, 2u);
  EXPECT_DOUBLE_EQ(s.p50_ms, 30.0);
  EXPECT_DOUBLE_EQ(s.max_ms, 50.0);
}

}  // namespace
}  // namespace uw::bench
