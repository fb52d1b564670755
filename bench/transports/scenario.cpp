#include "bench/transports/scenario.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "bench/kit/metrics_text.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/reset_relay.hpp"
#include "bench/kit/temp_dir.hpp"
#include "bench/runner/accounting.hpp"
#include "bench/runner/api.hpp"
#include "bench/runner/sse_hub.hpp"
#include "core/amqp/url.hpp"

namespace uw::bench::transports {

const FaultResult* ScenarioResult::fault(const std::string& name) const {
  for (const auto& f : faults)
    if (f.name == name) return &f;
  return nullptr;
}

uint64_t ScenarioResult::duplicates() const {
  uint64_t n = fixed.duplicates + max.duplicates;
  // A notifier killed between pushing an event and acknowledging its envelope
  // gets that envelope again after the restart (at-least-once): its new process
  // has an empty replay window. Reported in the kill row, not counted here.
  for (const auto& f : faults)
    if (f.name != "kill") n += f.delivery.duplicates;
  return n;
}

uint32_t ScenarioResult::all_failed_posts() const {
  uint32_t n = failed_posts;
  for (const auto& f : faults) n += f.failed;
  return n;
}

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

// Where the web app's notifications go, given the direct target: the target
// itself, or a relay in front of it (the loss fault).
using Reroute = std::function<Result<std::string>(const std::string& direct)>;

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

  Result<Unit> start(const Reroute& reroute = nullptr) {
    data_ = dir_.file("data");
    nargv_ = {w_.notifier_bin, "--listen-udp", "127.0.0.1:0", "--listen-http", "127.0.0.1:0", "--listen-tcp",
              "127.0.0.1:0", "--db", data_ + "/uwitter.db", "--trust", data_ + "/keys/uwitter.pub",
              "--log-file", dir_.file("notifier.log"), "--log-level", "warn", "--allow", "127.0.0.0/8",
              "--max-subscribers", "100000",
              // Every follower's stream comes from 127.0.0.1 (the default is 64).
              "--max-streams-per-address", "100000"};
    if (s_.name == "amqp") {
      if (w_.amqp_url.empty()) return Error{500, "broker", "no RabbitMQ broker: " + w_.broker_error};
      // A queue of this run's own: nothing left from an earlier run is consumed.
      amqp_url_ = w_.amqp_url + "?queue=uwitter.bench." + std::to_string(::getpid()) + "." +
                  std::to_string(steady_ms());
      nargv_.insert(nargv_.end(), {"--amqp", amqp_url_});
    }
    if (auto ok = start_notifier(); !ok) return ok;
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
    if (!target_.empty() && reroute) {
      auto via = reroute(target_);
      if (!via) return via.error();
      target_ = *via;
    }
    if (!target_.empty()) argv.insert(argv.end(), {"--notify", target_});
    if (s_.name == "http-sync") argv.push_back("--notify-http-sync");
    web_.pin_to_cpu(w_.web_cpu);
    if (!web_.start(argv, dir_.file("web.stderr")) || !web_.wait_listening(1))
      return Error{500, "web", "uwitter-web did not start: " + web_.stderr_tail()};
    base_ = "http://127.0.0.1:" + std::to_string(web_.port("http"));
    return Unit{};
  }

  // SIGKILL, then (down_ms later) the same notifier on the same ports.
  Result<Unit> kill_and_restart(uint64_t down_ms) {
    notifier_.signal(SIGKILL);
    notifier_.wait_exit(std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(down_ms));  // the outage itself
    for (auto [flag, proto] :
         {std::pair{"--listen-udp", "udp"}, {"--listen-http", "http"}, {"--listen-tcp", "tcp"}})
      for (size_t i = 0; i + 1 < nargv_.size(); ++i)
        if (nargv_[i] == flag) nargv_[i + 1] = "127.0.0.1:" + std::to_string(ports_[proto]);
    return start_notifier();
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
  Result<Unit> start_notifier() {
    if (!notifier_.start(nargv_, dir_.file("notifier.stderr")) || !notifier_.wait_listening(3))
      return Error{500, "notifier", "uwitter-notifier did not start: " + notifier_.stderr_tail()};
    for (const char* proto : {"udp", "http", "tcp"}) ports_[proto] = notifier_.port(proto);
    nhttp_ = ports_["http"];
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
    return Unit{};
  }

  const Workload& w_;
  const Scenario& s_;
  kit::TempDir dir_;
  std::string data_, base_, target_, amqp_url_;
  std::vector<std::string> nargv_;
  std::map<std::string, uint16_t> ports_;
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

// A started stack's people: the author, the followers and their streams.
struct Audience {
  std::string author;
  std::vector<std::string> tokens;  // followers'
  SseHub hub;
  size_t streams_opened = 0;
  std::vector<Receipt> receipts;  // every receipt so far
  uint64_t expected_total = 0;    // follower x post, every phase so far
  void gather() {
    auto more = hub.take();
    receipts.insert(receipts.end(), more.begin(), more.end());
  }
};

// Every follower opens a stream (again, after a notifier restart) and the
// notifier trusts the web app's key; waits (bounded) until all are connected.
Result<Unit> open_streams(Stack& st, Audience& a, uint32_t followers) {
  Api api(st.base());
  // The notifier trusts the web app's key once it has seen the file appear.
  double until = steady_ms() + 15000;
  while (st.notifier_metric("uwitter_notifier_trusted_keys") < 1 && steady_ms() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (uint32_t i = 0; i < followers; ++i) {
    auto t = api.call("GET", "/api/v1/notifications/ticket", nullptr, a.tokens[i]);
    std::string url = t.body.is_object() ? t.body.value("url", "") : "";
    std::string prefix = "http://127.0.0.1:" + std::to_string(st.notifier_http());
    // A reconnect names the last event it saw, as EventSource does (the
    // notifier's ids keep increasing across its restarts: docs/NOTIFIER.md).
    std::string last = a.hub.last_event_id(i);
    if (!last.empty()) url += "&last_event_id=" + last;
    if (url.rfind(prefix, 0) != 0 || !a.hub.open(st.notifier_http(), url.substr(prefix.size()), i))
      return Error{500, "streams", "could not open follower streams"};
  }
  a.streams_opened += followers;
  double until2 = steady_ms() + 15000;
  while (a.hub.connected() < a.streams_opened && steady_ms() < until2)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (a.hub.connected() < a.streams_opened) return Error{500, "streams", "streams did not connect"};
  return Unit{};
}

// Signs up the author and the followers, who follow the author and open their streams.
Result<Unit> populate(Stack& st, Audience& a, uint32_t followers) {
  Api api(st.base());
  a.author = signup(api, "author");
  if (a.author.empty()) return Error{500, "signup", "sign-up failed"};
  a.tokens.assign(followers, "");
  bool ok = parallel_for(st.base(), followers, 2, [&](Api& c, size_t i) {
    a.tokens[i] = signup(c, fmt::format("f{}", i));
    return !a.tokens[i].empty() && c.call("PUT", "/api/v1/users/author/follow", nullptr, a.tokens[i]).ok();
  });
  if (!ok) return Error{500, "signup", "followers could not sign up and follow"};
  if (st.notifies()) return open_streams(st, a, followers);
  return Unit{};
}

// Posts at `rate` on a thread of its own until stop() (or `count` posts).
class Poster {
 public:
  Poster(const std::string& base, const std::string& token, double rate, std::string tag,
         uint32_t count = UINT32_MAX)
      : thread_([=, this, tag = std::move(tag)] {
          Api api(base);
          auto start = Clock::now();
          for (uint32_t i = 0; i < count && !stop_.load(); ++i) {
            std::this_thread::sleep_until(start +
                                          std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / rate)));
            Post p = post_once(api, token, fmt::format("{} {}", tag, i));
            std::lock_guard lk(mu_);
            phase_.add(p);
          }
        }) {}
  ~Poster() { stop(); }
  Poster(const Poster&) = delete;
  Poster& operator=(const Poster&) = delete;
  // Ends the posting (after the post in flight) and returns what was posted.
  Phase stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lk(mu_);
    return phase_;
  }
  Phase join() {  // waits for `count` posts
    if (thread_.joinable()) thread_.join();
    std::lock_guard lk(mu_);
    return phase_;
  }

 private:
  std::mutex mu_;
  Phase phase_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: started once the rest exists
};

// The posts of a fault and their delivery, into f.
void summarise(FaultResult& f, const Phase& ph, Audience& a, const Workload& w) {
  a.expected_total += ph.started.size() * w.followers;
  wait_receipts(a.hub, a.expected_total, static_cast<double>(w.quiet_ms), steady_ms() + 60000);
  a.gather();
  f.delivery = account(ph, a.receipts, w.followers, static_cast<double>(w.late_ms), nullptr);
  f.posts = static_cast<uint32_t>(ph.posts.size());
  f.failed = ph.failed();
  for (double l : ph.latencies()) {
    f.post_max_ms = std::max(f.post_max_ms, l);
    if (l > 1000) ++f.stalled;
  }
}

// A fault on the running stack: `apply` does it and undoes it (blocking) while
// posts go on at the fixed rate, and for recovery_ms after.
FaultResult run_fault(Stack& st, Audience& a, const Workload& w, const std::string& name,
                      const std::function<Result<Unit>()>& apply) {
  FaultResult f;
  f.name = name;
  double lost0 = st.notifier_metric("uwitter_notifier_lost_total");
  Poster poster(st.base(), a.author, w.rate, name);
  auto ok = apply();
  std::this_thread::sleep_for(
      std::chrono::milliseconds(w.recovery_ms));  // posting time, not a wait for an event
  Phase ph = poster.stop();
  if (!ok) f.error = ok.error().message;
  summarise(f, ph, a, w);
  double lost1 = st.notifier_metric("uwitter_notifier_lost_total");
  if (name == "kill") lost0 = 0;  // a new process counts from 0
  if (lost0 >= 0 && lost1 >= lost0) f.notifier_counted_lost = static_cast<uint64_t>(lost1 - lost0);
  return f;
}

// The loss fault: a stack of its own with a relay in front of the notifier
// (udp, tcp, http) or the broker (amqp).
FaultResult run_loss(const Workload& w, const Scenario& s) {
  FaultResult f;
  f.name = "loss";
  kit::ChildProcess lossy;
  kit::ResetRelay relay;
  Reroute reroute = [&](const std::string& direct) -> Result<std::string> {
    if (s.name == "udp") {
      if (!lossy.start({w.lossy_bin, "--listen", "127.0.0.1:0", "--forward", direct, "--drop",
                        fmt::format("{}", w.loss), "--seed", "1"}) ||
          !lossy.wait_listening(1))
        return Error{500, "lossy", "uwitter-lossy did not start: " + lossy.error()};
      return "127.0.0.1:" + std::to_string(lossy.port("udp"));
    }
    // host:port inside the URL: after "//" and any "user:pass@", up to the next '/' or the end.
    size_t at = direct.find('@'), host = at != std::string::npos ? at + 1 : direct.find("//") + 2;
    size_t colon = direct.find(':', host), end = direct.find('/', host);
    if (colon == std::string::npos) return Error{500, "relay", "no port in " + direct};
    uint16_t port = static_cast<uint16_t>(std::stoi(direct.substr(colon + 1, end - colon - 1)));
    if (auto ok = relay.start({port, w.loss, 1}); !ok) return ok.error();
    return direct.substr(0, colon + 1) + std::to_string(relay.port()) +
           (end == std::string::npos ? "" : direct.substr(end));
  };
  Stack st(w, s);
  if (auto ok = st.start(reroute); !ok) {
    f.error = ok.error().message;
    return f;
  }
  Audience a;
  if (auto ok = populate(st, a, w.followers); !ok) {
    f.error = ok.error().message;
    return f;
  }
  double lost0 = st.notifier_metric("uwitter_notifier_lost_total");
  Poster poster(st.base(), a.author, w.rate, "loss", w.loss_posts);
  Phase ph = poster.join();
  summarise(f, ph, a, w);
  double lost1 = st.notifier_metric("uwitter_notifier_lost_total");
  if (lost0 >= 0 && lost1 >= lost0) f.notifier_counted_lost = static_cast<uint64_t>(lost1 - lost0);
  if (s.name == "udp") {
    lossy.signal(SIGUSR1);
    if (auto line = lossy.wait_line_starting("stats", std::chrono::seconds(5))) {
      auto d = line->find(" dropped=");
      if (d != std::string::npos) f.relay_hits = std::stoull(line->substr(d + 9));
    }
    lossy.terminate();
  } else {
    f.relay_hits = relay.resets();
  }
  return f;
}

bool wants(const Workload& w, const std::string& fault) {
  return std::find(w.faults.begin(), w.faults.end(), fault) != w.faults.end();
}

}  // namespace

ScenarioResult run_scenario(const Workload& w, const Scenario& s) {
  ScenarioResult r;
  r.scenario = s;
  auto fail = [&](const std::string& why) {
    r.error = why;
    while (!r.error.empty() && (r.error.back() == '\n' || r.error.back() == '\r')) r.error.pop_back();
    return r;
  };
  Stack st(w, s);
  if (auto ok = st.start(); !ok) return fail(ok.error().message);
  Audience a;
  if (auto ok = populate(st, a, w.followers); !ok) return fail(ok.error().message);
  Api api(st.base());

  // Fixed rate.
  Phase fixed;
  {
    auto start = Clock::now();
    for (uint32_t i = 0; i < w.fixed_posts; ++i) {
      std::this_thread::sleep_until(start +
                                    std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / w.rate)));
      fixed.add(post_once(api, a.author, fmt::format("fixed {}", i)));
    }
    a.expected_total += fixed.started.size() * w.followers;
    if (st.notifies()) wait_receipts(a.hub, a.expected_total, 3000, steady_ms() + 15000);
    a.gather();
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
        Api c(st.base());
        while (steady_ms() < end) {
          Post p = post_once(c, a.author, fmt::format("max {} {}", t, n.fetch_add(1)));
          std::lock_guard lk(mu);
          maxp.add(p);
        }
      });
    for (auto& th : threads) th.join();
    double took_s = (steady_ms() - t0) / 1000;
    if (st.notifies())
      wait_receipts(a.hub, a.expected_total + maxp.started.size() * w.followers, 3000, steady_ms() + 30000);
    double posts = static_cast<double>(maxp.started.size());
    r.max_posts_per_s = posts / took_s;
    if (posts > 0) {
      r.web_cpu_us_per_post = (cpu_us(st.web().pid()) - web0) / posts;
      r.notifier_cpu_us_per_post = (cpu_us(st.notifier().pid()) - not0) / posts;
      if (broker) r.broker_cpu_us_per_post = (cpu_us(w.broker_pid) - broker0) / posts;
    }
    a.expected_total += maxp.started.size() * w.followers;
    a.gather();
  }

  std::vector<double> sse;
  r.fixed = account(fixed, a.receipts, w.followers, static_cast<double>(w.late_ms), &sse);
  r.max = account(maxp, a.receipts, w.followers, static_cast<double>(w.late_ms), nullptr);
  r.posts = static_cast<uint32_t>(fixed.posts.size());
  r.failed_posts = fixed.failed() + maxp.failed();
  auto lat = fixed.latencies();
  r.post_ms = lat;
  r.post_p50_ms = percentile(lat, 0.5);
  r.post_p99_ms = percentile(lat, 0.99);
  r.post_max_ms = percentile(lat, 1.0);
  r.sse_p50_ms = percentile(sse, 0.5);
  r.sse_p99_ms = percentile(sse, 0.99);

  if (st.notifies()) {
    for (const auto& fault : w.faults) {
      if (fault == "stop") {
        r.faults.push_back(run_fault(st, a, w, "stop", [&]() -> Result<Unit> {
          st.notifier().signal(SIGSTOP);
          std::this_thread::sleep_for(std::chrono::milliseconds(w.stop_ms));  // the outage itself
          st.notifier().signal(SIGCONT);
          return Unit{};
        }));
      } else if (fault == "kill") {
        r.faults.push_back(run_fault(st, a, w, "kill", [&]() -> Result<Unit> {
          if (auto ok = st.kill_and_restart(w.kill_ms); !ok) return ok;
          return open_streams(st, a, w.followers);  // the old streams died with the process
        }));
      } else if (fault == "broker" && s.name == "amqp" && w.restart_broker) {
        r.faults.push_back(run_fault(st, a, w, "broker", w.restart_broker));
      }
    }
    // Last: it runs on a stack of its own.
    if (wants(w, "loss")) r.faults.push_back(run_loss(w, s));
  }
  r.sender_dropped = static_cast<uint64_t>(st.sender_dropped());
  return r;
}

}  // namespace uw::bench::transports
