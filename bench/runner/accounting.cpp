#include "bench/runner/accounting.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>

namespace uw::bench {

uint64_t NotifierCounts::rejected_total(bool include_duplicate) const {
  uint64_t s = 0;
  for (const auto& [reason, n] : rejected)
    if (include_duplicate || reason != "duplicate") s += n;
  return s;
}

NotifierCounts operator-(const NotifierCounts& a, const NotifierCounts& b) {
  auto sub = [](uint64_t x, uint64_t y) { return x >= y ? x - y : 0; };
  NotifierCounts d;
  d.received = sub(a.received, b.received);
  d.verified = sub(a.verified, b.verified);
  d.duplicates = sub(a.duplicates, b.duplicates);
  d.lost = sub(a.lost, b.lost);
  d.kernel_drops = sub(a.kernel_drops, b.kernel_drops);
  for (const auto& [r, n] : a.rejected) {
    auto it = b.rejected.find(r);
    d.rejected[r] = sub(n, it == b.rejected.end() ? 0 : it->second);
  }
  return d;
}

DatagramTruth account_truth(std::span<const lossy::TruthRecord> records) {
  DatagramTruth t;
  struct Logical {
    uint32_t index;
    bool delivered = false;
    uint64_t intact = 0;
    std::optional<uint64_t> seq;
  };
  std::map<std::pair<uint64_t, uint64_t>, Logical> by_key;  // (session or hash, seq or 0)
  for (const auto& r : records) {
    ++t.sent;
    const auto key = r.seq ? std::pair{r.session.value_or(0), *r.seq} : std::pair{r.hash, uint64_t{0}};
    auto [it, fresh] =
        by_key.try_emplace(key, Logical{static_cast<uint32_t>(by_key.size()), false, 0, r.seq});
    t.arrival_groups.push_back(it->second.index);
    const int out = r.decision.copies_out();
    if (r.decision.corrupt) t.corrupted_copies += static_cast<uint64_t>(out);
    if (r.delivered_intact()) {
      t.intact_copies += static_cast<uint64_t>(out);
      it->second.intact += static_cast<uint64_t>(out);
      it->second.delivered = true;
    }
    if (r.events != "-") {
      std::stringstream in(r.events);
      std::string ev;
      while (std::getline(in, ev, ',')) t.event_delivered[ev] |= r.delivered_intact();
    }
  }
  t.logical = by_key.size();
  std::map<uint64_t, std::vector<std::pair<uint64_t, bool>>> per_session;  // session -> (seq, delivered)
  for (const auto& [key, l] : by_key) {
    if (l.delivered) {
      ++t.delivered;
      t.expected_duplicates += l.intact - 1;
    }
    if (l.seq) per_session[key.first].emplace_back(*l.seq, l.delivered);
  }
  // The notifier counts as lost the numbers below the highest it accepted that
  // it never accepted (a gap, or settled when the session ends). Numbers above
  // the last accepted one are invisible to it.
  for (auto& [session, seqs] : per_session) {
    uint64_t top = 0, first = UINT64_MAX;
    std::unordered_map<uint64_t, bool> ok;
    for (auto [s, d] : seqs) {
      if (d) top = std::max(top, s);
      first = std::min(first, s);
      ok[s] = ok[s] || d;
    }
    if (top == 0) continue;
    uint64_t delivered_below = 0;
    for (auto [s, d] : ok) delivered_below += (d && s <= top) ? 1 : 0;
    // Sequence numbers start at 1 for a session the notifier saw from its start.
    const uint64_t from = first <= 4096 ? 1 : first;
    t.expected_lost_gap += (top - from + 1) - delivered_below;
  }
  return t;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  const size_t j = std::min(i + 1, v.size() - 1);
  return v[i] + (v[j] - v[i]) * (pos - static_cast<double>(i));
}

NotificationStats account_notifications(const std::map<NoteKey, double>& expected,
                                        std::span<const Receipt> receipts,
                                        const std::map<std::string, bool>& event_delivered) {
  NotificationStats s;
  s.expected = expected.size();
  auto event_of = [](const NoteKey& k) {
    // A uweet notification comes from the post event; a mention from the mention event.
    return k.kind == 'u' ? fmt::format("p{}", k.uweet_id) : fmt::format("m{}:{}", k.uweet_id, k.recipient);
  };
  auto delivered = [&](const NoteKey& k, bool* known) {
    auto it = event_delivered.find(event_of(k));
    *known = it != event_delivered.end();
    return *known && it->second;
  };
  if (!event_delivered.empty()) {
    for (const auto& [k, t] : expected) {
      bool known = false;
      s.expected_deliverable += delivered(k, &known) ? 1 : 0;
    }
  }
  std::map<NoteKey, int> seen;
  for (const auto& r : receipts) {
    int& n = seen[r.key];
    if (++n > 1) {
      ++s.duplicates;
      continue;
    }
    auto it = expected.find(r.key);
    if (it == expected.end()) {
      ++s.unexpected;
      continue;
    }
    ++s.arrived;
    s.latencies_ms.push_back(r.at_ms - it->second);
    // event_delivered is keyed by user ids, not bench indices: the caller
    // gives receipts and expectations in the same id space it used for events.
    bool known = false;
    if (!event_delivered.empty() && !delivered(r.key, &known) && known) ++s.from_undelivered;
  }
  s.p50_ms = percentile(s.latencies_ms, 0.5);
  s.p90_ms = percentile(s.latencies_ms, 0.9);
  s.p99_ms = percentile(s.latencies_ms, 0.99);
  s.max_ms = s.latencies_ms.empty() ? 0 : *std::max_element(s.latencies_ms.begin(), s.latencies_ms.end());
  return s;
}

}  // namespace uw::bench
