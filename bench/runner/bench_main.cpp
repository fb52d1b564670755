// uwitter-bench: the packet-loss benchmark runner. Thin: flags, the sweep, the
// progress bar and the output files; the work is in runner.cpp.
#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

#include "bench/runner/api.hpp"
#include "bench/runner/runner.hpp"
#include "bench/runner/sse_hub.hpp"
#include "core/flags.hpp"

namespace fs = std::filesystem;
using namespace uw::bench;

namespace {

std::string find_program(const std::string& name, const std::string& subdir) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  // Beside us (installed), or in the build tree: build/bench/runner -> build/<subdir>.
  for (const fs::path& p : {self / name, self.parent_path().parent_path() / subdir / name})
    if (fs::exists(p, ec)) return p.string();
  return name;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  RunnerConfig cfg;
  cfg.web_bin = find_program("uwitter-web", "web");
  cfg.notifier_bin = find_program("uwitter-notifier", "notifier-udp");
  cfg.lossy_bin = find_program("uwitter-lossy", "bench/lossy");
  std::string out_dir = "bench-results", only;
  bool quick = false, full = false, no_plot = false;
  uint32_t sweep_uweets = 0;
  std::vector<int> copies_override;
  uw::Flags f(
      "uwitter-bench",
      "The packet-loss benchmark: drives uwitter-web -> uwitter-lossy -> uwitter-notifier -> SSE and\n"
      "compares what arrived with the relay's ground truth and the loss models. One command.\n"
      "Default: the sweep of docs/BENCH.md; --quick: a short one; --full: more uweets per point.");
  f.toggle("quick", "a short sweep (baseline, 20% drop, burst, duplicate, corrupt; k=1,2) with 200 users",
           &quick);
  f.toggle("full", "the default sweep with 5000 uweets per point (slow)", &full);
  f.value("only", "SWEEPS", "run only these sweeps: comma list of drop,burst,duplicate,corrupt",
          uw::text_flag(&only));
  f.value("copies", "K[,K...]", "copies per datagram to sweep (default 1,2,3; --quick 1,2)",
          [&](const std::string& v) -> uw::Result<uw::Unit> {
            copies_override.clear();
            size_t start = 0;
            while (start <= v.size()) {
              size_t comma = v.find(',', start);
              const std::string item =
                  v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
              int k = std::atoi(item.c_str());
              if (k < 1 || k > 16 || item.find_first_not_of("0123456789") != std::string::npos)
                return uw::bad_value("expects numbers 1..16");
              copies_override.push_back(k);
              if (comma == std::string::npos) break;
              start = comma + 1;
            }
            return uw::Unit{};
          });
  f.value("users", "N", "users to register (default 1000)", uw::whole_flag<uint32_t>(&cfg.users, 1, 1000000));
  f.value("uweets", "M", "uweets per point (default 1000; --full 5000)",
          uw::whole_flag<uint32_t>(&sweep_uweets, 0, 10000000));
  f.value("rate", "R", "uweets per second (default 0: as fast as the web app takes them)",
          uw::number_flag(&cfg.rate, 0, 1e7));
  f.value("post-threads", "N", "concurrent posting connections (default 4)",
          uw::whole_flag<int>(&cfg.post_threads, 1, 256));
  f.value("sse-sample", "N", "open SSE streams for the first N users only (default: every user)",
          uw::whole_flag<uint32_t>(&cfg.sse_sample, 0, 10000000));
  f.value("mentions", "FRACTION", "share of uweets that mention someone (default 0.1)",
          uw::number_flag(&cfg.mention_fraction, 0, 1));
  f.value("spacing-us", "US", "--udp-copy-spacing-us of the spaced points (default 2000)",
          uw::whole_flag(&cfg.spacing_us, 0, 10000000));
  f.value("seed", "N", "seed of the graph, the workload and the relays (default 1)",
          uw::whole_flag(&cfg.seed));
  f.value("ge-trials", "N", "Gilbert-Elliott simulations per burst point (default 20000)",
          uw::whole_flag<int>(&cfg.ge_trials, 1, 100000000));
  f.value("out", "DIR",
          "where to write points.json, points.csv, plot.gp and the PNGs (default bench-results)",
          uw::text_flag(&out_dir));
  f.toggle("no-plot", "do not run gnuplot", &no_plot);
  f.value("work", "DIR",
          "working folder (data, logs, truth files; reused when set up before with the same --users/--seed); "
          "default a temporary one, removed at the end",
          uw::text_flag(&cfg.work_dir));
  f.toggle("keep", "keep the temporary working folder", &cfg.keep);
  f.value("web-bin", "PATH", "uwitter-web to run", uw::text_flag(&cfg.web_bin));
  f.value("notifier-bin", "PATH", "uwitter-notifier to run", uw::text_flag(&cfg.notifier_bin));
  f.value("lossy-bin", "PATH", "uwitter-lossy to run", uw::text_flag(&cfg.lossy_bin));
  f.value("notifier-udp", "HOST:PORT", "attach to a running notifier (with --notifier-http and --work)",
          uw::text_flag(&cfg.attach_notifier_udp));
  f.value("notifier-http", "URL", "the attached notifier's HTTP base URL",
          uw::text_flag(&cfg.attach_notifier_http));
  f.toggle("verbose", "print per-point counters", &cfg.verbose);
  int rc = f.parse(argc, argv);
  if (f.exit_now()) return rc;
  if (!f.positional().empty()) {
    std::fprintf(stderr, "uwitter-bench: unexpected argument %s\n", f.positional()[0].c_str());
    return 2;
  }
  if (quick && full) {
    std::fprintf(stderr, "uwitter-bench: --quick and --full exclude each other\n");
    return 2;
  }

  SweepConfig sc;
  sc.seed = cfg.seed;
  cfg.uweets = full ? 5000 : 1000;
  if (quick) {
    if (cfg.users == 1000) cfg.users = 200;
    cfg.uweets = 400;
    sc.drop_rates = {0, 0.2};
    sc.bursts = {{0.2, 4}};
    sc.duplicate_rates = {0.2};
    sc.corrupt_rates = {0.2};
    sc.copies = {1, 2};
    sc.spaced_too = false;
  }
  if (sweep_uweets) cfg.uweets = sweep_uweets;
  if (!copies_override.empty()) sc.copies = copies_override;
  auto points = make_sweep(sc);
  if (!only.empty()) {
    std::erase_if(points, [&](const SweepPoint& p) {
      return ("," + only + ",").find("," + p.sweep + ",") == std::string::npos;
    });
    if (points.empty()) {
      std::fprintf(stderr, "uwitter-bench: --only %s selects no point\n", only.c_str());
      return 2;
    }
  }

  raise_fd_limit();
  api_global_init();
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = [](int) { Runner::interrupted() = true; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const bool tty = isatty(STDERR_FILENO);
  std::mutex progress_mu;
  std::string phase;
  int point_no = 0;
  auto bar = [&](size_t done, size_t total) {
    std::lock_guard lk(progress_mu);
    const int width = 30;
    const int fill = total ? static_cast<int>(width * done / total) : width;
    std::string line = fmt::format("[{:<{}}] {} {}/{}", std::string(static_cast<size_t>(fill), '#'), width,
                                   phase, done, total);
    if (tty)
      std::fprintf(stderr, "\r%-100s", line.c_str());
    else if (done == total)
      std::fprintf(stderr, "%s\n", line.c_str());
  };

  Runner runner(cfg);
  runner.on_post_progress = bar;
  const double t0 = steady_ms();
  phase = "setup: users, follows";
  std::fprintf(stderr, "uwitter-bench: %zu points, %u users, %u uweets per point\n", points.size(), cfg.users,
               cfg.uweets);
  if (auto e = runner.setup(); !e) {
    std::fprintf(stderr, "\nuwitter-bench: setup failed: %s\n", e.error().message.c_str());
    return 3;
  }
  if (tty) std::fputc('\n', stderr);
  std::fprintf(stderr, "setup took %.1f s\n", (steady_ms() - t0) / 1000);
  std::vector<PointResult> results;
  for (const auto& p : points) {
    if (Runner::interrupted()) break;
    ++point_no;
    PointResult probe;
    probe.sweep = p.sweep;
    probe.injected = p.injected;
    probe.burst_len = p.impairment.burst_len;
    probe.copies = p.copies;
    probe.spaced = p.spaced;
    phase = fmt::format("point {}/{} {:<24}", point_no, points.size(), probe.label());
    results.push_back(runner.run_point(p, point_no));
  }
  if (tty) std::fputc('\n', stderr);
  const double total_s = (steady_ms() - t0) / 1000;
  runner.teardown();

  std::fputs(render_table(results).c_str(), stdout);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  std::ofstream(out_dir + "/points.json") << to_json(results);
  std::ofstream(out_dir + "/points.csv") << to_csv(results);
  std::ofstream(out_dir + "/plot.gp") << gnuplot_script("points.csv");
  if (!no_plot) {
    const std::string cmd = "cd '" + out_dir + "' && gnuplot plot.gp 2>gnuplot.err";
    if (std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "uwitter-bench: gnuplot failed (see %s/gnuplot.err)\n", out_dir.c_str());
  }
  size_t bad = 0;
  for (const auto& r : results)
    bad += (!r.error.empty() || !r.within || !r.lost_agrees() || !r.clean()) ? 1 : 0;
  std::printf("%zu points in %.1f s; %zu failed a check; results in %s/\n", results.size(), total_s, bad,
              out_dir.c_str());
  if (Runner::interrupted()) return 130;
  return bad ? 1 : 0;
}
