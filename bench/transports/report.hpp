#pragma once
// uw::bench::transports reports: the side-by-side table (stdout), JSON and
// CSV of every ScenarioResult, and gnuplot scripts for the latency and loss figures.
// Pure formatting and file writes; any one thread.
#include <string>
#include <vector>

#include "bench/transports/scenario.hpp"
#include "core/result.hpp"

namespace uw::bench::transports {

std::string table(const std::vector<ScenarioResult>& results, const Workload& w);
// Medians over rounds (first = the first round, with faults; more = later
// rounds, the same scenarios, indexed as in first): POST p50 and p99 and max
// posts/s per scenario, each against the baseline's median, and every round's
// p99; then the same latencies pooled (every post of every round in one
// sample: its p99 rests on rounds x posts answers, not on one round's tail).
std::string rounds_table(const std::vector<ScenarioResult>& first,
                         const std::vector<std::vector<ScenarioResult>>& more);
std::string to_json(const std::vector<ScenarioResult>& results, const Workload& w);
std::string to_csv(const std::vector<ScenarioResult>& results);
// Per transport, the share of notifications lost (%) under each fault.
std::string to_faults_csv(const std::vector<ScenarioResult>& results, const Workload& w);
// Writes results.json, results.csv, transports.gp (latency figure), faults.csv
// and faults.gp (losses per fault) into dir (created).
Result<Unit> write_files(const std::string& dir, const std::vector<ScenarioResult>& results,
                         const Workload& w);

}  // namespace uw::bench::transports
