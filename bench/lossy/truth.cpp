#include "bench/lossy/truth.hpp"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace uw::lossy {

uint64_t fnv1a64(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string format_truth(const TruthRecord& r) {
  return fmt::format("{} {} {:016x} {} {} {} {} {}", r.index, r.length, r.hash, r.decision.actions(),
                     r.decision.delay_us, r.session ? fmt::format("{:x}", *r.session) : "-",
                     r.seq ? fmt::format("{}", *r.seq) : "-", r.events.empty() ? "-" : r.events);
}

namespace {

template <class T>
bool parse_num(const std::string& s, T* out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_actions(const std::string& s, Decision* d) {
  if (s == "pass") return true;
  std::stringstream in(s);
  std::string a;
  bool any = false;
  while (std::getline(in, a, ',')) {
    any = true;
    if (a == "drop")
      d->drop_independent = true;
    else if (a == "burst")
      d->drop_burst = true;
    else if (a == "dup")
      d->duplicate = true;
    else if (a == "reorder")
      d->reorder = true;
    else if (a.rfind("corrupt@", 0) == 0) {
      auto dot = a.find('.', 8);
      if (dot == std::string::npos) return false;
      unsigned bit = 0;
      if (!parse_num(a.substr(8, dot - 8), &d->corrupt_byte) || !parse_num(a.substr(dot + 1), &bit) ||
          bit > 7)
        return false;
      d->corrupt = true;
      d->corrupt_bit = static_cast<uint8_t>(bit);
    } else {
      return false;
    }
  }
  return any;
}

}  // namespace

std::optional<TruthRecord> parse_truth(const std::string& line) {
  if (line.empty() || line[0] == '#') return std::nullopt;
  std::istringstream in(line);
  std::string f[8], extra;
  for (int i = 0; i < 7; ++i)
    if (!(in >> f[i])) return std::nullopt;
  const bool has_events = static_cast<bool>(in >> f[7]);  // the 8th field is optional
  if (in >> extra) return std::nullopt;
  TruthRecord r;
  if (!parse_num(f[0], &r.index) || !parse_num(f[1], &r.length) || f[2].size() != 16 ||
      !parse_num(f[2], &r.hash, 16) || !parse_actions(f[3], &r.decision) ||
      !parse_num(f[4], &r.decision.delay_us))
    return std::nullopt;
  r.decision.index = r.index;
  if (f[5] != "-") {
    uint64_t v = 0;
    if (!parse_num(f[5], &v, 16)) return std::nullopt;
    r.session = v;
  }
  if (f[6] != "-") {
    uint64_t v = 0;
    if (!parse_num(f[6], &v)) return std::nullopt;
    r.seq = v;
  }
  if (has_events) r.events = f[7];
  return r;
}

std::vector<TruthRecord> read_truth_file(const std::string& path, size_t* bad) {
  std::vector<TruthRecord> out;
  std::ifstream in(path);
  std::string line;
  size_t nbad = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (auto r = parse_truth(line))
      out.push_back(*r);
    else
      ++nbad;
  }
  if (bad) *bad = nbad;
  return out;
}

TruthSummary summarize(std::span<const TruthRecord> records) {
  TruthSummary s;
  std::unordered_map<uint64_t, bool> by_hash;  // hash -> some intact copy left
  for (const auto& r : records) {
    const Decision& d = r.decision;
    ++s.received;
    s.forwarded += static_cast<uint64_t>(d.copies_out());
    if (d.dropped()) ++s.dropped;
    if (d.drop_independent) ++s.dropped_independent;
    if (d.drop_burst) ++s.dropped_burst;
    if (!d.dropped() && d.duplicate) ++s.duplicated;
    if (!d.dropped() && d.reorder) ++s.reordered;
    if (!d.dropped() && d.corrupt) ++s.corrupted;
    if (r.delivered_intact()) s.intact_forwarded += static_cast<uint64_t>(d.copies_out());
    by_hash[r.hash] |= r.delivered_intact();
  }
  s.distinct = by_hash.size();
  for (const auto& [h, ok] : by_hash) s.distinct_delivered += ok ? 1 : 0;
  return s;
}

}  // namespace uw::lossy
