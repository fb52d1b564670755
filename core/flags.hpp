#pragma once
// Command-line flags shared by every program: --name VALUE or --name=VALUE,
// boolean switches, repeatable flags, --help and --version.
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace uw {

// What a flag's value callback returns: Unit when the value is taken, or why
// it is refused (printed as "PROGRAM: --NAME VALUE: MESSAGE", exit 2).
using FlagApply = std::function<Result<Unit>(const std::string&)>;
inline Error bad_value(std::string why) { return Error{2, "bad_flag", std::move(why)}; }

class Flags {
 public:
  Flags(std::string program, std::string summary);
  // Registers a flag taking a value; `apply` checks and stores it.
  void value(std::string name, std::string metavar, std::string help, FlagApply apply);
  void toggle(std::string name, std::string help, bool* target);
  // Parses argv[first..]. Non-flag arguments go to positional().
  // Returns 0 to go on, or an exit code: 0 after printing --help/--version
  // (then `exit_now()` is true), 2 after printing a one-line reason to stderr.
  int parse(int argc, char** argv, int first = 1);
  bool exit_now() const { return exit_now_; }
  const std::vector<std::string>& positional() const { return positional_; }
  std::string help_text() const;

 private:
  struct Flag {
    std::string name, metavar, help;
    FlagApply apply;
    bool* toggle = nullptr;
  };
  std::string program_, summary_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool exit_now_ = false;
};

// Parses "HOST:PORT" ("[v6]:PORT" for IPv6). Returns nullopt on bad syntax.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
std::optional<HostPort> parse_host_port(const std::string& s);
// Parses "1234", "64KiB", "16MiB"...
std::optional<uint64_t> parse_size(const std::string& s);

// Callbacks for the common kinds of flag value, each storing into *out:
// HOST:PORT ("expected HOST:PORT"); any text; a whole number in [min, max]
// (decimal digits only); a number in [min, max] (strtod syntax). A refused
// value leaves *out alone.
FlagApply host_port_flag(HostPort* out);
FlagApply text_flag(std::string* out);
FlagApply whole_flag(uint64_t* out, uint64_t min = 0, uint64_t max = std::numeric_limits<uint64_t>::max());
FlagApply number_flag(double* out, double min = std::numeric_limits<double>::lowest(),
                      double max = std::numeric_limits<double>::max());
// The same for any integer type (range checked against T as well).
template <class T>
FlagApply whole_flag(T* out, T min, T max) {
  return [out, min, max](const std::string& v) -> Result<Unit> {
    uint64_t x = 0;
    if (auto r = whole_flag(&x, static_cast<uint64_t>(min), static_cast<uint64_t>(max))(v); !r) return r;
    *out = static_cast<T>(x);
    return Unit{};
  };
}

}  // namespace uw
