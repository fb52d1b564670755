#include "bench/runner/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace uw::bench {

std::string PointResult::label() const {
  std::string s = sweep == "baseline" ? "baseline" : fmt::format("{} {:g}%", sweep, injected * 100);
  if (sweep == "burst") s += fmt::format(" L={:g}", burst_len);
  s += fmt::format(" k={}", copies);
  if (copies > 1) s += spaced ? " spaced" : " b2b";
  return s;
}

bool PointResult::lost_agrees() const {
  const double diff = std::fabs(static_cast<double>(lost_gap) - static_cast<double>(expected_lost_gap));
  return diff <= 0.01 * static_cast<double>(sent);
}

std::string render_table(const std::vector<PointResult>& points) {
  std::string out =
      fmt::format("{:<26} {:>6} {:>6} {:>6} {:>7} {:>17} {:>3} {:>11} {:>11} {:>7} {:>4} {:>11} {:>3}\n",
                  "point", "sent", "logicl", "accept", "ratio", "model 99.9% count", "in", "lost n/truth",
                  "corrupt n/t", "notes%", "dup", "p50/p99 ms", "ok");
  for (const auto& p : points) {
    if (!p.error.empty()) {
      out += fmt::format("{:<26} ERROR: {}\n", p.label(), p.error);
      continue;
    }
    const bool ok = p.within && p.lost_agrees() && p.clean();
    out += fmt::format(
        "{:<26} {:>6} {:>6} {:>6} {:>7.4f} {:>8.0f}-{:<8.0f} {:>3} {:>5}/{:<5} {:>5}/{:<5} {:>6.1f}% {:>4} "
        "{:>5.0f}/{:<5.0f} {:>3}\n",
        p.label(), p.sent, p.logical, p.accepted, p.accepted_ratio(), p.predicted_iv.lo, p.predicted_iv.hi,
        p.within ? "yes" : "NO", p.lost_gap, p.expected_lost_gap, p.corrupt_refused(), p.corrupted_copies,
        p.notes_expected
            ? 100.0 * static_cast<double>(p.notes_arrived) / static_cast<double>(p.notes_expected)
            : 0.0,
        p.notes_duplicate, p.p50_ms, p.p99_ms, ok ? "ok" : "BAD");
  }
  return out;
}

namespace {
nlohmann::ordered_json point_json(const PointResult& p) {
  nlohmann::ordered_json j;
  j["label"] = p.label();
  j["sweep"] = p.sweep;
  j["injected"] = p.injected;
  j["burst_len"] = p.burst_len;
  j["copies"] = p.copies;
  j["spaced"] = p.spaced;
  j["datagrams"] = {{"web_sent", p.web_datagrams},
                    {"web_dropped", p.web_dropped},
                    {"sent", p.sent},
                    {"logical", p.logical},
                    {"relay_delivered", p.relay_delivered},
                    {"accepted", p.accepted},
                    {"accepted_ratio", p.accepted_ratio()},
                    {"measured_ci", {p.measured_ci.lo, p.measured_ci.hi}},
                    {"predicted_ratio", p.predicted},
                    {"predicted_count_interval", {p.predicted_iv.lo, p.predicted_iv.hi}},
                    {"within", p.within}};
  j["notifier_vs_truth"] = {{"lost_gap", p.lost_gap},
                            {"expected_lost_gap", p.expected_lost_gap},
                            {"lost_agrees", p.lost_agrees()},
                            {"duplicates", p.duplicates},
                            {"expected_duplicates", p.expected_duplicates},
                            {"bad_signature", p.bad_signature},
                            {"rejected_other", p.rejected_other},
                            {"corrupted_copies", p.corrupted_copies},
                            {"corrupt_refused", p.corrupt_refused()},
                            {"kernel_drops", p.kernel_drops}};
  j["notifications"] = {
      {"expected", p.notes_expected},
      {"arrived", p.notes_arrived},
      {"duplicates", p.notes_duplicate},
      {"unexpected", p.notes_unexpected},
      {"from_undelivered", p.notes_from_undelivered},
      {"deliverable", p.notes_deliverable},
      {"latency_ms", {{"p50", p.p50_ms}, {"p90", p.p90_ms}, {"p99", p.p99_ms}, {"max", p.max_ms}}}};
  j["seconds"] = p.seconds;
  if (!p.error.empty()) j["error"] = p.error;
  return j;
}
}  // namespace

std::string to_json(const std::vector<PointResult>& points) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& p : points) arr.push_back(point_json(p));
  return arr.dump(2) + "\n";
}

std::string to_csv(const std::vector<PointResult>& points) {
  std::string out =
      "sweep,injected,burst_len,copies,spaced,sent,logical,relay_delivered,accepted,accepted_ratio,ci_lo,ci_"
      "hi,"
      "predicted,pred_lo_ratio,pred_hi_ratio,within,lost_gap,expected_lost_gap,duplicates,expected_"
      "duplicates,"
      "bad_signature,rejected_other,corrupted_copies,kernel_drops,notes_expected,notes_arrived,notes_"
      "duplicate,"
      "notes_from_undelivered,p50_ms,p90_ms,p99_ms,max_ms,seconds,error,notes_deliverable,corrupt_refused,"
      "web_sent,web_dropped\n";
  for (const auto& p : points) {
    const double n = p.logical ? static_cast<double>(p.logical) : 1.0;
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{},{},{},{},{},{},{},{},{"
        "},{},{},"
        "{:.3f},{:.3f},{:.3f},{:.3f},{:.2f},\"{}\",{},{},{},{}\n",
        p.sweep, p.injected, p.burst_len, p.copies, p.spaced ? 1 : 0, p.sent, p.logical, p.relay_delivered,
        p.accepted, p.accepted_ratio(), p.measured_ci.lo, p.measured_ci.hi, p.predicted,
        p.predicted_iv.lo / n, p.predicted_iv.hi / n, p.within ? 1 : 0, p.lost_gap, p.expected_lost_gap,
        p.duplicates, p.expected_duplicates, p.bad_signature, p.rejected_other, p.corrupted_copies,
        p.kernel_drops, p.notes_expected, p.notes_arrived, p.notes_duplicate, p.notes_from_undelivered,
        p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms, p.seconds, p.error, p.notes_deliverable, p.corrupt_refused(),
        p.web_datagrams, p.web_dropped);
  }
  return out;
}

std::string gnuplot_script(const std::string& csv) {
  // Columns (1-based): 1 sweep, 2 injected, 3 burst_len, 4 copies, 5 spaced, 10 ratio, 11-12 CI,
  // 13 predicted, 14-15 prediction interval, 29 p50, 31 p99.
  return fmt::format(R"(# Written by uwitter-bench. Run: gnuplot plot.gp
set datafile separator ','
set key outside right top
set grid
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {{ set terminal pngcairo size 1200,800 }} else {{ set terminal png size 1200,800 }}

set output 'delivery.png'
set title 'Datagrams accepted against independent loss and corruption (measured, 99.9% Wilson CI; lines: model)'
set xlabel 'injected loss probability p'
set ylabel 'accepted / sent (logical datagrams)'
set xrange [-0.02:0.55]
set yrange [0.4:1.02]
sel(s, k) = (strcol(1) eq s && $4 == k) ? 1 : NaN
plot for [k=1:3] '{0}' skip 1 using ($2):(sel('drop',k) * $10):($11):($12) with yerrorbars pt 7 title sprintf('drop, k=%d', k), \
     for [k=1:3] 1 - x**k with lines dt 2 title sprintf('model 1-p^%d', k), \
     for [k=1:3] '{0}' skip 1 using ($2 + 0.004):(sel('corrupt',k) * $10):($11):($12) with yerrorbars pt 9 title sprintf('corrupt, k=%d', k)

set output 'burst.png'
set title 'Gilbert-Elliott burst loss: measured (99.9% Wilson CI) beside the model (99.9% range of simulations)'
set xlabel 'stationary burst loss rate (copies k offset to the right)'
set xrange [0:0.3]
set yrange [0.6:1.02]
plot for [k=1:3] '{0}' skip 1 using ($2 + 0.012*k - 0.006):(sel('burst',k) * $10):($11):($12) with yerrorbars pt 5 title sprintf('measured, k=%d', k), \
     for [k=1:3] '{0}' skip 1 using ($2 + 0.012*k):(sel('burst',k) * $13):($14):($15) with yerrorbars pt 4 lc rgb 'gray' title sprintf('GE model, k=%d', k)

set output 'latency.png'
set title 'Notification latency, post acknowledged -> SSE receipt'
set xlabel 'injected loss probability p'
set ylabel 'ms'
set autoscale y
set yrange [0:*]
plot for [k=1:3] '{0}' skip 1 using ($2):(sel('drop',k) * $29) with linespoints pt 7 title sprintf('p50, drop k=%d', k), \
     for [k=1:3] '{0}' skip 1 using ($2):(sel('drop',k) * $31) with linespoints pt 6 dt 2 title sprintf('p99, drop k=%d', k)
)",
                     csv);
}

}  // namespace uw::bench
