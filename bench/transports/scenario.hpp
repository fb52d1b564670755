#pragma once
// uw::bench::transports — one transport measured: uwitter-notifier and
// uwitter-web started as real processes on free ports with the web app's
// --notify naming that transport (or none: the baseline), one author and F
// followers holding SSE streams, then three phases on the same workload:
//   fixed  posts at a fixed rate: POST latency, post -> SSE latency;
//   max    posts as fast as `threads` clients can: posts/s, CPU per post
//          (web app and notifier, from /proc/<pid>/stat);
//   stop   the notifier SIGSTOPped for stop_ms while posts go on at the fixed
//          rate, then SIGCONT: posts failed or stalled, notifications
//          delivered, late, lost, duplicated, and what the notifier counted lost.
// Threading: run_scenario() on the caller's thread; it starts HTTP client
// threads and the SSE reader thread and joins them before returning.
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace uw::bench::transports {

struct Scenario {
  std::string name;   // "none", "udp", "tcp", "http", "http-sync", "amqp"
  std::string label;  // for the table
};
// Every scenario, baseline first.
std::vector<Scenario> all_scenarios();

struct Workload {
  std::string web_bin, notifier_bin;
  uint32_t followers = 20;
  double rate = 100;  // posts/s in the fixed and stop phases
  uint32_t fixed_posts = 200;
  double max_seconds = 2;  // length of the max phase
  int max_threads = 4;
  uint64_t stop_ms = 2000;  // notifier SIGSTOPped this long
  uint64_t late_ms = 1000;  // a notification later than this after its post is "late"
  bool verbose = false;
  // The amqp scenario's broker (started by the runner, kit::RabbitMqServer):
  // an amqp:// URL with its password ("" = none: the scenario fails with
  // broker_error), and its pid for the CPU it spends.
  std::string amqp_url;
  std::string broker_error;
  int broker_pid = -1;
};

struct PhaseNotes {
  uint64_t expected = 0;    // follower x post
  uint64_t delivered = 0;   // distinct ones that reached an SSE stream
  uint64_t late = 0;        // delivered later than late_ms after the post's answer
  double latest_ms = 0;     // the latest delivery, after its post's answer
  uint64_t duplicates = 0;  // receipts beyond the first (must be 0)
};

struct ScenarioResult {
  Scenario scenario;
  std::string error;  // set when the scenario could not run
  // fixed phase
  uint32_t posts = 0;
  uint32_t failed_posts = 0;  // every phase: answers other than 201
  double post_p50_ms = 0, post_p99_ms = 0, post_max_ms = 0;
  double sse_p50_ms = 0, sse_p99_ms = 0;
  PhaseNotes fixed;
  // max phase
  double max_posts_per_s = 0;
  double web_cpu_us_per_post = 0, notifier_cpu_us_per_post = 0;
  double broker_cpu_us_per_post = 0;  // amqp only
  PhaseNotes max;
  // stop phase
  uint32_t stop_posts = 0, stop_failed = 0;
  double stop_post_max_ms = 0;
  uint32_t stop_stalled = 0;  // posts that took more than 1 s
  PhaseNotes stop;
  uint64_t stop_notifier_lost = 0;  // the notifier's lost_total growth: it knew
  uint64_t sender_dropped = 0;      // the emitter's drops (stream queue full, UDP buffer full)
};

ScenarioResult run_scenario(const Workload& w, const Scenario& s);

}  // namespace uw::bench::transports
