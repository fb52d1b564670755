#include "bench/transports/scenario.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "bench/kit/metrics_text.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "bench/runner/accounting.hpp"
#include "bench/runner/api.hpp"
#include "bench/runner/sse_hub.hpp"
#include "core/amqp/url.hpp"

namespace uw::bench::transports {

std::vector<Scenario> all_scenarios() {
  return {{"none", "none (baseline)"}, {"udp", "udp"},  {"tcp", "tcp"}, {"http", "http async"},
          {"http-sync", "http sync"},  {"amqp", "amqp"}};
}

namespace {

using Clock = std::chrono::steady_clock;

// CPU time (user + system) of a process so far, in microseconds.
double cpu_us(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = all.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After "pid (comm) ": state is field 3; utime 14, stime 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Post {
  long status = 0;
  double started_ms = 0, answered_ms = 0;
  int64_t id = 0;
};

Post post_once(Api& api, const std::string& token, const std::string& text) {
  Post p;
  p.started_ms = steady_ms();
  auto r = api.call("POST", "/api/v1/uweets", nlohmann::json{{"text", text}}, token);
  p.answered_ms = steady_ms();
  p.status = r.status;
  if (r.status == 201 && r.body.is_object()) p.id = r.body.value("id", int64_t{0});
  return p;
}

// The posts of one phase, keyed by uweet id (for the SSE accounting).
struct Phase {
  std::vector<Post> posts;
  std::map<int64_t, double> started;  // id -> post start (steady ms)
  void add(const Post& p) {
    posts.push_back(p);
    if (p.status == 201) started[p.id] = p.started_ms;
  }
  uint32_t failed() const {
    uint32_t n = 0;
    for (const auto& p : posts) n += p.status == 201 ? 0 : 1;
    return n;
  }
  std::vector<double> latencies() const {
    std::vector<double> v;
    for (const auto& p : posts) v.push_back(p.answered_ms - p.started_ms);
    return v;
  }
};

// Delivery of one phase's posts, from every receipt of the run.
PhaseNotes account(const Phase& ph, const std::vector<Receipt>& all, uint32_t followers, double late_ms,
                   std::vector<double>* sse_latencies) {
  PhaseNotes n;
  n.expected = static_cast<uint64_t>(ph.started.size()) * followers;
  std::map<std::pair<uint32_t, int64_t>, int> seen;
  for (const auto& r : all) {
    if (r.key.kind != 'u') continue;
    auto it = ph.started.find(r.key.uweet_id);
    if (it == ph.started.end()) continue;
    if (++seen[{r.key.recipient, r.key.uweet_id}] > 1) {
      ++n.duplicates;
      continue;
    }
    ++n.delivered;
    double after = r.at_ms - it->second;
    if (sse_latencies) sse_latencies->push_back(after);
    n.latest_ms = std::max(n.latest_ms, after);
    if (after > late_ms) ++n.late;
  }
  return n;
}

class Stack {
 public:
  Stack(const Workload& w, const Scenario& s) : w_(w), s_(s) {}
  ~Stack() {
    if (notifier_.running()) {
      notifier_.signal(SIGCONT);
      notifier_.terminate(std::chrono::seconds(5));
    }
    if (web_.running()) web_.terminate(std::chrono::seconds(10));
  }

  Result<Unit> start() {
    data_ = dir_.file("data");
    std::vector<std::string> nargv{w_.notifier_bin, "--listen-udp", "127.0.0.1:0", "--listen-http",
                                   "127.0.0.1:0", "--listen-tcp", "127.0.0.1:0", "--db",
                                   data_ + "/uwitter.db", "--trust", data_ + "/keys/uwitter.pub",
                                   "--log-file", dir_.file("notifier.log"), "--log-level", "warn", "--allow",
                                   "127.0.0.0/8", "--max-subscribers", "100000",
                                   // Every follower's stream comes from 127.0.0.1 (the default is 64).
                                   "--max-streams-per-address", "100000"};
    if (s_.name == "amqp") {
      if (w_.amqp_url.empty()) return Error{500, "broker", "no RabbitMQ broker: " + w_.broker_error};
      // A queue of this run's own: nothing left from an earlier run is consumed.
      amqp_url_ = w_.amqp_url + "?queue=uwitter.bench." + std::to_string(::getpid()) + "." +
                  std::to_string(steady_ms());
      nargv.insert(nargv.end(), {"--amqp", amqp_url_});
    }
    if (!notifier_.start(nargv, dir_.file("notifier.stderr")) || !notifier_.wait_listening(3))
      return Error{500, "notifier", "uwitter-notifier did not start: " + notifier_.stderr_tail()};
    nhttp_ = notifier_.port("http");
    if (s_.name == "amqp") {
      const double until = steady_ms() + 30000;
      while (notifier_metric("uwitter_notifier_amqp_connected") != 1) {
        if (steady_ms() > until)
          return Error{
              500, "notifier",
              "the notifier did not connect to the broker: " + kit::read_file(dir_.file("notifier.log"))};
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    std::vector<std::string> argv{w_.web_bin,
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--data",
                                  data_,
                                  "--post-rate",
                                  "off",
                                  "--signup-rate",
                                  "off",
                                  "--notifier-url",
                                  "http://127.0.0.1:" + std::to_string(nhttp_)};
    if (s_.name == "udp") target_ = "127.0.0.1:" + std::to_string(notifier_.port("udp"));
    if (s_.name == "tcp") target_ = "tcp://127.0.0.1:" + std::to_string(notifier_.port("tcp"));
    if (s_.name == "http" || s_.name == "http-sync")
      target_ = "http://127.0.0.1:" + std::to_string(nhttp_) + "/ingest";
    if (s_.name == "amqp") target_ = amqp_url_;
    if (!target_.empty()) argv.insert(argv.end(), {"--notify", target_});
    if (s_.name == "http-sync") argv.push_back("--notify-http-sync");
    if (!web_.start(argv, dir_.file("web.stderr")) || !web_.wait_listening(1))
      return Error{500, "web", "uwitter-web did not start: " + web_.stderr_tail()};
    base_ = "http://127.0.0.1:" + std::to_string(web_.port("http"));
    return Unit{};
  }

  double notifier_metric(const std::string& sample) {
    Api a("http://127.0.0.1:" + std::to_string(nhttp_));
    return kit::metric(a.get_text("/metrics").raw, sample);
  }
  // What the web app's emitter dropped, over every transport.
  double sender_dropped() {
    Api a(base_);
    std::string m = a.get_text("/metrics").raw;
    double d = std::max(0.0, kit::metric(m, "uwitter_emitter_dropped_total"));
    if (s_.name != "udp" && !target_.empty()) {
      std::string scheme = s_.name == "tcp" ? "tcp" : s_.name == "amqp" ? "amqp" : "http";
      std::string label = target_;
      if (s_.name == "amqp") {
        auto u = amqp::parse_url(target_);
        label = u ? u->text() : target_;  // the label leaves the password out
      }
      d += std::max(0.0, kit::metric(m, "uwitter_emitter_transport_dropped_total{target=\"" + label +
                                            "\",transport=\"" + scheme + "\"}"));
    }
    return d;
  }

  const std::string& base() const { return base_; }
  uint16_t notifier_http() const { return nhttp_; }
  kit::ChildProcess& notifier() { return notifier_; }
  kit::ChildProcess& web() { return web_; }
  bool notifies() const { return !target_.empty(); }

 private:
  const Workload& w_;
  const Scenario& s_;
  kit::TempDir dir_;
  std::string data_, base_, target_, amqp_url_;
  kit::ChildProcess notifier_, web_;
  uint16_t nhttp_ = 0;
};

std::string signup(Api& api, const std::string& name) {
  api.call("POST", "/api/v1/accounts", nlohmann::json{{"username", name}, {"password", "correct horse"}});
  auto r =
      api.call("POST", "/api/v1/sessions", nlohmann::json{{"username", name}, {"password", "correct horse"}});
  return r.body.is_object() ? r.body.value("token", "") : "";
}

// Waits until `want` receipts arrived in total, or nothing arrived for quiet_ms, or deadline.
void wait_receipts(SseHub& hub, uint64_t want, double quiet_ms, double deadline_ms) {
  uint64_t last = hub.receipts();
  double last_change = steady_ms();
  while (hub.receipts() < want && steady_ms() < deadline_ms && steady_ms() - last_change < quiet_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a counter, not waiting on hope
    if (hub.receipts() != last) {
      last = hub.receipts();
      last_change = steady_ms();
    }
  }
}

}  // namespace

ScenarioResult run_scenario(const Workload& w, const Scenario& s) {
  ScenarioResult r;
  r.scenario = s;
  Stack st(w, s);
  if (auto ok = st.start(); !ok) {
    r.error = ok.error().message;
    while (!r.error.empty() && (r.error.back() == '\n' || r.error.back() == '\r')) r.error.pop_back();
    return r;
  }
  Api api(st.base());
  std::string author = signup(api, "author");
  if (author.empty()) {
    r.error = "sign-up failed";
    return r;
  }
  std::vector<std::string> tokens(w.followers);
  bool ok = parallel_for(st.base(), w.followers, 2, [&](Api& a, size_t i) {
    tokens[i] = signup(a, fmt::format("f{}", i));
    return !tokens[i].empty() && a.call("PUT", "/api/v1/users/author/follow", nullptr, tokens[i]).ok();
  });
  if (!ok) {
    r.error = "followers could not sign up and follow";
    return r;
  }
  SseHub hub;
  if (st.notifies()) {
    // The notifier trusts the web app's key once it has seen the file appear.
    double until = steady_ms() + 15000;
    while (st.notifier_metric("uwitter_notifier_trusted_keys") < 1 && steady_ms() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (uint32_t i = 0; i < w.followers; ++i) {
      auto t = api.call("GET", "/api/v1/notifications/ticket", nullptr, tokens[i]);
      std::string url = t.body.is_object() ? t.body.value("url", "") : "";
      std::string prefix = "http://127.0.0.1:" + std::to_string(st.notifier_http());
      if (url.rfind(prefix, 0) != 0 || !hub.open(st.notifier_http(), url.substr(prefix.size()), i)) {
        r.error = "could not open follower streams";
        return r;
      }
    }
    double until2 = steady_ms() + 15000;
    while (hub.connected() < w.followers && steady_ms() < until2)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (hub.connected() < w.followers) {
      r.error = "streams did not connect";
      return r;
    }
  }
  std::vector<Receipt> receipts;
  auto gather = [&] {
    auto more = hub.take();
    receipts.insert(receipts.end(), more.begin(), more.end());
  };
  uint64_t expected_total = 0;

  // Fixed rate.
  Phase fixed;
  {
    auto start = Clock::now();
    for (uint32_t i = 0; i < w.fixed_posts; ++i) {
      std::this_thread::sleep_until(start +
                                    std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / w.rate)));
      fixed.add(post_once(api, author, fmt::format("fixed {}", i)));
    }
    expected_total += fixed.started.size() * w.followers;
    if (st.notifies()) wait_receipts(hub, expected_total, 3000, steady_ms() + 15000);
    gather();
  }

  // As fast as max_threads clients can.
  Phase maxp;
  {
    std::mutex mu;
    double web0 = cpu_us(st.web().pid()), not0 = cpu_us(st.notifier().pid());
    const bool broker = s.name == "amqp" && w.broker_pid > 0;
    double broker0 = broker ? cpu_us(w.broker_pid) : 0;
    double t0 = steady_ms(), end = t0 + w.max_seconds * 1000;
    std::atomic<uint64_t> n{0};
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(w.max_threads));
    for (int t = 0; t < w.max_threads; ++t)
      threads.emplace_back([&, t] {
        Api a(st.base());
        while (steady_ms() < end) {
          Post p = post_once(a, author, fmt::format("max {} {}", t, n.fetch_add(1)));
          std::lock_guard lk(mu);
          maxp.add(p);
        }
      });
    for (auto& th : threads) th.join();
    double took_s = (steady_ms() - t0) / 1000;
    if (st.notifies())
      wait_receipts(hub, expected_total + maxp.started.size() * w.followers, 3000, steady_ms() + 30000);
    double posts = static_cast<double>(maxp.started.size());
    r.max_posts_per_s = posts / took_s;
    if (posts > 0) {
      r.web_cpu_us_per_post = (cpu_us(st.web().pid()) - web0) / posts;
      r.notifier_cpu_us_per_post = (cpu_us(st.notifier().pid()) - not0) / posts;
      if (broker) r.broker_cpu_us_per_post = (cpu_us(w.broker_pid) - broker0) / posts;
    }
    expected_total += maxp.started.size() * w.followers;
    gather();
  }

  // The notifier SIGSTOPped for stop_ms while posts go on at the fixed rate.
  Phase stop;
  {
    double lost0 = st.notifier_metric("uwitter_notifier_lost_total");
    st.notifier().signal(SIGSTOP);
    double t0 = steady_ms();
    std::thread resume([&] {
      std::this_thread::sleep_until(Clock::now() + std::chrono::milliseconds(w.stop_ms));
      st.notifier().signal(SIGCONT);
    });
    auto start = Clock::now();
    for (uint32_t i = 0; steady_ms() - t0 < static_cast<double>(w.stop_ms); ++i) {
      std::this_thread::sleep_until(start +
                                    std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / w.rate)));
      stop.add(post_once(api, author, fmt::format("stopped {}", i)));
    }
    resume.join();
    expected_total += stop.started.size() * w.followers;
    if (st.notifies()) wait_receipts(hub, expected_total, 5000, steady_ms() + 30000);
    gather();
    double lost1 = st.notifier_metric("uwitter_notifier_lost_total");
    if (lost0 >= 0 && lost1 >= lost0) r.stop_notifier_lost = static_cast<uint64_t>(lost1 - lost0);
  }

  std::vector<double> sse;
  r.fixed = account(fixed, receipts, w.followers, static_cast<double>(w.late_ms), &sse);
  r.max = account(maxp, receipts, w.followers, static_cast<double>(w.late_ms), nullptr);
  r.stop = account(stop, receipts, w.followers, static_cast<double>(w.late_ms), nullptr);
  r.posts = static_cast<uint32_t>(fixed.posts.size());
  r.failed_posts = fixed.failed() + maxp.failed() + stop.failed();
  auto lat = fixed.latencies();
  r.post_p50_ms = percentile(lat, 0.5);
  r.post_p99_ms = percentile(lat, 0.99);
  r.post_max_ms = percentile(lat, 1.0);
  r.sse_p50_ms = percentile(sse, 0.5);
  r.sse_p99_ms = percentile(sse, 0.99);
  r.stop_posts = static_cast<uint32_t>(stop.posts.size());
  r.stop_failed = stop.failed();
  for (double l : stop.latencies()) {
    r.stop_post_max_ms = std::max(r.stop_post_max_ms, l);
    if (l > 1000) ++r.stop_stalled;
  }
  r.sender_dropped = static_cast<uint64_t>(st.sender_dropped());
  return r;
}

}  // namespace uw::bench::transports
