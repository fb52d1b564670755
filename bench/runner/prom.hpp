#pragma once
// Reads the Prometheus text exposition format (what /metrics serves) into a
// map, and picks out the notifier's counters. Pure; thread-safe.
#include <map>
#include <string>

#include "bench/runner/accounting.hpp"

namespace uw::bench {

// "name" or "name{label="v",...}" exactly as written -> value. Comments,
// blank and malformed lines are skipped.
std::map<std::string, double> parse_prometheus(const std::string& text);

// uwitter_notifier_{received,verified,duplicates,lost,kernel_drops}_total,
// uwitter_notifier_rejected_total{reason="..."} and, as rejections named
// "shed_<reason>", uwitter_notifier_shed_total{reason="..."}; absent ones are 0.
NotifierCounts notifier_counts(const std::map<std::string, double>& m);

}  // namespace uw::bench
