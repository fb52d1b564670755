// bench/transports/report.cpp: the side-by-side table, the rounds' medians, JSON,
// CSV, the faults' losses and the files, from ScenarioResults made here.
#include "bench/transports/report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/kit/temp_dir.hpp"

namespace uw::bench::transports {
namespace {

ScenarioResult result(const std::string& name, double p50, double p99, double max_per_s) {
  ScenarioResult r;
  r.scenario = {name, name == "none" ? "none (baseline)" : name};
  r.posts = 100;
  r.post_p50_ms = p50;
  r.post_p99_ms = p99;
  r.max_posts_per_s = max_per_s;
  return r;
}

Workload loss_only() {
  Workload w;
  w.faults = {"stop", "loss"};
  return w;
}

std::vector<ScenarioResult> sample() {
  std::vector<ScenarioResult> rs{result("none", 1.0, 4.0, 1000), result("udp", 1.1, 4.4, 800)};
  rs[1].sse_p50_ms = 0.5;
  rs[1].sse_p99_ms = 2.0;
  rs[1].notifier_cpu_us_per_post = 12;
  FaultResult loss;
  loss.name = "loss";
  loss.posts = 100;
  loss.delivery.expected = 1000;
  loss.delivery.delivered = 950;
  loss.relay_hits = 7;
  rs[1].faults.push_back(loss);
  ScenarioResult amqp = result("amqp", 0, 0, 0);
  amqp.error = "no broker: \"rabbitmq-server\" is missing";
  rs.push_back(amqp);
  return rs;
}

std::string line_of(const std::string& text, const std::string& start) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.rfind(start, 0) == 0) return l;
  return "";
}

TEST(TransportsReport, TheTableSetsEachTransportAgainstTheBaselineAndListsFaultLosses) {
  const std::string t = table(sample(), loss_only());
  const std::string udp = line_of(t, "udp ");
  ASSERT_FALSE(udp.empty()) << t;
  EXPECT_NE(udp.find("+10.0%"), std::string::npos) << udp;  // p99 4.4 against 4.0
  EXPECT_NE(udp.find("-20.0%"), std::string::npos) << udp;  // 800/s against 1000/s
  EXPECT_NE(udp.find("2.00"), std::string::npos) << "its post -> SSE p99";
  const std::string base = line_of(t, "none (baseline)");
  EXPECT_EQ(base.find('%'), std::string::npos) << "the baseline is not compared with itself: " << base;
  EXPECT_NE(line_of(t, "amqp ").find("error: no broker"), std::string::npos) << t;
  // The loss fault's section (the stop fault ran nowhere: no section).
  EXPECT_NE(t.find("Fault: 5% loss"), std::string::npos) << t;
  EXPECT_EQ(t.find("SIGSTOPped"), std::string::npos) << t;
  const size_t at = t.find("Fault: 5% loss");
  const std::string row = line_of(t.substr(at), "udp ");
  EXPECT_NE(row.find(" 1000 "), std::string::npos) << row;  // expected
  EXPECT_NE(row.find(" 950 "), std::string::npos) << row;   // delivered
  EXPECT_NE(row.find(" 50 "), std::string::npos) << row;    // lost
}

TEST(TransportsReport, RoundsAreMediansAgainstTheBaselinesMedianWithEveryRoundsP99) {
  std::vector<ScenarioResult> first{result("none", 1, 4, 1000), result("udp", 2, 4.4, 900)};
  std::vector<std::vector<ScenarioResult>> more{{result("none", 1, 2, 1100), result("udp", 2, 3, 1000)},
                                                {result("none", 1, 6, 900), result("udp", 2, 5, 800)}};
  const std::string t = rounds_table(first, more);
  EXPECT_NE(t.find("Medians over 3 rounds"), std::string::npos) << t;
  const std::string udp = line_of(t, "udp ");
  EXPECT_NE(udp.find("+10.0%"), std::string::npos) << udp;  // median 4.4 against median 4
  EXPECT_NE(udp.find("-10.0%"), std::string::npos) << udp;  // 900 against 1000
  EXPECT_NE(udp.find("4.40 3.00 5.00"), std::string::npos) << udp;
}

// Pooled: the p99 of every post of every round together, against the baseline's.
TEST(TransportsReport, RoundsPoolEveryPostOfEveryRoundIntoOneSample) {
  auto with_posts = [](const std::string& name, double scale, int from) {
    ScenarioResult r = result(name, 0, 0, 0);
    for (int v = from; v < from + 500; ++v) r.post_ms.push_back(v * scale);  // 1..500 then 501..1000
    return r;
  };
  std::vector<ScenarioResult> first{with_posts("none", 1, 1), with_posts("udp", 1.1, 1)};
  std::vector<std::vector<ScenarioResult>> more{{with_posts("none", 1, 501), with_posts("udp", 1.1, 501)}};
  const std::string t = rounds_table(first, more);
  const std::string pooled = t.substr(t.find("Pooled"));
  const std::string base = line_of(pooled, "none (baseline)");
  // 1..1000: p50 500.5, p99 990.01 (linear between the 990th and 991st).
  EXPECT_NE(base.find(" 1000 "), std::string::npos) << base;
  EXPECT_NE(base.find("500.50"), std::string::npos) << base;
  EXPECT_NE(base.find("990.01"), std::string::npos) << base;
  EXPECT_EQ(base.find('%'), std::string::npos) << base;
  const std::string udp = line_of(pooled, "udp ");
  // Every latency 1.1x: p99 and p99.9 both +10%.
  const size_t at = udp.find("+10.0%");
  ASSERT_NE(at, std::string::npos) << udp;
  EXPECT_NE(udp.find("+10.0%", at + 1), std::string::npos) << udp;
}

TEST(TransportsReport, JsonAndCsvCarryEveryResultAndEscapeQuotesInErrors) {
  const auto rs = sample();
  auto j = nlohmann::json::parse(to_json(rs, loss_only()));
  ASSERT_EQ(j["results"].size(), 3u);
  EXPECT_EQ(j["results"][1]["transport"], "udp");
  EXPECT_DOUBLE_EQ(j["results"][1]["post_p99_ms"].get<double>(), 4.4);
  EXPECT_EQ(j["results"][1]["faults"]["loss"]["delivery"]["delivered"], 950);
  EXPECT_EQ(j["results"][2]["error"], "no broker: \"rabbitmq-server\" is missing");
  EXPECT_EQ(j["workload"]["faults"].size(), 2u);

  const std::string csv = to_csv(rs);
  std::istringstream in(csv);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 5u) << csv;  // header, 3 transports, 1 fault row
  EXPECT_EQ(lines[0].rfind("transport,fault,post_p50_ms,", 0), 0u);
  EXPECT_EQ(lines[3].rfind("udp,loss,", 0), 0u) << lines[3];
  // A quote inside a quoted field is doubled (RFC 4180), so the row keeps its columns.
  EXPECT_NE(lines[4].find("\"no broker: \"\"rabbitmq-server\"\" is missing\""), std::string::npos)
      << lines[4];
  const size_t header_cols = static_cast<size_t>(std::count(lines[0].begin(), lines[0].end(), ','));
  for (size_t i = 1; i + 1 < lines.size(); ++i)
    EXPECT_EQ(static_cast<size_t>(std::count(lines[i].begin(), lines[i].end(), ',')), header_cols)
        << lines[i];

  const std::string faults = to_faults_csv(rs, loss_only());
  EXPECT_EQ(faults, "transport,stop,loss\nudp,,5.00\n");
}

TEST(TransportsReport, FilesAreWrittenIntoANewFolderOrTheFailureIsSaid) {
  kit::TempDir dir;
  const std::string out = dir.file("a/b");
  ASSERT_TRUE(write_files(out, sample(), loss_only()));
  for (const char* f : {"results.json", "results.csv", "transports.gp", "faults.csv", "faults.gp"}) {
    std::ifstream in(out + "/" + f);
    std::stringstream s;
    s << in.rdbuf();
    EXPECT_FALSE(s.str().empty()) << f;
  }
  std::ofstream(dir.file("plain")) << "a file";
  auto r = write_files(dir.file("plain"), sample(), loss_only());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("plain"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace uw::bench::transports
