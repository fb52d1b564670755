#pragma once
// uw::bench accounting: what one sweep point measured, computed from the
// relay's truth file, the notifier's counters and the SSE receipts. Pure
// functions; thread-safe.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "bench/lossy/truth.hpp"
#include "bench/runner/stats.hpp"

namespace uw::bench {

// The notifier's counters (deltas over one point), from /metrics.
struct NotifierCounts {
  uint64_t received = 0;
  uint64_t verified = 0;
  uint64_t duplicates = 0;
  uint64_t lost = 0;
  uint64_t kernel_drops = 0;
  std::map<std::string, uint64_t>
      rejected;  // by reason, duplicates included if the notifier counts them here
  uint64_t rejected_total(bool include_duplicate) const;
};
NotifierCounts operator-(const NotifierCounts& after, const NotifierCounts& before);

// Datagram-level ground truth of one point, from the relay's truth file.
struct DatagramTruth {
  uint64_t sent = 0;                 // copies the web app sent = arrivals at the relay
  uint64_t logical = 0;              // distinct datagrams (sender session + sequence)
  uint64_t delivered = 0;            // logical datagrams with at least one intact copy forwarded
  uint64_t corrupted_copies = 0;     // copies forwarded with a flipped bit
  uint64_t intact_copies = 0;        // intact copies forwarded
  uint64_t expected_duplicates = 0;  // intact copies beyond the first of each logical datagram
  uint64_t expected_lost_gap = 0;  // sequence numbers below the highest delivered one never delivered intact
  // Arrival order, as indices of logical datagrams: input to simulate_ge_delivered.
  std::vector<uint32_t> arrival_groups;
  // Event key ("p12", "m12:7") -> true if some datagram carrying it was delivered intact.
  std::map<std::string, bool> event_delivered;
};
// Records of one sender session should be given; records without an envelope
// header (session/seq "-") are keyed by hash instead.
DatagramTruth account_truth(std::span<const lossy::TruthRecord> records);

// One notification as the bench expects it or saw it on a stream.
struct NoteKey {
  uint32_t recipient = 0;  // the user id in the web app (the id space of the events)
  char kind = 'u';         // 'u' uweet, 'm' mention
  int64_t uweet_id = 0;
  auto operator<=>(const NoteKey&) const = default;
};

struct Receipt {
  NoteKey key;
  double at_ms = 0;  // steady-clock ms
};

struct NotificationStats {
  uint64_t expected = 0;
  uint64_t arrived = 0;               // distinct expected keys that arrived
  uint64_t duplicates = 0;            // receipts beyond the first for a key (must be 0)
  uint64_t unexpected = 0;            // receipts for keys nobody expected
  uint64_t from_undelivered = 0;      // arrived although no intact datagram carried it (must be 0)
  uint64_t expected_deliverable = 0;  // expected keys whose event the relay delivered intact
  std::vector<double> latencies_ms;   // ack of the post -> first receipt, per arrived key
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};
// expected: key -> post acknowledgement time (steady-clock ms).
// event_delivered from the truth (empty map: unknown, skip that check).
NotificationStats account_notifications(const std::map<NoteKey, double>& expected,
                                        std::span<const Receipt> receipts,
                                        const std::map<std::string, bool>& event_delivered);

double percentile(std::vector<double> v, double q);

}  // namespace uw::bench
