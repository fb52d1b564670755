#pragma once
// The relay's ground truth: one text line per datagram that arrived, saying what
// the relay did to it. Written by uwitter-lossy (--truth FILE), read back by
// uwitter-bench and the tests. Format (space-separated, '#' starts a comment):
//
//   <index> <length> <hash> <actions> <delay_us> <session> <seq> <events>
//
//   index     arrival order at the relay, from 0
//   length    bytes
//   hash      FNV-1a 64 of the bytes as they ARRIVED, 16 hex digits; the k
//             copies a sender makes of one datagram share a hash
//   actions   "pass" or a comma list of drop, burst, corrupt@BYTE.BIT, dup, reorder
//   delay_us  hold before sending (delay + jitter + reorder delay)
//   session   envelope sender session id (hex) or "-" if the header was not parsed
//   seq       envelope sequence number or "-"
//   events    what the datagram carries, comma list of p<uweet> (post),
//             m<uweet>:<mentioned user> (mention), f<follower>:<followee>
//             (follow); "-" if none or not parsed. Optional when reading.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bench/lossy/impairment.hpp"

namespace uw::lossy {

// FNV-1a 64-bit hash (identifies identical copies; not a security function).
uint64_t fnv1a64(std::span<const uint8_t> bytes);

struct TruthRecord {
  uint64_t index = 0;
  uint32_t length = 0;
  uint64_t hash = 0;
  Decision decision;  // decision.index == index
  std::optional<uint64_t> session;
  std::optional<uint64_t> seq;
  std::string events = "-";

  // True when at least one intact (uncorrupted) copy left the relay.
  bool delivered_intact() const { return !decision.dropped() && !decision.corrupt; }
};

// Formats one line, without the trailing newline.
std::string format_truth(const TruthRecord& r);
// Parses one line; nullopt for comments, blank lines and malformed lines.
std::optional<TruthRecord> parse_truth(const std::string& line);
// Reads a whole truth file; malformed lines are counted in *bad (if given).
std::vector<TruthRecord> read_truth_file(const std::string& path, size_t* bad = nullptr);

// What a truth file adds up to.
struct TruthSummary {
  uint64_t received = 0;   // datagrams that arrived at the relay
  uint64_t forwarded = 0;  // copies that left it (duplicates count twice)
  uint64_t dropped = 0;    // by either loss process
  uint64_t dropped_independent = 0;
  uint64_t dropped_burst = 0;
  uint64_t duplicated = 0;  // got an extra copy (and were not dropped)
  uint64_t reordered = 0;
  uint64_t corrupted = 0;           // forwarded with a flipped bit
  uint64_t distinct = 0;            // distinct hashes: logical datagrams (copies merged)
  uint64_t distinct_delivered = 0;  // logical datagrams with at least one intact copy out
  uint64_t intact_forwarded = 0;    // intact copies out, duplicates included
};
TruthSummary summarize(std::span<const TruthRecord> records);

}  // namespace uw::lossy
