#include "bench/runner/prom.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace uw::bench {

std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    // The value follows the last space outside the label braces.
    size_t end_of_name = line.find('{') != std::string::npos ? line.rfind('}') : line.find(' ');
    if (end_of_name == std::string::npos) continue;
    size_t sp = line.find(' ', end_of_name);
    if (sp == std::string::npos) continue;
    std::string name = line.substr(0, line.find('{') != std::string::npos ? end_of_name + 1 : sp);
    std::string val = line.substr(sp + 1);
    if (auto sp2 = val.find(' '); sp2 != std::string::npos) val.resize(sp2);  // a timestamp may follow
    char* e = nullptr;
    double v = std::strtod(val.c_str(), &e);
    if (e == val.c_str() || *e != '\0') continue;
    out[name] = v;
  }
  return out;
}

NotifierCounts notifier_counts(const std::map<std::string, double>& m) {
  auto get = [&](const std::string& k) -> uint64_t {
    auto it = m.find(k);
    return it == m.end() || !(it->second >= 0) ? 0 : static_cast<uint64_t>(std::llround(it->second));
  };
  NotifierCounts c;
  c.received = get("uwitter_notifier_received_total");
  c.verified = get("uwitter_notifier_verified_total");
  c.duplicates = get("uwitter_notifier_duplicates_total");
  c.lost = get("uwitter_notifier_lost_total");
  c.kernel_drops = get("uwitter_notifier_kernel_drops_total");
  // Datagrams shed before a verify (a flood's share, docs/RELIABILITY.md) were
  // refused too: they count as rejections named "shed_<reason>".
  for (const auto& [prefix, name_prefix] :
       {std::pair<std::string, std::string>{"uwitter_notifier_rejected_total{reason=\"", ""},
        std::pair<std::string, std::string>{"uwitter_notifier_shed_total{reason=\"", "shed_"}}) {
    for (const auto& [k, v] : m) {
      if (k.rfind(prefix, 0) != 0) continue;
      auto q = k.find('"', prefix.size());
      if (q == std::string::npos) continue;
      c.rejected[name_prefix + k.substr(prefix.size(), q - prefix.size())] = get(k);
    }
  }
  return c;
}

}  // namespace uw::bench
