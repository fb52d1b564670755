#include "bench/transports/report.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace uw::bench::transports {

namespace {

const ScenarioResult* baseline(const std::vector<ScenarioResult>& rs) {
  for (const auto& r : rs)
    if (r.scenario.name == "none" && r.error.empty()) return &r;
  return nullptr;
}

std::string pct_over(double v, double base) {
  if (base <= 0) return "";
  return fmt::format("{:+.0f}%", (v / base - 1) * 100);
}

nlohmann::json phase_json(const PhaseNotes& n) {
  return {{"expected", n.expected},
          {"delivered", n.delivered},
          {"late", n.late},
          {"latest_ms", n.latest_ms},
          {"duplicates", n.duplicates}};
}

}  // namespace

std::string table(const std::vector<ScenarioResult>& rs, const Workload& w) {
  const ScenarioResult* b = baseline(rs);
  std::string out = fmt::format(
      "Transports: {} followers; fixed phase {} posts at {}/s; max phase {} clients for {} s; notifier "
      "SIGSTOPped "
      "{} ms\n\n",
      w.followers, w.fixed_posts, w.rate, w.max_threads, w.max_seconds, w.stop_ms);
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
        r.fixed.duplicates + r.max.duplicates + r.stop.duplicates);
  }
  out += fmt::format("\nNotifier SIGSTOPped for {} ms while posting at {}/s:\n", w.stop_ms, w.rate);
  out += fmt::format("{:<16} {:>6} {:>7} {:>8} {:>9} {:>9} {:>6} {:>8} {:>6} {:>8} {:>8}\n", "transport",
                     "posts", "failed", "stalled", "post max", "expected", "deliv", "late", "lost", "latest",
                     "n.lost");
  for (const auto& r : rs) {
    if (!r.error.empty() || r.scenario.name == "none") continue;
    uint64_t lost = r.stop.expected - r.stop.delivered;
    out += fmt::format("{:<16} {:>6} {:>7} {:>8} {:>7.0f}ms {:>9} {:>6} {:>8} {:>6} {:>6.0f}ms {:>8}\n",
                       r.scenario.label, r.stop_posts, r.stop_failed, r.stop_stalled, r.stop_post_max_ms,
                       r.stop.expected, r.stop.delivered, r.stop.late, lost, r.stop.latest_ms,
                       r.stop_notifier_lost);
  }
  out +=
      "\n(stalled: posts answered after more than 1 s; late: delivered more than 1 s after the post; n.lost: "
      "what "
      "the notifier itself counted lost)\n";
  return out;
}

std::string to_json(const std::vector<ScenarioResult>& rs, const Workload& w) {
  nlohmann::json j;
  j["workload"] = {{"followers", w.followers},     {"rate", w.rate},
                   {"fixed_posts", w.fixed_posts}, {"max_seconds", w.max_seconds},
                   {"max_threads", w.max_threads}, {"stop_ms", w.stop_ms},
                   {"late_ms", w.late_ms}};
  j["results"] = nlohmann::json::array();
  for (const auto& r : rs) {
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
                            {"stop",
                             {{"posts", r.stop_posts},
                              {"failed", r.stop_failed},
                              {"stalled", r.stop_stalled},
                              {"post_max_ms", r.stop_post_max_ms},
                              {"notifier_counted_lost", r.stop_notifier_lost},
                              {"delivery", phase_json(r.stop)}}},
                            {"sender_dropped", r.sender_dropped}});
  }
  return j.dump(2) + "\n";
}

std::string to_csv(const std::vector<ScenarioResult>& rs) {
  std::string out =
      "transport,post_p50_ms,post_p99_ms,post_max_ms,max_posts_per_s,sse_p50_ms,sse_p99_ms,web_cpu_us_per_"
      "post,"
      "notifier_cpu_us_per_post,failed_posts,duplicates,stop_posts,stop_failed,stop_stalled,stop_post_max_ms,"
      "stop_expected,stop_delivered,stop_late,stop_latest_ms,stop_notifier_lost,sender_dropped,broker_cpu_us_"
      "per_post,error\n";
  for (const auto& r : rs)
    out += fmt::format(
        "{},{:.3f},{:.3f},{:.3f},{:.1f},{:.3f},{:.3f},{:.1f},{:.1f},{},{},{},{},{},{:.1f},{},{},{},{:.1f},{},"
        "{},{:.1f},\"{}\"\n",
        r.scenario.name, r.post_p50_ms, r.post_p99_ms, r.post_max_ms, r.max_posts_per_s, r.sse_p50_ms,
        r.sse_p99_ms, r.web_cpu_us_per_post, r.notifier_cpu_us_per_post, r.failed_posts,
        r.fixed.duplicates + r.max.duplicates + r.stop.duplicates, r.stop_posts, r.stop_failed,
        r.stop_stalled, r.stop_post_max_ms, r.stop.expected, r.stop.delivered, r.stop.late, r.stop.latest_ms,
        r.stop_notifier_lost, r.sender_dropped, r.broker_cpu_us_per_post, r.error);
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
      "plot 'results.csv' using 3:xtic(1) skip 1 title 'POST p99', '' using 7 skip 1 title 'post -> SSE "
      "p99'\n";
  if (!put("results.json", to_json(rs, w)) || !put("results.csv", to_csv(rs)) || !put("transports.gp", gp))
    return Error{500, "out_dir", "cannot write into " + dir};
  return Unit{};
}

}  // namespace uw::bench::transports
