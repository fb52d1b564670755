#pragma once
// uw::bench reports: one PointResult per sweep point, written as a terminal
// table, JSON, CSV, and a gnuplot script (delivery ratio against injected loss
// with model curves, and latency). Pure formatting; thread-safe.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/runner/stats.hpp"

namespace uw::bench {

struct PointResult {
  // What was injected.
  std::string sweep;     // "baseline", "drop", "burst", "duplicate", "corrupt"
  double injected = 0;   // the probability of that sweep (drop/burst-loss/duplicate/corrupt)
  double burst_len = 0;  // burst sweep only
  int copies = 1;        // k
  bool spaced = false;   // copies spread over --udp-copy-spacing-us
  // Datagrams (the unit the network loses).
  uint64_t web_datagrams = 0;    // copies the web app handed to the kernel (its /metrics)
  uint64_t web_dropped = 0;      // copies the web app dropped on a full socket buffer
  uint64_t sent = 0;             // copies the web app sent (relay arrivals)
  uint64_t logical = 0;          // distinct datagrams
  uint64_t relay_delivered = 0;  // logical with an intact copy forwarded (relay truth)
  uint64_t accepted = 0;         // notifier verified
  double predicted = 0;          // model: expected accepted / logical
  Interval predicted_iv;         // 99.9% interval of the accepted COUNT under the model
  Interval measured_ci;          // 99.9% Wilson interval of accepted / logical
  bool within = false;           // accepted in predicted_iv
  // The notifier's accounting against the relay's truth.
  uint64_t lost_gap = 0, expected_lost_gap = 0;
  uint64_t duplicates = 0, expected_duplicates = 0;
  uint64_t bad_signature = 0, rejected_other = 0, corrupted_copies = 0;
  uint64_t kernel_drops = 0;
  // Corrupted copies the notifier refused: every non-duplicate rejection, plus
  // duplicates beyond those the truth expects (a flipped sequence bit can make
  // a corrupted copy look like a replay, which is checked before the signature).
  uint64_t corrupt_refused() const {
    return bad_signature + rejected_other +
           (duplicates > expected_duplicates ? duplicates - expected_duplicates : 0);
  }
  // Notifications.
  uint64_t notes_expected = 0, notes_arrived = 0, notes_duplicate = 0, notes_unexpected = 0;
  uint64_t notes_from_undelivered = 0;
  uint64_t notes_deliverable = 0;  // expected notifications whose datagram the relay delivered intact
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  double seconds = 0;
  std::string error;  // non-empty if the point could not be run

  std::string label() const;  // e.g. "drop 20% k=2 spaced"
  double accepted_ratio() const {
    return logical ? static_cast<double>(accepted) / static_cast<double>(logical) : 0;
  }
  // |lost_gap - expected_lost_gap| <= 1% of sent.
  bool lost_agrees() const;
  // No notification twice, none from an undelivered (e.g. corrupted-only)
  // datagram, and every corrupted copy refused.
  bool clean() const {
    return notes_duplicate == 0 && notes_from_undelivered == 0 && corrupt_refused() == corrupted_copies;
  }
};

std::string render_table(const std::vector<PointResult>& points);
std::string to_json(const std::vector<PointResult>& points);  // an array, one object per point
std::string to_csv(const std::vector<PointResult>& points);   // header + one row per point

// gnuplot script that reads `csv_name` (in the same folder) and writes
// delivery.png, burst.png and latency.png (pngcairo if available, else png).
std::string gnuplot_script(const std::string& csv_name);

}  // namespace uw::bench
