// End-to-end test of uwitter-bench (bench/runner/): a short configuration of
// the real web app -> lossy relay -> notifier -> SSE, with statistically sound
// assertions computed here from the raw counts in points.json.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "bench/runner/stats.hpp"

#if defined(UWITTER_BENCH_BIN) && defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN) && \
    defined(UWITTER_LOSSY_BIN)

namespace uw::bench {
namespace {

using nlohmann::json;

class BenchRunner : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    dir_ = new kit::TempDir();
    result_ = new kit::RunResult(kit::run({UWITTER_BENCH_BIN,
                                           "--quick",
                                           "--users",
                                           "30",
                                           "--uweets",
                                           "300",
                                           "--copies",
                                           "1",
                                           "--no-plot",
                                           "--seed",
                                           "11",
                                           "--out",
                                           dir_->file("out"),
                                           "--work",
                                           dir_->file("work"),
                                           "--web-bin",
                                           UWITTER_WEB_BIN,
                                           "--notifier-bin",
                                           UWITTER_NOTIFIER_BIN,
                                           "--lossy-bin",
                                           UWITTER_LOSSY_BIN},
                                          std::chrono::seconds(280)));
    points_ = new json(json::parse(kit::read_file(dir_->file("out") + "/points.json"), nullptr, false));
  }
  static void TearDownTestSuite() {
    delete points_;
    delete result_;
    delete dir_;
  }
  // The point with this label; fails the test if absent.
  static const json& point(const std::string& label) {
    static const json none;
    if (points_->is_array())
      for (const auto& p : *points_)
        if (p["label"] == label) return p;
    ADD_FAILURE() << "no point " << label << "\n" << result_->out << result_->err;
    return none;
  }
  static uint64_t u(const json& j) { return j.is_number() ? j.get<uint64_t>() : 0; }

  static kit::TempDir* dir_;
  static kit::RunResult* result_;
  static json* points_;
};
kit::TempDir* BenchRunner::dir_ = nullptr;
kit::RunResult* BenchRunner::result_ = nullptr;
json* BenchRunner::points_ = nullptr;

void CheckRunsEveryPointAndWritesJsonAndCsv() {
  using B = BenchRunner;
  ASSERT_TRUE(B::points_->is_array()) << B::result_->out << B::result_->err;
  EXPECT_EQ(B::points_->size(), 5u);  // drop 0, drop 20, burst, duplicate, corrupt (k=1)
  for (const auto& p : *B::points_) EXPECT_FALSE(p.contains("error")) << p.dump();
  std::ifstream csv(B::dir_->file("out") + "/points.csv");
  std::string line;
  size_t rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 6u);
  EXPECT_EQ(B::result_->status, 0) << B::result_->out << B::result_->err;
}

void CheckAtZeroLossEveryNotificationArrivesExactlyOnce() {
  using B = BenchRunner;
  const json& p = B::point("drop 0% k=1");
  const auto& n = p["notifications"];
  EXPECT_GT(B::u(n["expected"]), 100u);
  EXPECT_EQ(B::u(n["arrived"]), B::u(n["expected"]));
  EXPECT_EQ(B::u(n["duplicates"]), 0u);
  EXPECT_EQ(B::u(n["unexpected"]), 0u);
  EXPECT_EQ(B::u(p["datagrams"]["accepted"]), B::u(p["datagrams"]["sent"]));
}

void CheckTwentyPercentLossAcceptsWithinTheBinomialInterval() {
  using B = BenchRunner;
  const json& p = B::point("drop 20% k=1");
  const uint64_t sent = B::u(p["datagrams"]["sent"]), accepted = B::u(p["datagrams"]["accepted"]);
  ASSERT_GT(sent, 50u);
  EXPECT_EQ(B::u(p["datagrams"]["logical"]), sent) << "k=1: every datagram sent once";
  const Interval iv = binomial_acceptance(sent, 0.8, 0.999);
  EXPECT_TRUE(iv.contains(static_cast<double>(accepted)))
      << accepted << " of " << sent << " not in [" << iv.lo << ", " << iv.hi << "]";
  // The notifier's gap count agrees with the relay's ground truth (within 1% of sent).
  const auto& nv = p["notifier_vs_truth"];
  EXPECT_LE(std::abs(static_cast<double>(B::u(nv["lost_gap"])) -
                     static_cast<double>(B::u(nv["expected_lost_gap"]))),
            0.01 * static_cast<double>(sent));
  EXPECT_EQ(B::u(p["notifications"]["duplicates"]), 0u);
}

void CheckCorruptedDatagramsAreNeverDeliveredAndAreCountedAsRejected() {
  using B = BenchRunner;
  const json& p = B::point("corrupt 20% k=1");
  const auto& nv = p["notifier_vs_truth"];
  EXPECT_GT(B::u(nv["corrupted_copies"]), 0u);
  EXPECT_GT(B::u(nv["bad_signature"]), 0u);
  // Every corrupted copy was refused: mostly as bad signatures; a flip in the
  // header can make it malformed, stale or a seeming replay first.
  EXPECT_EQ(B::u(nv["corrupt_refused"]), B::u(nv["corrupted_copies"]));
  EXPECT_LE(B::u(nv["bad_signature"]), B::u(nv["corrupted_copies"]));
  EXPECT_EQ(B::u(p["datagrams"]["accepted"]), B::u(p["datagrams"]["relay_delivered"]));
  EXPECT_EQ(B::u(p["notifications"]["from_undelivered"]), 0u);
  EXPECT_EQ(B::u(p["notifications"]["duplicates"]), 0u);
}

void CheckDuplicatedDatagramsNeverDeliverANotificationTwice() {
  using B = BenchRunner;
  const json& p = B::point("duplicate 20% k=1");
  const auto& nv = p["notifier_vs_truth"];
  EXPECT_GT(B::u(nv["expected_duplicates"]), 0u);
  EXPECT_EQ(B::u(nv["duplicates"]), B::u(nv["expected_duplicates"]));
  EXPECT_EQ(B::u(p["notifications"]["duplicates"]), 0u);
  EXPECT_EQ(B::u(p["notifications"]["arrived"]), B::u(p["notifications"]["expected"]));
}

void CheckBurstLossStaysWithinTheSimulatedModelInterval() {
  using B = BenchRunner;
  const json& p = B::point("burst 20% L=4 k=1");
  EXPECT_TRUE(p["datagrams"]["within"].get<bool>()) << p["datagrams"].dump();
  EXPECT_EQ(B::u(p["notifications"]["duplicates"]), 0u);
}

// One run of the bench serves every check: ctest runs each TEST in its own
// process, and a run costs tens of seconds (Argon2id for every user).
TEST_F(BenchRunner, ShortSweepMeetsItsStatisticalBounds) {
  {
    SCOPED_TRACE("RunsEveryPointAndWritesJsonAndCsv");
    CheckRunsEveryPointAndWritesJsonAndCsv();
  }
  {
    SCOPED_TRACE("AtZeroLossEveryNotificationArrivesExactlyOnce");
    CheckAtZeroLossEveryNotificationArrivesExactlyOnce();
  }
  {
    SCOPED_TRACE("TwentyPercentLossAcceptsWithinTheBinomialInterval");
    CheckTwentyPercentLossAcceptsWithinTheBinomialInterval();
  }
  {
    SCOPED_TRACE("CorruptedDatagramsAreNeverDeliveredAndAreCountedAsRejected");
    CheckCorruptedDatagramsAreNeverDeliveredAndAreCountedAsRejected();
  }
  {
    SCOPED_TRACE("DuplicatedDatagramsNeverDeliverANotificationTwice");
    CheckDuplicatedDatagramsNeverDeliverANotificationTwice();
  }
  {
    SCOPED_TRACE("BurstLossStaysWithinTheSimulatedModelInterval");
    CheckBurstLossStaysWithinTheSimulatedModelInterval();
  }
}

}  // namespace
}  // namespace uw::bench

#endif
