#pragma once
// uw::bench::transports — one transport measured: uwitter-notifier and
// uwitter-web started as real processes on free ports with the web app's
// --notify naming that transport (or none: the baseline), one author and F
// followers holding SSE streams, then phases on the same workload:
//   fixed  posts at a fixed rate: POST latency, post -> SSE latency;
//   max    posts as fast as `threads` clients can: posts/s, CPU per post
//          (web app and notifier, from /proc/<pid>/stat);
// and the faults, each while posts go on at the fixed rate (and for
// recovery_ms after it ended), reporting posts failed or stalled,
// notifications delivered, late, lost, duplicated, and what the notifier
// counted lost:
//   stop    the notifier SIGSTOPped for stop_ms, then SIGCONT;
//   kill    the notifier SIGKILLed, restarted kill_ms later on the same ports
//           (its memory is gone: followers open new streams, as a browser does);
//   broker  (amqp only) the RabbitMQ broker stopped and started again;
//   loss    a fresh stack with a relay between the web app and the notifier
//           (or, for amqp, the broker): uwitter-lossy dropping `loss` of the
//           datagrams for udp, a ResetRelay resetting the connection before
//           `loss` of the chunks for the stream transports.
// Threading: run_scenario() on the caller's thread; it starts HTTP client
// threads and the SSE reader thread and joins them before returning.
#include <cstdint>
#include <functional>
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
  int web_cpu = -1;  // >= 0: uwitter-web runs on this CPU only (--web-cpu)
  uint32_t followers = 20;
  double rate = 100;  // posts/s in the fixed and stop phases
  uint32_t fixed_posts = 200;
  double max_seconds = 2;  // length of the max phase
  int max_threads = 4;
  uint64_t stop_ms = 2000;      // notifier SIGSTOPped this long
  uint64_t kill_ms = 1000;      // notifier down this long after its SIGKILL
  uint64_t recovery_ms = 1000;  // posting goes on this long after a fault ended
  double loss = 0.05;           // the loss fault's drop / reset probability
  uint32_t loss_posts = 500;    // posts (at `rate`) in the loss fault
  uint64_t quiet_ms = 5000;     // after a fault: its notifications are all in once none came for this long
  std::vector<std::string> faults{"stop", "kill", "broker", "loss"};
  std::string lossy_bin;    // uwitter-lossy, for udp's loss fault
  uint64_t late_ms = 1000;  // a notification later than this after its post is "late"
  bool verbose = false;
  // The amqp scenario's broker (started by the runner, kit::RabbitMqServer):
  // an amqp:// URL with its password ("" = none: the scenario fails with
  // broker_error), and its pid for the CPU it spends.
  std::string amqp_url;
  std::string broker_error;
  int broker_pid = -1;
  // Stops the broker and starts it again (same port, durable data kept):
  // the broker fault. Empty: that fault is not run.
  std::function<Result<Unit>()> restart_broker;
};

struct PhaseNotes {
  uint64_t expected = 0;    // follower x post
  uint64_t delivered = 0;   // distinct ones that reached an SSE stream
  uint64_t late = 0;        // delivered later than late_ms after the post's answer
  double latest_ms = 0;     // the latest delivery, after its post's answer
  uint64_t duplicates = 0;  // receipts beyond the first (must be 0)
};

// One fault, as the posts and followers lived through it.
struct FaultResult {
  std::string name;   // "stop", "kill", "broker", "loss"
  std::string error;  // why it could not be applied ("" = it ran)
  uint32_t posts = 0, failed = 0;
  uint32_t stalled = 0;  // posts answered after more than 1 s
  double post_max_ms = 0;
  PhaseNotes delivery;
  uint64_t notifier_counted_lost = 0;  // growth of its lost_total (after a kill: the new process's)
  uint64_t relay_hits = 0;             // loss: datagrams dropped / connections reset by the relay
};

struct ScenarioResult {
  Scenario scenario;
  std::string error;  // set when the scenario could not run
  // fixed phase
  uint32_t posts = 0;
  uint32_t failed_posts = 0;  // fixed and max phases: answers other than 201
  double post_p50_ms = 0, post_p99_ms = 0, post_max_ms = 0;
  std::vector<double> post_ms;  // every answered post's latency, for pooling over rounds
  double sse_p50_ms = 0, sse_p99_ms = 0;
  PhaseNotes fixed;
  // max phase
  double max_posts_per_s = 0;
  double web_cpu_us_per_post = 0, notifier_cpu_us_per_post = 0;
  double broker_cpu_us_per_post = 0;  // amqp only
  PhaseNotes max;
  std::vector<FaultResult> faults;  // in Workload::faults order, those that apply
  uint64_t sender_dropped = 0;      // the emitter's drops (stream queue full, UDP buffer full)

  const FaultResult* fault(const std::string& name) const;
  // Receipts beyond the first, in the fixed and max phases and every fault but kill.
  uint64_t duplicates() const;
  // Failed posts in every phase and fault.
  uint32_t all_failed_posts() const;
};

ScenarioResult run_scenario(const Workload& w, const Scenario& s);

}  // namespace uw::bench::transports
