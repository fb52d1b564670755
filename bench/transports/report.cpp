#include "bench/transports/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "bench/runner/accounting.hpp"

namespace uw::bench::transports {

namespace {

const ScenarioResult* baseline(const std::vector<ScenarioResult>& rs) {
  for (const auto& r : rs)
    if (r.scenario.name == "none" && r.error.empty()) return &r;
  return nullptr;
}

std::string pct_over(double v, double base) {
  if (base <= 0) return "";
  return fmt::format("{:+.1f}%", (v / base - 1) * 100);
}

nlohmann::json phase_json(const PhaseNotes& n) {
  return {{"expected", n.expected},
          {"delivered", n.delivered},
          {"late", n.late},
          {"latest_ms", n.latest_ms},
          {"duplicates", n.duplicates}};
}

}  // namespace

std::string fault_title(const std::string& name, const Workload& w) {
  if (name == "stop") return fmt::format("notifier SIGSTOPped {} ms", w.stop_ms);
  if (name == "kill") return fmt::format("notifier SIGKILLed, restarted {} ms later", w.kill_ms);
  if (name == "broker") return "RabbitMQ broker stopped and started";
  if (name == "loss")
    return fmt::format("{:.0f}% loss: udp datagrams dropped (uwitter-lossy), stream connections reset",
                       w.loss * 100);
  return name;
}

std::string table(const std::vector<ScenarioResult>& rs, const Workload& w) {
  const ScenarioResult* b = baseline(rs);
  std::string out = fmt::format(
      "Transports: {} followers; fixed phase {} posts at {}/s; max phase {} clients for {} s; faults at "
      "{}/s: "
      "{}\n\n",
      w.followers, w.fixed_posts, w.rate, w.max_threads, w.max_seconds, w.rate, fmt::join(w.faults, ", "));
  out += fmt::format("{:<16} {:>8} {:>8} {:>7} {:>8} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>5}\n",
                     "transport", "post p50", "post p99", "vs base", "max/s", "vs base", "sse p50", "sse p99",
                     "web us", "notif us", "broker us", "failed", "dups");
  out +=
      fmt::format("{:<16} {:>8} {:>8} {:>7} {:>8} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>5}\n", "",
                  "ms", "ms", "p99", "posts/s", "max/s", "ms", "ms", "/post", "/post", "/post", "posts", "");
  for (const auto& r : rs) {
    if (!r.error.empty()) {
      out += fmt::format("{:<16} error: {}\n", r.scenario.label, r.error);
      continue;
    }
    bool notifies = r.scenario.name != "none";
    out += fmt::format(
        "{:<16} {:>8.2f} {:>8.2f} {:>7} {:>8.0f} {:>7} {:>8} {:>8} {:>8.0f} {:>9} {:>9} {:>7} {:>5}\n",
        r.scenario.label, r.post_p50_ms, r.post_p99_ms,
        b && notifies ? pct_over(r.post_p99_ms, b->post_p99_ms) : "", r.max_posts_per_s,
        b && notifies ? pct_over(r.max_posts_per_s, b->max_posts_per_s) : "",
        notifies ? fmt::format("{:.2f}", r.sse_p50_ms) : "-",
        notifies ? fmt::format("{:.2f}", r.sse_p99_ms) : "-", r.web_cpu_us_per_post,
        notifies ? fmt::format("{:.0f}", r.notifier_cpu_us_per_post) : "-",
        r.scenario.name == "amqp" ? fmt::format("{:.0f}", r.broker_cpu_us_per_post) : "-", r.failed_posts,
        r.fixed.duplicates + r.max.duplicates);
  }
  for (const auto& fault : w.faults) {
    bool any = false;
    for (const auto& r : rs) any = any || r.fault(fault) != nullptr;
    if (!any) continue;
    out += fmt::format("\nFault: {}, posting at {}/s:\n", fault_title(fault, w), w.rate);
    out += fmt::format("{:<16} {:>6} {:>7} {:>8} {:>9} {:>9} {:>6} {:>6} {:>6} {:>8} {:>5} {:>7} {:>6}\n",
                       "transport", "posts", "failed", "stalled", "post max", "expected", "deliv", "late",
                       "lost", "latest", "dups", "n.lost", "relay");
    for (const auto& r : rs) {
      const FaultResult* f = r.fault(fault);
      if (f == nullptr) continue;
      if (!f->error.empty()) {
        out += fmt::format("{:<16} error: {}\n", r.scenario.label, f->error);
        continue;
      }
      const PhaseNotes& d = f->delivery;
      out += fmt::format(
          "{:<16} {:>6} {:>7} {:>8} {:>7.0f}ms {:>9} {:>6} {:>6} {:>6} {:>6.0f}ms {:>5} {:>7} {:>6}\n",
          r.scenario.label, f->posts, f->failed, f->stalled, f->post_max_ms, d.expected, d.delivered, d.late,
          d.expected - d.delivered, d.latest_ms, d.duplicates, f->notifier_counted_lost,
          fault == "loss" ? std::to_string(f->relay_hits) : "-");
    }
  }
  out +=
      "\n(stalled: posts answered after more than 1 s; late: delivered more than 1 s after the post; n.lost: "
      "what "
      "the notifier itself counted lost; relay: datagrams the loss relay dropped, or connections it reset)\n";
  return out;
}

std::string rounds_table(const std::vector<ScenarioResult>& first,
                         const std::vector<std::vector<ScenarioResult>>& more) {
  struct Medians {
    double p50 = 0, p99 = 0, max = 0;
    std::vector<double> p99s;
  };
  // Calls fn with scenario i's result of every round that ran it without an error.
  auto each_round = [&](size_t i, const auto& fn) {
    if (first[i].error.empty()) fn(first[i]);
    for (const auto& round : more)
      if (i < round.size() && round[i].error.empty()) fn(round[i]);
  };
  auto medians = [&](size_t i) {
    std::vector<double> p50, p99, mx;
    Medians m;
    each_round(i, [&](const ScenarioResult& r) {
      p50.push_back(r.post_p50_ms);
      p99.push_back(r.post_p99_ms);
      mx.push_back(r.max_posts_per_s);
    });
    m.p99s = p99;
    m.p50 = percentile(p50, 0.5);
    m.p99 = percentile(p99, 0.5);
    m.max = percentile(mx, 0.5);
    return m;
  };
  std::optional<Medians> base;
  for (size_t i = 0; i < first.size(); ++i)
    if (first[i].scenario.name == "none") base = medians(i);
  std::string out =
      fmt::format("\nMedians over {} rounds (scenarios in turn, the order reversed every other round):\n",
                  more.size() + 1);
  out += fmt::format("{:<16} {:>9} {:>9} {:>8} {:>8} {:>8}  {}\n", "transport", "p50 ms", "p99 ms", "vs base",
                     "max/s", "vs base", "p99 of each round (ms)");
  for (size_t i = 0; i < first.size(); ++i) {
    Medians m = medians(i);
    bool notifies = first[i].scenario.name != "none";
    std::string each;
    for (double v : m.p99s) each += fmt::format("{}{:.2f}", each.empty() ? "" : " ", v);
    out += fmt::format("{:<16} {:>9.2f} {:>9.2f} {:>8} {:>8.0f} {:>8}  {}\n", first[i].scenario.label, m.p50,
                       m.p99, base && notifies ? pct_over(m.p99, base->p99) : "", m.max,
                       base && notifies ? pct_over(m.max, base->max) : "", each);
  }

  // Pooled: every post of every round of a scenario in one sample.
  struct Pooled {
    size_t posts = 0;
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0;
  };
  auto pooled = [&](size_t i) {
    std::vector<double> all;
    each_round(i,
               [&](const ScenarioResult& r) { all.insert(all.end(), r.post_ms.begin(), r.post_ms.end()); });
    return Pooled{all.size(), percentile(all, 0.5), percentile(all, 0.9), percentile(all, 0.99),
                  percentile(all, 0.999)};
  };
  std::optional<Pooled> pbase;
  for (size_t i = 0; i < first.size(); ++i)
    if (first[i].scenario.name == "none") pbase = pooled(i);
  out += "\nPooled (every post of every round in one sample):\n";
  out += fmt::format("{:<16} {:>7} {:>9} {:>9} {:>9} {:>8} {:>9} {:>8}\n", "transport", "posts", "p50 ms",
                     "p90 ms", "p99 ms", "vs base", "p99.9 ms", "vs base");
  for (size_t i = 0; i < first.size(); ++i) {
    Pooled p = pooled(i);
    bool compare = pbase && first[i].scenario.name != "none" && pbase->posts > 0;
    out +=
        fmt::format("{:<16} {:>7} {:>9.2f} {:>9.2f} {:>9.2f} {:>8} {:>9.2f} {:>8}\n", first[i].scenario.label,
                    p.posts, p.p50, p.p90, p.p99, compare ? pct_over(p.p99, pbase->p99) : "", p.p999,
                    compare ? pct_over(p.p999, pbase->p999) : "");
  }
  return out;
}

std::string to_json(const std::vector<ScenarioResult>& rs, const Workload& w) {
  nlohmann::json j;
  j["workload"] = {{"followers", w.followers},
                   {"rate", w.rate},
                   {"fixed_posts", w.fixed_posts},
                   {"max_seconds", w.max_seconds},
                   {"max_threads", w.max_threads},
                   {"stop_ms", w.stop_ms},
                   {"kill_ms", w.kill_ms},
                   {"recovery_ms", w.recovery_ms},
                   {"loss", w.loss},
                   {"loss_posts", w.loss_posts},
                   {"faults", w.faults},
                   {"late_ms", w.late_ms}};
  j["results"] = nlohmann::json::array();
  for (const auto& r : rs) {
    nlohmann::json faults = nlohmann::json::object();
    for (const auto& f : r.faults)
      faults[f.name] = {{"error", f.error},
                        {"posts", f.posts},
                        {"failed", f.failed},
                        {"stalled", f.stalled},
                        {"post_max_ms", f.post_max_ms},
                        {"notifier_counted_lost", f.notifier_counted_lost},
                        {"relay_hits", f.relay_hits},
                        {"delivery", phase_json(f.delivery)}};
    j["results"].push_back({{"transport", r.scenario.name},
                            {"error", r.error},
                            {"posts", r.posts},
                            {"failed_posts", r.failed_posts},
                            {"post_p50_ms", r.post_p50_ms},
                            {"post_p99_ms", r.post_p99_ms},
                            {"post_max_ms", r.post_max_ms},
                            {"sse_p50_ms", r.sse_p50_ms},
                            {"sse_p99_ms", r.sse_p99_ms},
                            {"max_posts_per_s", r.max_posts_per_s},
                            {"web_cpu_us_per_post", r.web_cpu_us_per_post},
                            {"notifier_cpu_us_per_post", r.notifier_cpu_us_per_post},
                            {"broker_cpu_us_per_post", r.broker_cpu_us_per_post},
                            {"fixed", phase_json(r.fixed)},
                            {"max", phase_json(r.max)},
                            {"faults", faults},
                            {"sender_dropped", r.sender_dropped}});
  }
  return j.dump(2) + "\n";
}

namespace {

// A CSV field in quotes: a quote inside it is doubled (RFC 4180).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

// One row per transport, then one per (transport, fault): the fault columns are
// empty on a transport's main row and the latency columns on its fault rows.
std::string to_csv(const std::vector<ScenarioResult>& rs) {
  std::string out =
      "transport,fault,post_p50_ms,post_p99_ms,post_max_ms,max_posts_per_s,sse_p50_ms,sse_p99_ms,web_cpu_us_"
      "per_post,notifier_cpu_us_per_post,broker_cpu_us_per_post,failed_posts,duplicates,expected,delivered,"
      "late,latest_ms,notifier_counted_lost,relay_hits,sender_dropped,error\n";
  for (const auto& r : rs) {
    out += fmt::format(
        "{},,{:.3f},{:.3f},{:.3f},{:.1f},{:.3f},{:.3f},{:.1f},{:.1f},{:.1f},{},{},,,,,,,{},{}\n",
        r.scenario.name, r.post_p50_ms, r.post_p99_ms, r.post_max_ms, r.max_posts_per_s, r.sse_p50_ms,
        r.sse_p99_ms, r.web_cpu_us_per_post, r.notifier_cpu_us_per_post, r.broker_cpu_us_per_post,
        r.failed_posts, r.fixed.duplicates + r.max.duplicates, r.sender_dropped, quoted(r.error));
    for (const auto& f : r.faults) {
      const PhaseNotes& d = f.delivery;
      out += fmt::format("{},{},,,{:.3f},,,,,,,{},{},{},{},{},{:.1f},{},{},,{}\n", r.scenario.name, f.name,
                         f.post_max_ms, f.failed, d.duplicates, d.expected, d.delivered, d.late, d.latest_ms,
                         f.notifier_counted_lost, f.relay_hits, quoted(f.error));
    }
  }
  return out;
}

std::string to_faults_csv(const std::vector<ScenarioResult>& rs, const Workload& w) {
  std::string out = "transport";
  for (const auto& f : w.faults) out += "," + f;
  out += "\n";
  for (const auto& r : rs) {
    if (r.faults.empty()) continue;
    out += r.scenario.name;
    for (const auto& name : w.faults) {
      const FaultResult* f = r.fault(name);
      // Empty (gnuplot skips it) where the fault does not apply or did not run.
      if (f == nullptr || !f->error.empty() || f->delivery.expected == 0) {
        out += ",";
        continue;
      }
      const auto& d = f->delivery;
      out += fmt::format(
          ",{:.2f}", 100.0 * static_cast<double>(d.expected - d.delivered) / static_cast<double>(d.expected));
    }
    out += "\n";
  }
  return out;
}

Result<Unit> write_files(const std::string& dir, const std::vector<ScenarioResult>& rs, const Workload& w) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{500, "out_dir", "cannot create " + dir + ": " + ec.message()};
  auto put = [&](const std::string& name, const std::string& text) -> bool {
    std::ofstream f(dir + "/" + name);
    f << text;
    return static_cast<bool>(f);
  };
  // Post p99 and post -> SSE p99 per transport, bars side by side.
  std::string gp =
      "# gnuplot transports.gp (in this folder): transports.png from results.csv\n"
      "set terminal pngcairo size 900,480\nset output 'transports.png'\nset datafile separator ','\n"
      "set style data histograms\nset style histogram cluster gap 1\nset style fill solid 0.8\n"
      "set ylabel 'ms'\nset title 'POST p99 and post -> SSE p99 per transport'\nset key top left\n"
      "plot \"< awk -F, 'NR > 1 && $2 == \\\"\\\"' results.csv\" using 4:xtic(1) title 'POST p99', '' using "
      "8 "
      "title 'post -> SSE p99'\n";
  // Notifications lost under each fault, per transport.
  std::string fgp =
      "# gnuplot faults.gp (in this folder): faults.png from faults.csv\n"
      "set terminal pngcairo size 900,480\nset output 'faults.png'\nset datafile separator ','\n"
      "set style data histograms\nset style histogram cluster gap 1\nset style fill solid 0.8\n"
      "set ylabel '% of notifications lost'\nset title 'Notifications lost under each fault'\n"
      "set key top right autotitle columnhead\nset yrange [0:*]\n";
  fgp += "plot ";
  for (size_t i = 0; i < w.faults.size(); ++i)
    fgp += fmt::format("{}'faults.csv' using {}{}", i ? ", " : "", i + 2, i ? "" : ":xtic(1)");
  fgp += "\n";
  if (!put("results.json", to_json(rs, w)) || !put("results.csv", to_csv(rs)) || !put("transports.gp", gp) ||
      !put("faults.csv", to_faults_csv(rs, w)) || !put("faults.gp", fgp))
    return Error{500, "out_dir", "cannot write into " + dir};
  return Unit{};
}

}  // namespace uw::bench::transports
