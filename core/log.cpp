#include "core/log.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <unordered_map>

namespace uw::log {

namespace {

constexpr Level kLevel = Level::Info;
std::mutex g_mu;         // guards g_file and g_path; held for one line at a time
FILE* g_file = nullptr;  // nullptr = stderr
std::string g_path;

// Token bucket per call site (its format string's address). The number of
// sites is the number of warn/error calls in the program: bounded.
struct Site {
  double tokens = kBurst;
  int64_t at_ms = 0;
  uint64_t suppressed = 0;
};
std::mutex g_sites_mu;
std::unordered_map<const void*, Site> g_sites;

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

namespace detail {

bool allow(const void* site, uint64_t* suppressed) {
  const int64_t now = steady_ms();
  std::lock_guard lock(g_sites_mu);
  auto [it, fresh] = g_sites.try_emplace(site);
  Site& s = it->second;
  if (fresh) s.at_ms = now;
  s.tokens = std::min<double>(kBurst, s.tokens + static_cast<double>(now - s.at_ms) * kPerSecond / 1000.0);
  s.at_ms = now;
  if (s.tokens < 1.0) {
    ++s.suppressed;
    return false;
  }
  s.tokens -= 1.0;
  *suppressed = s.suppressed;
  s.suppressed = 0;
  return true;
}

std::string with_suppressed(std::string line, uint64_t suppressed) {
  if (suppressed > 0) line += fmt::format(" ({} more like this suppressed)", suppressed);
  return line;
}

}  // namespace detail

const char* level_name(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "?";
}

bool parse_level(std::string_view s, Level* out) {
  for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error})
    if (s == level_name(l)) {
      *out = l;
      return true;
    }
  return false;
}

std::string timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", stamp, ms);
}

Level level() { return kLevel; }

bool set_file(const std::string& path) {
  std::lock_guard lock(g_mu);
  if (g_file) {
    std::fclose(g_file);
    g_file = nullptr;
  }
  g_path = path;
  if (path.empty()) return true;
  g_file = std::fopen(path.c_str(), "a");
  return g_file != nullptr;
}

void reopen() {
  std::string path;
  {
    std::lock_guard lock(g_mu);
    path = g_path;
  }
  if (!path.empty()) set_file(path);
}

void write(Level l, std::string_view line) {
  std::string out = fmt::format("{} {} {}\n", timestamp_now(), level_name(l), line);
  std::lock_guard lock(g_mu);
  FILE* f = g_file ? g_file : stderr;
  std::fwrite(out.data(), 1, out.size(), f);
  std::fflush(f);
}

}  // namespace uw::log
