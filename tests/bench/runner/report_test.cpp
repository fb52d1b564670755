// bench/runner/report.cpp: the table, JSON, CSV and gnuplot outputs.
#include "bench/runner/report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace uw::bench {
namespace {

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
