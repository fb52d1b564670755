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
    const bool str = it.value().is_string();
    std::string v = str ? it.value().get<std::string>() : it.value().dump();
    if (it.key() == "ts")
      r.ts = v;
    else if (it.key() == "level")
      r.level = v;
    else if (it.key() == "kind")
      r.kind = v;
    else {
      r.fields.emplace_back(it.key(), v);
      r.literal.push_back(!str);
    }
  }
  if (r.kind.empty()) return std::nullopt;
  return r;
}

// Reads a human value at s[i]: bare up to a space, or "quoted" with escapes.
std::string read_value(std::string_view s, size_t& i, bool* quoted) {
  std::string v;
  *quoted = i < s.size() && s[i] == '"';
  if (*quoted) {
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

bool string_field(std::string_view key) {
  // Names and identifiers the log writes as strings even when they are all
  // digits (a username "42", a u64 session id a JSON reader must not round).
  for (const char* k : {"to", "from", "user", "author", "follower", "session", "key", "ids", "text", "event",
                        "what", "reason", "peer", "path", "error", "problem", "last_event_id"})
    if (key == k) return true;
  return false;
}

bool looks_numeric(std::string_view v) {
  size_t i = 0;
  if (i < v.size() && v[i] == '-') ++i;
  size_t int_start = i;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  size_t int_len = i - int_start;
  if (int_len == 0 || (int_len > 1 && v[int_start] == '0')) return false;
  if (i < v.size() && v[i] == '.') {
    ++i;
    size_t frac = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == frac) return false;
  }
  return i == v.size();
}

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
    bool quoted = false;
    std::string v = read_value(line, i, &quoted);
    r.literal.push_back(!quoted && looks_numeric(v) && !string_field(key));
    r.fields.emplace_back(std::move(key), std::move(v));
    while (i < line.size() && line[i] == ' ') ++i;
  }
  return r;
}

bool TailFilter::matches(const LogRecord& r) const {
  if (!kind.empty() && r.kind != kind) return false;
  if (user.empty()) return true;
  for (const char* k : {"to", "user", "author", "from", "follower"}) {
    const auto* v = r.get(k);
    if (v == nullptr) continue;
    std::string_view rest = *v;
    for (;;) {  // `to` lists a small fan-out's recipients: bob,carol
      size_t comma = rest.find(',');
      if (ascii::iequals(rest.substr(0, comma), user)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::string render_record(const LogRecord& r, bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["ts"] = r.ts;
    j["level"] = r.level;
    j["kind"] = r.kind;
    for (size_t i = 0; i < r.fields.size(); ++i) {
      const auto& [k, v] = r.fields[i];
      if (i < r.literal.size() && r.literal[i]) {
        auto lit = nlohmann::ordered_json::parse(v, nullptr, false);
        if (!lit.is_discarded()) {
          j[k] = std::move(lit);
          continue;
        }
      }
      j[k] = v;
    }
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
  // Flags prints the "Usage:" line itself; the summary says what FILE is.
  Flags flags("uwitter-notifier tail",
              "Takes one FILE, uwitter-notifier's log (--log-file), and prints it readably and follows it "
              "across rotation (like tail -F).\n"
              "Lines that are not log lines are counted and reported at the end (exit 1 with --no-follow).");
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
  uint64_t garbage = 0;
  auto emit = [&](std::string_view line) {
    auto r = parse_log_line(line);
    if (!r) {
      std::string_view t = line;
      while (!t.empty() && (t.back() == '\r' || t.back() == ' ')) t.remove_suffix(1);
      if (!t.empty()) ++garbage;  // a blank line is nothing, not garbage
      return;
    }
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
  if (garbage > 0) {
    std::fprintf(stderr, "uwitter-notifier tail: skipped %llu line%s that %s not log lines\n",
                 static_cast<unsigned long long>(garbage), garbage == 1 ? "" : "s",
                 garbage == 1 ? "is" : "are");
    if (no_follow) return 1;
  }
  return 0;
}

}  // namespace uw::notifier
