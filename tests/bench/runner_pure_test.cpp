// tests for bench/runner/{graph,accounting,report,prom}.cpp: the runner's pure parts.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "bench/runner/accounting.hpp"
#include "bench/runner/graph.hpp"
#include "bench/runner/prom.hpp"
#include "bench/runner/report.hpp"

namespace uw::bench {
namespace {

TEST(Graph, PowerLawGraphHasNoSelfOrRepeatedEdgesAndIsSeeded) {
  GraphConfig cfg;
  cfg.users = 1000;
  cfg.seed = 4;
  const FollowGraph a = make_power_law_graph(cfg), b = make_power_law_graph(cfg);
  EXPECT_EQ(a.edges, b.edges);
  std::set<std::pair<uint32_t, uint32_t>> uniq(a.edges.begin(), a.edges.end());
  EXPECT_EQ(uniq.size(), a.edges.size());
  for (auto [f, t] : a.edges) {
    EXPECT_NE(f, t);
    EXPECT_LT(f, cfg.users);
    EXPECT_LT(t, cfg.users);
  }
  // Mean out-degree near the configured 10 (uniform 1..20 -> ~10).
  EXPECT_NEAR(static_cast<double>(a.edges.size()) / cfg.users, 10.0, 1.0);
  cfg.seed = 5;
  EXPECT_NE(make_power_law_graph(cfg).edges, a.edges);
}

TEST(Graph, FewUsersHoldManyFollowers) {
  GraphConfig cfg;
  cfg.users = 1000;
  const auto followers = make_power_law_graph(cfg).followers();
  std::vector<size_t> deg;
  for (const auto& f : followers) deg.push_back(f.size());
  std::sort(deg.rbegin(), deg.rend());
  size_t total = 0, top10 = 0;
  for (size_t i = 0; i < deg.size(); ++i) (i < 10 ? top10 : total) += deg[i];
  total += top10;
  // Zipf(1) over 1000: the top 1% of users hold about 39% of the follow picks.
  EXPECT_GT(static_cast<double>(top10) / static_cast<double>(total), 0.25);
  EXPECT_GT(deg[0], 400u);
  EXPECT_LT(deg[500], 10u) << "the median user has few followers";
}

TEST(Graph, PlannedUweetsMentionOthersNeverTheAuthor) {
  WorkloadConfig w;
  w.uweets = 2000;
  w.mention_fraction = 0.25;
  auto plan = plan_uweets(w, 50, bench_username);
  ASSERT_EQ(plan.size(), 2000u);
  size_t mentions = 0;
  for (const auto& p : plan) {
    EXPECT_LT(p.author, 50u);
    if (p.mention) {
      ++mentions;
      EXPECT_NE(*p.mention, p.author);
      EXPECT_NE(p.text.find("@" + bench_username(*p.mention)), std::string::npos);
    }
    EXPECT_LE(p.text.size(), 141u);
  }
  const auto iv = binomial_acceptance(2000, 0.25, 0.999);
  EXPECT_TRUE(iv.contains(static_cast<double>(mentions))) << mentions;
}

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

TEST(Report, JsonCsvAndTableCarryEveryPoint) {
  PointResult a;
  a.sweep = "drop";
  a.injected = 0.2;
  a.copies = 2;
  a.spaced = true;
  a.sent = 2000;
  a.logical = 1000;
  a.accepted = 960;
  a.within = true;
  a.lost_gap = 40;
  a.expected_lost_gap = 38;
  PointResult b = a;
  b.sweep = "burst";
  b.burst_len = 4;
  b.error = "web app did not start";
  const std::vector<PointResult> pts = {a, b};
  auto j = nlohmann::json::parse(to_json(pts));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["label"], "drop 20% k=2 spaced");
  EXPECT_EQ(j[0]["datagrams"]["accepted"], 960);
  EXPECT_EQ(j[1]["error"], "web app did not start");
  const std::string csv = to_csv(pts);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  const std::string header = csv.substr(0, csv.find('\n'));
  const std::string row =
      csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n') - 1);
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), std::count(row.begin(), row.end(), ','));
  const std::string table = render_table(pts);
  EXPECT_NE(table.find("drop 20% k=2 spaced"), std::string::npos);
  EXPECT_NE(table.find("ERROR: web app did not start"), std::string::npos);
  EXPECT_TRUE(a.lost_agrees());
  a.lost_gap = 70;
  EXPECT_FALSE(a.lost_agrees());
  EXPECT_NE(gnuplot_script("points.csv").find("'points.csv'"), std::string::npos);
}

}  // namespace
}  // namespace uw::bench
