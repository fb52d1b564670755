#pragma once
// uw::bench::transports reports: the side-by-side table (stdout), JSON and
// CSV of every ScenarioResult, and a gnuplot script for the latency figure.
// Pure formatting and file writes; any one thread.
#include <string>
#include <vector>

#include "bench/transports/scenario.hpp"
#include "core/result.hpp"

namespace uw::bench::transports {

std::string table(const std::vector<ScenarioResult>& results, const Workload& w);
std::string to_json(const std::vector<ScenarioResult>& results, const Workload& w);
std::string to_csv(const std::vector<ScenarioResult>& results);
// Writes results.json, results.csv and transports.gp into dir (created).
Result<Unit> write_files(const std::string& dir, const std::vector<ScenarioResult>& results,
                         const Workload& w);

}  // namespace uw::bench::transports
