#include "bench/runner/runner.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "bench/kit/process.hpp"
#include "bench/lossy/truth.hpp"
#include "bench/runner/api.hpp"
#include "bench/runner/graph.hpp"
#include "bench/runner/prom.hpp"
#include "bench/runner/sse_hub.hpp"
#include "core/flags.hpp"
#include "sign/envelope.hpp"
#include "sign/keys.hpp"

namespace uw::bench {

// Every daemon the runner starts dies with it (die_with_parent), so a crashed
// or killed runner leaves nothing behind.
using Child = kit::ChildProcess;
constexpr bool kDieWithRunner = true;

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The runner's failures are for the operator (bench_main prints them); the
// status is not used.
Error setup_error(std::string message) { return Error{500, "bench_setup", std::move(message)}; }

struct User {
  int64_t id = 0;
  std::string name, token;
};

struct Posted {
  int64_t id = 0;
  double ack_ms = 0;
};

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

// Polls cond every few milliseconds until it holds or the deadline passes.
bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline || Runner::interrupted()) return false;
    std::this_thread::sleep_for(5ms);  // polling a condition with a deadline
  }
}

uint64_t field_u64(const std::string& line, const std::string& key) {
  auto p = line.find(" " + key + "=");
  if (p == std::string::npos) return 0;
  return std::strtoull(line.c_str() + p + key.size() + 2, nullptr, 10);
}

}  // namespace

struct Runner::State {
  RunnerConfig cfg;
  std::string work, data;
  bool own_work = false;
  std::unique_ptr<Child> notifier;
  uint16_t notifier_udp = 0, notifier_http = 0;
  std::string notifier_udp_host = "127.0.0.1";
  std::vector<User> users;  // bench index -> user
  User settler;             // posts the session-settling datagram; no followers
  FollowGraph graph;
  std::vector<std::vector<uint32_t>> followers;
  std::vector<bool> has_stream;
  std::unique_ptr<SseHub> hub;
  std::optional<sign::SecretKey> key;
  std::unique_ptr<Api> metrics_api;
  int web_starts = 0;

  std::string log(const std::string& name) const { return work + "/" + name + ".log"; }

  Result<std::unique_ptr<Child>> start_web(const std::string& notify, int copies, uint64_t spacing_us) {
    auto web = std::make_unique<Child>();
    std::vector<std::string> argv = {cfg.web_bin, "--listen", "127.0.0.1:0", "--data", data};
    if (!notify.empty()) {
      argv.insert(argv.end(), {"--notify", notify, "--udp-copies", std::to_string(copies)});
      if (spacing_us) argv.insert(argv.end(), {"--udp-copy-spacing-us", std::to_string(spacing_us)});
    }
    if (notifier_http)
      argv.insert(argv.end(), {"--notifier-url", fmt::format("http://127.0.0.1:{}", notifier_http)});
    argv.insert(argv.end(), {"--access-log", work + "/web-access.log"});
    ++web_starts;
    if (!web->start(argv, log("web"), kDieWithRunner)) {
      return setup_error("cannot start uwitter-web: " + web->error());
    }
    if (!web->wait_listening(1, 30s) || web->port("http") == 0) {
      return setup_error("uwitter-web did not report listening: " + web->stderr_tail(600));
    }
    // An answered request also means the loop runs, so its SIGTERM handler is
    // installed (the "listening" line is printed before that).
    Api probe(fmt::format("http://127.0.0.1:{}", web->port("http")));
    if (!wait_for([&] { return probe.get_text("/healthz").status == 200; }, 20s)) {
      return setup_error("uwitter-web did not answer /healthz: " + web->stderr_tail(600));
    }
    return web;
  }

  std::optional<NotifierCounts> counts(std::map<std::string, double>* raw = nullptr) {
    auto r = metrics_api->get_text("/metrics");
    if (r.status != 200) return std::nullopt;
    auto m = parse_prometheus(r.raw);
    if (raw) *raw = m;
    return notifier_counts(m);
  }

  // Sends one datagram of a fresh sender session straight to the notifier: its
  // arrival settles the previous session, so the notifier counts the losses
  // below that session's highest sequence number (sign/verifier.cpp).
  Result<Unit> settle() {
    auto before = counts();
    if (!before) return setup_error("notifier /metrics unreachable");
    sign::Encoder enc(*key, 0, 1);
    sign::PostEvent ev{0, settler.id, settler.name, 0, "settle"};
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    ev.created_at_ms = now_ms;
    std::vector<sign::Event> events{ev};
    sign::Datagram d;
    if (!enc.seal(events, now_ms, &d)) return setup_error("cannot seal the settle datagram");
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(notifier_udp);
    ::inet_pton(AF_INET, notifier_udp_host.c_str(), &a.sin_addr);
    bool ok = false;
    // Loopback may drop under load: resend (the same datagram: a duplicate at worst) until seen.
    for (int attempt = 0; attempt < 20 && !ok; ++attempt) {
      ::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
      ok = wait_for(
          [&] {
            auto c = counts();
            return c && c->verified > before->verified;
          },
          500ms);
    }
    ::close(fd);
    if (!ok) return setup_error("the notifier never accepted the settle datagram");
    return Unit{};
  }
};

std::atomic<bool>& Runner::interrupted() {
  static std::atomic<bool> flag{false};
  return flag;
}

Runner::Runner(RunnerConfig cfg) : s_(std::make_unique<State>()) { s_->cfg = std::move(cfg); }
Runner::~Runner() { teardown(); }
const std::string& Runner::work_dir() const { return s_->work; }

void Runner::teardown() {
  if (!s_) return;
  s_->hub.reset();
  if (s_->notifier) {
    s_->notifier->terminate();
    s_->notifier.reset();
  }
  if (s_->own_work && !s_->cfg.keep && !s_->work.empty()) {
    std::error_code ec;
    fs::remove_all(s_->work, ec);
    s_->work.clear();
  }
}

Result<Unit> Runner::setup() {
  State& s = *s_;
  const RunnerConfig& cfg = s.cfg;
  if (cfg.work_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "uwitter-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return setup_error("cannot make a temporary folder");
    s.work = tmpl;
    s.own_work = true;
  } else {
    s.work = cfg.work_dir;
    std::error_code ec;
    fs::create_directories(s.work, ec);
  }
  s.data = s.work + "/data";
  std::string err;
  const double t_setup = steady_ms();

  // 1. A first web app creates the database and the key pair, then stops.
  {
    auto started = s.start_web("", 1, 0);
    if (!started) return started.error();
    auto init = std::move(started.value());
    if (init->terminate() != 0)
      return setup_error("the first web app did not stop cleanly: " + init->stderr_tail(600));
  }

  // 2. The notifier reads that database and trusts that key.
  if (!cfg.attach_notifier_udp.empty()) {
    auto hp = parse_host_port(cfg.attach_notifier_udp);
    if (!hp || cfg.attach_notifier_http.empty())
      return setup_error("attaching needs --notifier-udp HOST:PORT and --notifier-http URL");
    s.notifier_udp_host = hp->host;
    s.notifier_udp = hp->port;
    auto http = parse_host_port(cfg.attach_notifier_http.substr(cfg.attach_notifier_http.find("//") + 2));
    if (!http) return setup_error("bad --notifier-http URL");
    s.notifier_http = http->port;
  } else {
    s.notifier = std::make_unique<Child>();
    std::vector<std::string> argv = {cfg.notifier_bin,
                                     "--listen-udp",
                                     "127.0.0.1:0",
                                     "--listen-http",
                                     "127.0.0.1:0",
                                     "--db",
                                     s.data + "/uwitter.db",
                                     "--trust",
                                     s.data + "/keys/uwitter.pub",
                                     "--rcvbuf",
                                     "8MiB",
                                     "--log-file",
                                     s.work + "/notifier-events.log"};
    if (!s.notifier->start(argv, s.log("notifier"), kDieWithRunner))
      return setup_error("cannot start uwitter-notifier: " + s.notifier->error());
    if (!s.notifier->wait_listening(2, 30s))
      return setup_error("uwitter-notifier did not report listening: " + s.notifier->stderr_tail(600));
    Api probe(fmt::format("http://127.0.0.1:{}", s.notifier->port("http")));
    if (!wait_for([&] { return probe.get_text("/healthz").status == 200; }, 20s))
      return setup_error("uwitter-notifier did not answer /healthz: " + s.notifier->stderr_tail(600));
    s.notifier_udp = s.notifier->port("udp");
    s.notifier_http = s.notifier->port("http");
  }
  s.metrics_api = std::make_unique<Api>(fmt::format("http://127.0.0.1:{}", s.notifier_http));
  if (!s.counts()) return setup_error("notifier /metrics did not answer");
  if (cfg.verbose) std::fprintf(stderr, "daemons up after %.1f s\n", (steady_ms() - t_setup) / 1000);
  // The setup web app sends straight to the notifier (follow notifications).
  auto started = s.start_web(fmt::format("{}:{}", s.notifier_udp_host, s.notifier_udp), 1, 0);
  if (!started) return started.error();
  auto web = std::move(started.value());
  const std::string web_url = fmt::format("http://127.0.0.1:{}", web->port("http"));
  {
    auto k = sign::load_secret_key(s.data + "/keys/uwitter.key");
    if (!k) return setup_error("cannot read the web app's key: " + k.error().message);
    s.key.emplace(std::move(*k));
  }

  // 3. Users (Argon2id on the web app's threadpool: a few requests in flight).
  const std::string password = "bench-password-123";
  s.users.resize(cfg.users);
  std::mutex err_mu;
  auto fail = [&](const std::string& e) {
    std::lock_guard lk(err_mu);
    if (err.empty()) err = e;
    return false;
  };
  auto make_user = [&](Api& api, const std::string& name, User* u) {
    auto r = api.call("POST", "/api/v1/accounts", {{"username", name}, {"password", password}});
    if (r.status != 201 && r.status != 409)
      return fail(fmt::format("register {}: HTTP {} {}", name, r.status, r.raw + r.error));
    auto l = api.call("POST", "/api/v1/sessions", {{"username", name}, {"password", password}});
    if (!l.ok() || !l.body.is_object())
      return fail(fmt::format("login {}: HTTP {} {}", name, l.status, l.raw + l.error));
    u->name = name;
    u->token = l.body.value("token", "");
    u->id = l.body["user"].value("id", int64_t{0});
    return !u->token.empty() && u->id > 0 ? true : fail("login answer without token or user id");
  };
  // 4. The follow graph.
  GraphConfig gc;
  gc.users = cfg.users;
  gc.mean_following = cfg.mean_following;
  gc.seed = cfg.seed;
  s.graph = make_power_law_graph(gc);
  s.followers = s.graph.followers();
  // A work folder set up before with the same users, graph and seed is
  // reused (registration is Argon2id-bound: minutes for 1,000 users).
  const std::string setup_file = s.work + "/setup.json";
  const nlohmann::json setup_key = {
      {"users", cfg.users}, {"mean_following", cfg.mean_following}, {"seed", cfg.seed}};
  bool reused = false;
  if (std::ifstream in(setup_file); in) {
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || j.value("key", nlohmann::json()) != setup_key)
      return setup_error("the work folder was set up with other --users/--seed; use a fresh --work folder");
    auto load = [](const nlohmann::json& a, User* u) {
      u->id = a.at(0).get<int64_t>();
      u->name = a.at(1).get<std::string>();
      u->token = a.at(2).get<std::string>();
    };
    const auto& acc = j["accounts"];
    for (size_t i = 0; i < cfg.users && i < acc.size(); ++i) load(acc[i], &s.users[i]);
    load(j["settler"], &s.settler);
    reused = acc.size() == cfg.users;
    if (!reused) return setup_error("setup.json is incomplete; use a fresh --work folder");
  }
  if (!reused) {
    std::atomic<size_t> done{0};
    if (!parallel_for(web_url, cfg.users, 4, [&](Api& api, size_t i) {
          bool ok = make_user(api, bench_username(static_cast<uint32_t>(i)), &s.users[i]);
          if (on_post_progress) on_post_progress(++done, cfg.users);
          return ok && !interrupted();
        }))
      return setup_error(err.empty() ? "interrupted" : err);
    {
      Api api(web_url);
      if (!make_user(api, "settler", &s.settler)) return setup_error(err);
    }

    if (cfg.verbose)
      std::fprintf(stderr, "\nusers registered after %.1f s\n", (steady_ms() - t_setup) / 1000);
    done = 0;
    if (!parallel_for(web_url, s.graph.edges.size(), 4, [&](Api& api, size_t i) {
          auto [from, to] = s.graph.edges[i];
          auto r =
              api.call("PUT", "/api/v1/users/" + s.users[to].name + "/follow", nullptr, s.users[from].token);
          if (on_post_progress && (++done % 100 == 0 || done == s.graph.edges.size()))
            on_post_progress(done, s.graph.edges.size());
          return r.ok() ? !interrupted() : fail(fmt::format("follow: HTTP {} {}", r.status, r.raw + r.error));
        }))
      return setup_error(err.empty() ? "interrupted" : err);

    if (cfg.verbose) std::fprintf(stderr, "\nfollows done after %.1f s\n", (steady_ms() - t_setup) / 1000);

    nlohmann::json acc = nlohmann::json::array();
    for (const auto& u : s.users) acc.push_back({u.id, u.name, u.token});
    std::ofstream(setup_file) << nlohmann::json{{"key", setup_key},
                                                {"accounts", acc},
                                                {"settler", {s.settler.id, s.settler.name, s.settler.token}}}
                                     .dump();
  }

  // 5. SSE streams for every user (or a sample: the first N by index, which
  // includes the most followed users).
  const uint32_t streams = cfg.sse_sample == 0 ? cfg.users : std::min(cfg.sse_sample, cfg.users);
  s.has_stream.assign(cfg.users, false);
  std::vector<std::string> tickets(streams);
  if (!parallel_for(web_url, streams, 4, [&](Api& api, size_t i) {
        auto r = api.call("GET", "/api/v1/notifications/ticket", nullptr, s.users[i].token);
        if (!r.ok() || !r.body.is_object())
          return fail(fmt::format("ticket: HTTP {} {}", r.status, r.raw + r.error));
        tickets[i] = r.body.value("ticket", "");
        return true;
      }))
    return setup_error(err);
  s.hub = std::make_unique<SseHub>();
  for (uint32_t i = 0; i < streams; ++i) {
    if (auto e = s.hub->open(s.notifier_http, "/events?ticket=" + url_encode(tickets[i]),
                             static_cast<uint32_t>(s.users[i].id));
        !e)
      return setup_error("cannot open an SSE stream: " + e.error().message);
    s.has_stream[i] = true;
  }
  if (!wait_for([&] { return s.hub->connected() + s.hub->closed() >= streams; }, 60s) || s.hub->closed() > 0)
    return setup_error(fmt::format("only {} of {} SSE streams connected ({} refused)", s.hub->connected(),
                                   streams, s.hub->closed()));
  if (web->terminate() != 0)
    return setup_error("the setup web app did not stop cleanly: " + web->stderr_tail(600));
  return Unit{};
}

PointResult Runner::run_point(const SweepPoint& p, int index) {
  State& s = *s_;
  const RunnerConfig& cfg = s.cfg;
  PointResult r;
  r.sweep = p.sweep;
  r.injected = p.injected;
  r.burst_len = p.sweep == "burst" ? p.impairment.burst_len : 0;
  r.copies = p.copies;
  r.spaced = p.spaced;
  const double t0 = steady_ms();
  std::string err;

  // The relay for this point.
  Child lossy;
  const std::string truth_path = fmt::format("{}/truth-{:03}.tsv", s.work, index);
  const auto& imp = p.impairment;
  std::vector<std::string> argv = {cfg.lossy_bin,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--forward",
                                   fmt::format("{}:{}", s.notifier_udp_host, s.notifier_udp),
                                   "--seed",
                                   std::to_string(imp.seed),
                                   "--truth",
                                   truth_path};
  auto add = [&](const char* flag, double v) {
    if (v != 0) argv.insert(argv.end(), {flag, fmt::format("{}", v)});
  };
  add("--drop", imp.drop);
  add("--burst-loss", imp.burst_loss);
  if (imp.burst_loss > 0) add("--burst-len", imp.burst_len);
  add("--duplicate", imp.duplicate);
  add("--reorder", imp.reorder);
  add("--reorder-delay-ms", imp.reorder_delay_ms);
  add("--corrupt", imp.corrupt);
  add("--delay-ms", imp.delay_ms);
  add("--jitter-ms", imp.jitter_ms);
  if (!lossy.start(argv, s.log("lossy"), kDieWithRunner) || !lossy.wait_listening(1, 20s)) {
    r.error = "uwitter-lossy did not start: " + lossy.error() + lossy.stderr_tail(300);
    return r;
  }
  auto started =
      s.start_web(fmt::format("127.0.0.1:{}", lossy.port("udp")), p.copies, p.spaced ? cfg.spacing_us : 0);
  if (!started) {
    r.error = started.error().message;
    return r;
  }
  auto web = std::move(started.value());
  const std::string web_url = fmt::format("http://127.0.0.1:{}", web->port("http"));

  (void)s.hub->take();  // stragglers of an earlier point are not this point's
  auto before = s.counts();
  if (!before) {
    r.error = "notifier /metrics unreachable";
    return r;
  }

  // The workload.
  WorkloadConfig wc;
  wc.uweets = cfg.uweets;
  wc.mention_fraction = cfg.mention_fraction;
  wc.seed = cfg.seed;
  wc.point = index;
  const auto plan = plan_uweets(wc, cfg.users, bench_username);
  std::vector<Posted> posted(plan.size());
  std::mutex err_mu;
  std::atomic<size_t> done{0};
  const auto start = std::chrono::steady_clock::now();
  const bool ok = parallel_for(web_url, plan.size(), cfg.post_threads, [&](Api& api, size_t i) {
    if (cfg.rate > 0)
      std::this_thread::sleep_until(start + std::chrono::duration<double>(static_cast<double>(i) / cfg.rate));
    const auto& u = s.users[plan[i].author];
    auto res = api.call("POST", "/api/v1/uweets", {{"text", plan[i].text}}, u.token);
    if (res.status != 201 || !res.body.is_object()) {
      std::lock_guard lk(err_mu);
      if (err.empty()) err = fmt::format("post: HTTP {} {}", res.status, res.raw + res.error);
      return false;
    }
    posted[i] = Posted{res.body.value("id", int64_t{0}), steady_ms()};
    const size_t d = ++done;
    if (on_post_progress && (d % 50 == 0 || d == plan.size())) on_post_progress(d, plan.size());
    return !interrupted();
  });
  if (!ok) {
    r.error = err.empty() ? "interrupted" : err;
    return r;
  }
  // Stop the web app (its emitter flushes and sends spaced copies at once),
  // then read what it says it sent from... nothing: /metrics dies with it. So
  // read it first, let the spaced copies go out, and read it again.
  Api web_api(web_url);
  auto web_metric = [&](const char* name) -> uint64_t {
    auto m = parse_prometheus(web_api.get_text("/metrics").raw);
    return static_cast<uint64_t>(m[name]);
  };
  if (p.spaced) {
    // The emitter holds spaced copies for at most the spacing interval; wait
    // until its datagram count stops growing (polled, with a deadline).
    uint64_t last = UINT64_MAX;
    wait_for(
        [&] {
          const uint64_t now = web_metric("uwitter_emitter_datagrams_total");
          const bool still = now == last;
          last = now;
          return still;
        },
        5s);
  }
  r.web_datagrams = web_metric("uwitter_emitter_datagrams_total");
  r.web_dropped =
      web_metric("uwitter_emitter_dropped_total") + web_metric("uwitter_emitter_send_errors_total");
  if (int st = web->terminate(); st != 0) r.error = fmt::format("uwitter-web exited with {}", st);
  lossy.terminate();
  const auto summary = lossy.wait_line_starting("summary", 5s);
  const uint64_t forwarded = summary ? field_u64(*summary, "forwarded") : 0;

  // Wait until the notifier has read every forwarded datagram and fanned out.
  std::map<std::string, double> raw;
  wait_for(
      [&] {
        auto c = s.counts(&raw);
        if (!c) return false;
        const uint64_t got = (c->received - before->received) + (c->kernel_drops - before->kernel_drops);
        return got >= forwarded && raw["uwitter_notifier_fanout_pending"] == 0 &&
               raw["uwitter_notifier_fanout_active_jobs"] == 0;
      },
      20s);
  // Every event the notifier wrote to a stream reaches us (all streams are ours).
  auto sent_to_streams = [&] {
    std::map<std::string, double> m;
    if (!s.counts(&m)) return 0.0;
    return m["uwitter_notifier_sse_events_sent_total"];
  };
  double sent_total = sent_to_streams();
  wait_for(
      [&] {
        const double now_sent = sent_to_streams();
        if (now_sent != sent_total) {
          sent_total = now_sent;
          return false;
        }
        return static_cast<double>(s.hub->receipts()) >= now_sent;
      },
      20s);

  if (auto e = s.settle(); !e && r.error.empty()) r.error = e.error().message;
  auto after = s.counts();
  if (!after) {
    r.error = "notifier /metrics unreachable";
    return r;
  }
  NotifierCounts d = *after - *before;
  d.verified = d.verified > 0 ? d.verified - 1 : 0;  // the settle datagram
  d.received = d.received > 0 ? d.received - 1 : 0;

  // Ground truth and accounting.
  const auto records = lossy::read_truth_file(truth_path);
  const DatagramTruth truth = account_truth(records);
  std::map<NoteKey, double> expected;
  for (size_t i = 0; i < plan.size(); ++i) {
    for (uint32_t f : s.followers[plan[i].author])
      if (s.has_stream[f])
        expected[NoteKey{static_cast<uint32_t>(s.users[f].id), 'u', posted[i].id}] = posted[i].ack_ms;
    if (plan[i].mention && s.has_stream[*plan[i].mention])
      expected[NoteKey{static_cast<uint32_t>(s.users[*plan[i].mention].id), 'm', posted[i].id}] =
          posted[i].ack_ms;
  }
  const auto receipts = s.hub->take();
  const NotificationStats ns = account_notifications(expected, receipts, truth.event_delivered);

  r.sent = truth.sent;
  r.logical = truth.logical;
  r.relay_delivered = truth.delivered;
  r.accepted = d.verified;
  const Prediction pr =
      predict(p, truth, cfg.confidence, cfg.ge_trials, cfg.seed + 7919 * static_cast<uint64_t>(index));
  r.predicted = pr.ratio;
  r.predicted_iv = pr.count;
  r.within = pr.count.contains(static_cast<double>(r.accepted));
  r.measured_ci = wilson_interval(r.accepted, r.logical, cfg.confidence);
  r.lost_gap = d.lost;
  r.expected_lost_gap = truth.expected_lost_gap;
  r.duplicates = d.duplicates;
  r.expected_duplicates = truth.expected_duplicates;
  r.bad_signature = d.rejected.count("bad_signature") ? d.rejected.at("bad_signature") : 0;
  r.rejected_other = d.rejected_total(false) - r.bad_signature;
  r.corrupted_copies = truth.corrupted_copies;
  r.kernel_drops = d.kernel_drops;
  r.notes_expected = ns.expected;
  r.notes_arrived = ns.arrived;
  r.notes_duplicate = ns.duplicates;
  r.notes_unexpected = ns.unexpected;
  r.notes_from_undelivered = ns.from_undelivered;
  r.notes_deliverable = ns.expected_deliverable;
  r.p50_ms = ns.p50_ms;
  r.p90_ms = ns.p90_ms;
  r.p99_ms = ns.p99_ms;
  r.max_ms = ns.max_ms;
  r.seconds = (steady_ms() - t0) / 1000.0;
  if (cfg.verbose)
    std::fprintf(
        stderr,
        "\n[point %d] web sent=%llu dropped=%llu; relay forwarded=%llu notifier: received=%llu verified=%llu "
        "dups=%llu lost=%llu kdrops=%llu "
        "rejected=%llu; truth: sent=%llu logical=%llu delivered=%llu; notes expected=%llu deliverable=%llu "
        "arrived=%llu unexpected=%llu bad_events=%llu\n",
        index, (unsigned long long)r.web_datagrams, (unsigned long long)r.web_dropped,
        (unsigned long long)forwarded, (unsigned long long)d.received, (unsigned long long)d.verified,
        (unsigned long long)d.duplicates, (unsigned long long)d.lost, (unsigned long long)d.kernel_drops,
        (unsigned long long)d.rejected_total(false), (unsigned long long)truth.sent,
        (unsigned long long)truth.logical, (unsigned long long)truth.delivered,
        (unsigned long long)ns.expected, (unsigned long long)ns.expected_deliverable,
        (unsigned long long)ns.arrived, (unsigned long long)ns.unexpected,
        (unsigned long long)s.hub->bad_events());
  return r;
}

}  // namespace uw::bench
