#pragma once
// Reading one sample out of a Prometheus text page (what /metrics serves), for
// tests and benchmarks that poll a daemon. Part of the test-and-bench kit.
// Pure; any thread.
#include <sstream>
#include <string>

namespace uw::kit {

// Value of one sample ("name" or "name{labels}", exactly as written), -1 if absent.
inline double metric(const std::string& text, const std::string& sample) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    if (line.substr(0, sp) == sample) return std::stod(line.substr(sp + 1));
  }
  return -1;
}

}  // namespace uw::kit
