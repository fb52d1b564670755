#include "core/flags.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace uw {

Flags::Flags(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void Flags::value(std::string name, std::string metavar, std::string help, FlagApply apply) {
  flags_.push_back(Flag{std::move(name), std::move(metavar), std::move(help), std::move(apply), nullptr});
}

void Flags::toggle(std::string name, std::string help, bool* target) {
  flags_.push_back(Flag{std::move(name), "", std::move(help), nullptr, target});
}

std::string Flags::help_text() const {
  std::string out = fmt::format("Usage: {} [flags]\n{}\n\nFlags:\n", program_, summary_);
  for (const auto& f : flags_) {
    std::string left = "--" + f.name + (f.metavar.empty() ? "" : " " + f.metavar);
    out += fmt::format("  {:<28} {}\n", left, f.help);
  }
  out += fmt::format("  {:<28} {}\n", "--help", "show this help and exit");
  out += fmt::format("  {:<28} {}\n", "--version", "print the version and exit");
  return out;
}

int Flags::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(help_text().c_str(), stdout);
      exit_now_ = true;
      return 0;
    }
    if (arg == "--version") {
      std::printf("%s %s\n", program_.c_str(), UWITTER_VERSION);
      exit_now_ = true;
      return 0;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), val;
    bool has_val = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      val = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_val = true;
    }
    const Flag* flag = nullptr;
    for (const auto& f : flags_)
      if (f.name == name) flag = &f;
    if (!flag) {
      std::fprintf(stderr, "%s: unknown flag --%s (see --help)\n", program_.c_str(), name.c_str());
      exit_now_ = true;
      return 2;
    }
    if (flag->toggle) {
      if (has_val) {
        std::fprintf(stderr, "%s: --%s takes no value\n", program_.c_str(), name.c_str());
        exit_now_ = true;
        return 2;
      }
      *flag->toggle = true;
      continue;
    }
    if (!has_val) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: --%s needs a value %s\n", program_.c_str(), name.c_str(),
                     flag->metavar.c_str());
        exit_now_ = true;
        return 2;
      }
      val = argv[++i];
    }
    if (auto applied = flag->apply(val); !applied.ok()) {
      std::fprintf(stderr, "%s: --%s %s: %s\n", program_.c_str(), name.c_str(), val.c_str(),
                   applied.error().message.c_str());
      exit_now_ = true;
      return 2;
    }
  }
  return 0;
}

std::optional<HostPort> parse_host_port(const std::string& s) {
  HostPort hp;
  std::string port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    hp.host = s.substr(1, close - 1);
    if (hp.host.empty()) return std::nullopt;
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    hp.host = s.substr(0, colon);
    if (hp.host.find(':') != std::string::npos) return std::nullopt;
    port = s.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5) return std::nullopt;
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  long p = std::strtol(port.c_str(), nullptr, 10);
  if (p > 65535) return std::nullopt;
  hp.port = static_cast<uint16_t>(p);
  return hp;
}

FlagApply host_port_flag(HostPort* out) {
  return [out](const std::string& v) -> Result<Unit> {
    auto hp = parse_host_port(v);
    if (!hp) return bad_value("expected HOST:PORT");
    *out = *hp;
    return Unit{};
  };
}

FlagApply text_flag(std::string* out) {
  return [out](const std::string& v) -> Result<Unit> {
    *out = v;
    return Unit{};
  };
}

FlagApply whole_flag(uint64_t* out, uint64_t min, uint64_t max) {
  return [out, min, max](const std::string& v) -> Result<Unit> {
    uint64_t x = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (v.empty() || ec == std::errc::invalid_argument || end != v.data() + v.size())
      return bad_value("not a whole number");
    if (ec == std::errc::result_out_of_range || x < min || x > max)
      return bad_value(fmt::format("out of range {}..{}", min, max));
    *out = x;
    return Unit{};
  };
}

FlagApply number_flag(double* out, double min, double max) {
  return [out, min, max](const std::string& v) -> Result<Unit> {
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || d != d) return bad_value("not a number");
    if (d < min || d > max) return bad_value(fmt::format("out of range {}..{}", min, max));
    *out = d;
    return Unit{};
  };
}

std::optional<uint64_t> parse_size(const std::string& s) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    auto d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string unit = s.substr(i);
  uint64_t mul = 1;
  if (unit.empty() || unit == "B")
    mul = 1;
  else if (unit == "KiB" || unit == "K" || unit == "k")
    mul = 1024;
  else if (unit == "MiB" || unit == "M")
    mul = uint64_t{1024} * 1024;
  else if (unit == "GiB" || unit == "G")
    mul = 1024ull * 1024 * 1024;
  else
    return std::nullopt;
  if (v > UINT64_MAX / mul) return std::nullopt;
  return v * mul;
}

}  // namespace uw
