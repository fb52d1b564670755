// uwitter-transports: the same workload over every notification transport
// (none, udp, tcp, http async, http sync, amqp), side by side in one run. Thin:
// flags and output files; the work is in scenario.cpp.
#include <fmt/format.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "bench/kit/rabbitmq_server.hpp"
#include "bench/runner/api.hpp"
#include "bench/transports/report.hpp"
#include "bench/transports/scenario.hpp"
#include "core/flags.hpp"

namespace fs = std::filesystem;
using namespace uw::bench::transports;

namespace {

std::string find_program(const std::string& name, const std::string& subdir) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  // Beside us (installed), or in the build tree: build/bench/transports -> build/<subdir>.
  for (const fs::path& p : {self / name, self.parent_path().parent_path() / subdir / name})
    if (fs::exists(p, ec)) return p.string();
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  Workload w;
  w.web_bin = find_program("uwitter-web", "web");
  w.notifier_bin = find_program("uwitter-notifier", "notifier-udp");
  // The full run's defaults; --quick shrinks every phase.
  w.followers = 100;
  w.rate = 200;
  w.fixed_posts = 1000;
  w.max_seconds = 10;
  w.stop_ms = 5000;
  bool quick = false;
  std::string out = "bench-results/transports";
  std::string only;
  uw::Flags f(
      "uwitter-transports",
      "the same posting workload over no notification, udp, tcp, http async, http sync and amqp (a "
      "RabbitMQ broker started on free ports): POST latency, max posts/s, post -> SSE latency, CPU per "
      "post, and a notifier SIGSTOPped meanwhile");
  f.toggle("quick", "a short run for the test command (10 followers, 100 posts, 1.5 s max phase, 2 s stop)",
           &quick);
  f.value("out", "DIR", "where results.{json,csv} and transports.gp go (default bench-results/transports)",
          uw::text_flag(&out));
  f.value("only", "NAME[,NAME]", "run only these (none, udp, tcp, http, http-sync, amqp)",
          uw::text_flag(&only));
  f.value("followers", "N", "followers holding SSE streams (default 100)",
          uw::whole_flag<uint32_t>(&w.followers, 1, 100000));
  f.value("rate", "N", "posts/s in the fixed and stop phases (default 200)",
          uw::number_flag(&w.rate, 1, 100000));
  f.value("posts", "N", "posts in the fixed phase (default 1000)",
          uw::whole_flag<uint32_t>(&w.fixed_posts, 1, 10000000));
  f.value("max-seconds", "S", "length of the max phase (default 10)",
          uw::number_flag(&w.max_seconds, 0.1, 3600));
  f.value("threads", "N", "clients in the max phase (default 4)",
          uw::whole_flag<int>(&w.max_threads, 1, 256));
  f.value("stop-ms", "MS", "how long the notifier is SIGSTOPped (default 5000)",
          uw::whole_flag<uint64_t>(&w.stop_ms, 100, 600000));
  f.value("web-bin", "PATH", "uwitter-web to run", uw::text_flag(&w.web_bin));
  f.value("notifier-bin", "PATH", "uwitter-notifier to run", uw::text_flag(&w.notifier_bin));
  int rc = f.parse(argc, argv);
  if (rc != 0 || f.exit_now()) return rc;
  if (quick) {
    w.followers = 10;
    w.rate = 100;
    w.fixed_posts = 100;
    w.max_seconds = 1.5;
    w.stop_ms = 2000;
  }
  uw::bench::api_global_init();
  auto wanted = [&](const std::string& name) {
    return only.empty() || ("," + only + ",").find("," + name + ",") != std::string::npos;
  };
  // One broker for the run (a few seconds to start), on free ports, gone at exit.
  uw::kit::RabbitMqServer broker;
  if (wanted("amqp")) {
    std::fprintf(stderr, "uwitter-transports: starting a RabbitMQ broker ...\n");
    if (broker.start()) {
      std::string url = broker.url();
      w.amqp_url = url.substr(0, url.find('?'));
      w.broker_pid = broker.pid();
    } else {
      w.broker_error = broker.error();
    }
  }
  std::vector<ScenarioResult> results;
  for (const auto& s : all_scenarios()) {
    if (!wanted(s.name)) continue;
    std::fprintf(stderr, "uwitter-transports: %s ...\n", s.label.c_str());
    results.push_back(run_scenario(w, s));
  }
  std::fputs(table(results, w).c_str(), stdout);
  if (auto r = write_files(out, results, w); !r) {
    std::fprintf(stderr, "uwitter-transports: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("\nwrote %s/results.json, results.csv, transports.gp (gnuplot transports.gp: transports.png)\n",
              out.c_str());
  // The run fails when a scenario could not run, an asynchronous transport
  // failed a post, or any notification reached a stream twice.
  int bad = 0;
  for (const auto& r : results) {
    uint64_t dups = r.fixed.duplicates + r.max.duplicates + r.stop.duplicates;
    if (!r.error.empty() || dups > 0 || (r.scenario.name != "http-sync" && r.failed_posts > 0)) {
      std::fprintf(stderr, "uwitter-transports: %s: %s\n", r.scenario.name.c_str(),
                   !r.error.empty() ? r.error.c_str()
                   : dups           ? "duplicates reached a stream"
                                    : "posts failed");
      bad = 1;
    }
  }
  return bad;
}
