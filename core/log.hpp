#pragma once
// Minimal leveled logging to stderr or a file. Thread-safe (one mutex per line).
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace uw::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

// "debug" | "info" | "warn" | "error". Any thread.
const char* level_name(Level l);
// Parses a level_name(); false (and *out untouched) for anything else.
bool parse_level(std::string_view s, Level* out);
// The current UTC time as "2026-11-28T00:34:31.123Z", the stamp that starts
// every log line. Any thread.
std::string timestamp_now();

// The level below which lines are not written (Info: nothing sets another).
Level level();
// Redirects output to a file (appending); "" means stderr. Returns false on error.
bool set_file(const std::string& path);
void reopen();  // after log rotation (SIGHUP)
void write(Level l, std::string_view line);

// Warnings and errors are rate-limited per call site (keyed on the format
// string): a failure that repeats hundreds of times a second (a full disk
// failing every batch) writes kBurst lines at once and then kPerSecond a
// second, and the next line written says how many were swallowed
// ("... (N more like this suppressed)"). Any thread.
inline constexpr double kPerSecond = 5;
inline constexpr int kBurst = 20;
namespace detail {
// True if a line of this call site may be written now; *suppressed is how many
// of its lines were swallowed since its last written one.
bool allow(const void* site, uint64_t* suppressed);
std::string with_suppressed(std::string line, uint64_t suppressed);
}  // namespace detail

template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... a) {
  if (level() <= Level::Info) write(Level::Info, fmt::format(f, std::forward<Args>(a)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) {
  if (level() > Level::Warn) return;
  uint64_t suppressed = 0;
  if (!detail::allow(static_cast<fmt::string_view>(f).data(), &suppressed)) return;
  write(Level::Warn, detail::with_suppressed(fmt::format(f, std::forward<Args>(a)...), suppressed));
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... a) {
  uint64_t suppressed = 0;
  if (!detail::allow(static_cast<fmt::string_view>(f).data(), &suppressed)) return;
  write(Level::Error, detail::with_suppressed(fmt::format(f, std::forward<Args>(a)...), suppressed));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) {
  if (level() <= Level::Debug) write(Level::Debug, fmt::format(f, std::forward<Args>(a)...));
}

}  // namespace uw::log
