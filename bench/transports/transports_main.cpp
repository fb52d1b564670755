// uwitter-transports: the same workload over every notification transport
// (none, udp, tcp, http async, http sync, amqp), side by side in one run. Thin:
// flags and output files; the work is in scenario.cpp.
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
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
  w.lossy_bin = find_program("uwitter-lossy", "bench/lossy");
  // The full run's defaults; --quick shrinks every phase.
  w.followers = 100;
  w.rate = 200;
  w.fixed_posts = 1000;
  w.max_seconds = 10;
  w.stop_ms = 5000;
  w.kill_ms = 2000;
  w.recovery_ms = 2000;
  w.loss_posts = 2000;
  bool quick = false;
  std::string faults = "stop,kill,broker,loss";
  bool faults_given = false;
  int rounds = 1;
  std::string out = "bench-results/transports";
  std::string only;
  uw::Flags f(
      "uwitter-transports",
      "the same posting workload over no notification, udp, tcp, http async, http sync and amqp (a "
      "RabbitMQ broker started on free ports): POST latency, max posts/s, post -> SSE latency, CPU per "
      "post, and faults: the notifier SIGSTOPped, killed and restarted, the broker restarted, 5 % loss");
  f.toggle(
      "quick",
      "a short run for the test command (10 followers, 100 posts, 1.5 s max phase, 2 s stop, 0.5 s kill, "
      "200 posts with loss)",
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
  f.value("kill-ms", "MS", "how long the notifier stays down after its SIGKILL (default 2000)",
          uw::whole_flag<uint64_t>(&w.kill_ms, 0, 600000));
  f.value("recovery-ms", "MS", "posting goes on this long after each fault ended (default 2000)",
          uw::whole_flag<uint64_t>(&w.recovery_ms, 0, 600000));
  f.value("loss", "P", "the loss fault: udp drop / stream reset probability (default 0.05)",
          uw::number_flag(&w.loss, 0, 1));
  f.value("loss-posts", "N", "posts in the loss fault (default 2000)",
          uw::whole_flag<uint32_t>(&w.loss_posts, 1, 10000000));
  f.value("faults", "NAME[,NAME]", "faults to run, in order (default stop,kill,broker,loss; \"\" = none)",
          [&](const std::string& v) -> uw::Result<uw::Unit> {
            faults = v;
            faults_given = true;
            return uw::Unit{};
          });
  f.value("web-cpu", "N",
          "run uwitter-web on CPU N only, and everything else (this program's load and followers, the "
          "notifier, the broker, the relays) on the other CPUs: the web app's latency then does not "
          "wait for theirs (default: no pinning)",
          uw::whole_flag<int>(&w.web_cpu, 0, 1023));
  f.value("rounds", "N",
          "run every scenario N times in turn, the order reversed every other round (faults in the first "
          "round only), and print the medians of POST p50/p99 and max/s, each against the baseline's, and "
          "every post of every round pooled: p50/p90/p99/p99.9 against the baseline's (default 1)",
          uw::whole_flag<int>(&rounds, 1, 50));
  f.value("lossy-bin", "PATH", "uwitter-lossy to run", uw::text_flag(&w.lossy_bin));
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
    w.kill_ms = 500;
    w.recovery_ms = 1000;
    w.loss_posts = 200;
    w.quiet_ms = 1500;
    // The broker's restart takes 10-30 s; its own test is in tests/bench/kit/.
    if (!faults_given) faults = "stop,kill,loss";
  }
  if (w.web_cpu >= 0) {
    // This thread's CPUs pass to every thread and program started from here on.
    cpu_set_t mine;
    CPU_ZERO(&mine);
    if (::sched_getaffinity(0, sizeof mine, &mine) != 0 || !CPU_ISSET(w.web_cpu, &mine) ||
        CPU_COUNT(&mine) < 2) {
      std::fprintf(stderr, "uwitter-transports: --web-cpu %d: needs that CPU and another one to run on\n",
                   w.web_cpu);
      return 2;
    }
    CPU_CLR(w.web_cpu, &mine);
    if (::sched_setaffinity(0, sizeof mine, &mine) != 0) {
      std::perror("uwitter-transports: sched_setaffinity");
      return 1;
    }
  }
  w.faults.clear();
  for (size_t at = 0; at < faults.size();) {
    size_t comma = std::min(faults.find(',', at), faults.size());
    std::string name = faults.substr(at, comma - at);
    if (name != "stop" && name != "kill" && name != "broker" && name != "loss") {
      std::fprintf(stderr, "uwitter-transports: --faults: no fault %s (stop, kill, broker, loss)\n",
                   name.c_str());
      return 2;
    }
    w.faults.push_back(name);
    at = comma + 1;
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
      w.restart_broker = [&broker]() -> uw::Result<uw::Unit> {
        if (!broker.stop() || !broker.start())
          return uw::Error{500, "broker", "the broker did not restart: " + broker.error()};
        return uw::Unit{};
      };
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
  // Later rounds: the same scenarios again without faults, in the reverse
  // order every other round (so a drift of the machine's load over the run
  // does not always favour the same one); results indexed as in the first.
  std::vector<std::vector<ScenarioResult>> more;
  Workload again = w;
  again.faults.clear();
  std::vector<Scenario> chosen;
  for (const auto& s : all_scenarios())
    if (wanted(s.name)) chosen.push_back(s);
  for (int k = 1; k < rounds; ++k) {
    const bool reversed = k % 2 == 1;
    std::vector<ScenarioResult> round(chosen.size());
    for (size_t n = 0; n < chosen.size(); ++n) {
      const size_t i = reversed ? chosen.size() - 1 - n : n;
      std::fprintf(stderr, "uwitter-transports: round %d: %s ...\n", k + 1, chosen[i].label.c_str());
      round[i] = run_scenario(again, chosen[i]);
    }
    more.push_back(std::move(round));
  }
  std::fputs(table(results, w).c_str(), stdout);
  if (rounds > 1) std::fputs(rounds_table(results, more).c_str(), stdout);
  if (auto r = write_files(out, results, w); !r) {
    std::fprintf(stderr, "uwitter-transports: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf(
      "\nwrote %s/results.json, results.csv, transports.gp, faults.csv, faults.gp (gnuplot X.gp: X.png)\n",
      out.c_str());
  // The run fails when a scenario or a fault could not run, an asynchronous
  // transport failed a post, or a notification reached a stream twice (after
  // a notifier SIGKILL that is at-least-once delivery: reported, not failed on;
  // ScenarioResult::duplicates()).
  int bad = 0;
  std::vector<ScenarioResult> every = results;
  for (const auto& round : more) every.insert(every.end(), round.begin(), round.end());
  for (const auto& r : every) {
    std::string why = r.error;
    for (const auto& fault : r.faults)
      if (why.empty() && !fault.error.empty()) why = fault.name + ": " + fault.error;
    if (why.empty() && r.duplicates() > 0) why = "duplicates reached a stream";
    if (why.empty() && r.scenario.name != "http-sync" && r.all_failed_posts() > 0) why = "posts failed";
    if (!why.empty()) {
      std::fprintf(stderr, "uwitter-transports: %s: %s\n", r.scenario.name.c_str(), why.c_str());
      bad = 1;
    }
  }
  return bad;
}
