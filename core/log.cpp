#include "core/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace uw::log {

namespace {

constexpr Level kLevel = Level::Info;
std::mutex g_mu;         // guards g_file and g_path; held for one line at a time
FILE* g_file = nullptr;  // nullptr = stderr
std::string g_path;

}  // namespace

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
