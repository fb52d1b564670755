#pragma once
// uw::bench::Runner — drives the whole system through the lossy relay:
// starts uwitter-web, uwitter-notifier and (per point) uwitter-lossy as child
// processes on free ports with a temporary data folder, registers users,
// builds the follow graph, opens SSE streams, and measures each sweep point.
// Children are stopped at the end whatever happens (Child's destructor, and
// PR_SET_PDEATHSIG if the runner itself dies).
//
// Threading: one Runner on the main thread; it uses worker threads for HTTP
// requests and one SSE reader thread, all joined before each call returns.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/runner/report.hpp"
#include "bench/runner/sweep.hpp"
#include "core/result.hpp"

namespace uw::bench {

struct RunnerConfig {
  std::string web_bin, notifier_bin, lossy_bin;
  std::string work_dir;  // "" = a fresh temporary folder (removed unless keep)
  bool keep = false;
  uint32_t users = 1000;
  double mean_following = 10;
  uint32_t uweets = 5000;  // per point
  double rate = 0;         // uweets/s per point; 0 = as fast as the web app takes them
  int post_threads = 4;
  uint32_t sse_sample = 0;   // streams to open; 0 = every user
  uint32_t max_streams = 0;  // --streams: upper bound on streams (0 = none)
  uint16_t port_base = 0;    // --port-base/--ports: local ports to use (0 = the kernel picks)
  uint32_t ports = 0;
  double mention_fraction = 0.1;
  uint64_t spacing_us = 2000;  // --udp-copy-spacing-us for spaced points
  uint64_t seed = 1;
  int ge_trials = 20000;
  double confidence = 0.999;
  // Attach to a running notifier instead of starting one (its --db must be
  // <work_dir>/data/uwitter.db and it must trust <work_dir>/data/keys/uwitter.pub).
  std::string attach_notifier_udp;   // HOST:PORT
  std::string attach_notifier_http;  // http://HOST:PORT
  bool verbose = false;
};

class Runner {
 public:
  explicit Runner(RunnerConfig cfg);
  ~Runner();
  // Starts the daemons, registers users, follows, opens streams. An Error whose
  // message says which step failed.
  Result<Unit> setup();
  // Measures one point (the web app is restarted with the point's copies).
  PointResult run_point(const SweepPoint& p, int index);
  // Stops every child. Safe to call twice.
  void teardown();
  // Set from a signal handler to stop between (and inside) points.
  static std::atomic<bool>& interrupted();
  const std::string& work_dir() const;
  // Progress callback: (done, total) uweets in the current point.
  std::function<void(size_t, size_t)> on_post_progress;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace uw::bench
