#include "notifier-udp/tail.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/ascii.hpp"
#include "core/flags.hpp"

namespace uw::notifier {

namespace {

std::atomic<bool> g_stop{false};

std::optional<LogRecord> parse_json_line(std::string_view line) {
  auto j = nlohmann::ordered_json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  LogRecord r;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string v = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    if (it.key() == "ts")
      r.ts = v;
    else if (it.key() == "level")
      r.level = v;
    else if (it.key() == "kind")
      r.kind = v;
    else
      r.fields.emplace_back(it.key(), v);
  }
  if (r.kind.empty()) return std::nullopt;
  return r;
}

// Reads a human value at s[i]: bare up to a space, or "quoted" with escapes.
std::string read_value(std::string_view s, size_t& i) {
  std::string v;
  if (i < s.size() && s[i] == '"') {
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) {
        char c = s[++i];
        if (c == 'n')
          v += '\n';
        else if (c == 't')
          v += '\t';
        else if (c == 'r')
          v += '\r';
        else if (c == 'x' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
          auto hexval = [](char h) {
            return std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (h | 0x20) - 'a' + 10;
          };
          v += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
          i += 2;
        } else
          v += c;
        ++i;
        continue;
      }
      v += s[i++];
    }
    if (i < s.size()) ++i;  // closing quote
    return v;
  }
  while (i < s.size() && s[i] != ' ') v += s[i++];
  return v;
}

}  // namespace

const std::string* LogRecord::get(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return &v;
  return nullptr;
}

std::optional<LogRecord> parse_log_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) return std::nullopt;
  if (line[0] == '{') return parse_json_line(line);
  LogRecord r;
  size_t i = 0;
  auto word = [&]() {
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    std::string w(line.substr(start, i - start));
    while (i < line.size() && line[i] == ' ') ++i;
    return w;
  };
  r.ts = word();
  r.level = word();
  r.kind = word();
  if (r.ts.empty() || r.level.empty() || r.kind.empty() || r.kind.find('=') != std::string::npos)
    return std::nullopt;
  while (i < line.size()) {
    size_t eq = line.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string key(line.substr(i, eq - i));
    i = eq + 1;
    r.fields.emplace_back(std::move(key), read_value(line, i));
    while (i < line.size() && line[i] == ' ') ++i;
  }
  return r;
}

bool TailFilter::matches(const LogRecord& r) const {
  if (!kind.empty() && r.kind != kind) return false;
  if (user.empty()) return true;
  for (const char* k : {"to", "user", "author", "from", "follower"})
    if (const auto* v = r.get(k); v && ascii::iequals(*v, user)) return true;
  return false;
}

std::string render_record(const LogRecord& r, bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["ts"] = r.ts;
    j["level"] = r.level;
    j["kind"] = r.kind;
    for (const auto& [k, v] : r.fields) j[k] = v;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  // Time of day only; level only when it is not info.
  std::string t = r.ts;
  if (auto p = t.find('T'); p != std::string::npos) t = t.substr(p + 1);
  if (!t.empty() && t.back() == 'Z') t.pop_back();
  std::string out = fmt::format("{:<12} {:<10}", t, r.kind);
  if (r.level != "info") out += fmt::format(" [{}]", r.level);
  for (const auto& [k, v] : r.fields) {
    if (v.empty()) continue;
    out += ' ';
    out += k;
    out += '=';
    bool quote = v.find(' ') != std::string::npos;
    out += quote ? "\"" + v + "\"" : v;
  }
  return out;
}

int tail_main(int argc, char** argv) {
  TailFilter filter;
  bool json = false, no_follow = false;
  uint64_t poll_ms = 200;
  Flags flags("uwitter-notifier tail",
              "Prints uwitter-notifier's log FILE readably and follows it across rotation (like tail -F).\n"
              "Usage: uwitter-notifier tail FILE [--user NAME] [--kind KIND] [--json] [--no-follow]");
  flags.value("user", "NAME", "only lines about this user (recipient, author or follower)",
              uw::text_flag(&filter.user));
  flags.value("kind", "KIND", "only this kind: rejected, gap, fanout, delivery, session, notify, keys, ...",
              uw::text_flag(&filter.kind));
  flags.toggle("json", "print JSON Lines instead of readable text", &json);
  flags.toggle("no-follow", "stop at the end of the file instead of following it", &no_follow);
  flags.value("poll-ms", "MS", "how often to look for new lines and rotation (default 200)",
              whole_flag(&poll_ms, 1, 3600000));
  int rc = flags.parse(argc, argv, 2);
  if (flags.exit_now()) return rc;
  if (flags.positional().size() != 1) {
    std::fprintf(stderr, "uwitter-notifier tail: need exactly one FILE (see tail --help)\n");
    return 2;
  }
  const std::string path = flags.positional()[0];
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGPIPE, SIG_IGN);

  int fd = -1;
  ino_t ino = 0;
  std::string partial;
  auto open_file = [&]() -> bool {
    int f = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f < 0) return false;
    struct stat st {};
    fstat(f, &st);
    if (fd >= 0) ::close(fd);
    fd = f;
    ino = st.st_ino;
    partial.clear();
    return true;
  };
  auto emit = [&](std::string_view line) {
    auto r = parse_log_line(line);
    if (!r) return;
    if (!filter.matches(*r)) return;
    std::string out = render_record(*r, json);
    out += '\n';
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) g_stop = true;
  };
  // Reads everything available; returns true if anything was read.
  auto drain = [&]() -> bool {
    bool any = false;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      any = true;
      partial.append(buf, static_cast<size_t>(n));
      size_t start = 0, nl;
      while ((nl = partial.find('\n', start)) != std::string::npos) {
        emit(std::string_view(partial).substr(start, nl - start));
        start = nl + 1;
      }
      partial.erase(0, start);
    }
    if (any) std::fflush(stdout);
    return any;
  };

  if (!open_file()) {
    if (no_follow) {
      std::fprintf(stderr, "uwitter-notifier tail: cannot open %s\n", path.c_str());
      return 1;
    }
  }
  while (!g_stop) {
    if (fd >= 0) drain();
    if (no_follow) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (fd < 0 || st.st_ino != ino) {
        // Rotated: finish the old file, then switch to the new one.
        if (fd >= 0) drain();
        if (!partial.empty()) emit(partial);
        open_file();
      } else {
        struct stat cur {};
        if (fstat(fd, &cur) == 0 && cur.st_size < lseek(fd, 0, SEEK_CUR)) {
          lseek(fd, 0, SEEK_SET);  // truncated in place (copytruncate)
          partial.clear();
        }
      }
    }
  }
  if (fd >= 0) ::close(fd);
  std::fflush(stdout);
  return 0;
}

}  // namespace uw::notifier
