#pragma once
// uw::notifier::EventLog — the operator's log: one line per thing that matters
// (a datagram rejected and why, a gap, a sender session, a fan-out summary,
// deliveries at debug level). Two formats, same fields:
//   human: 2026-11-28T00:34:31.123Z info rejected reason=bad_signature from=127.0.0.1:4000
//   json:  {"ts":"2026-11-28T00:34:31.123Z","level":"info","kind":"rejected","reason":"bad_signature",...}
// Lines go to the file through a FileWriter (core/file_writer.hpp), which
// does the write(2)s on a thread of its own: the loop never waits on the disk.
// Each line is one chunk, so lines never interleave; if the disk falls far
// behind, lines are dropped and counted (dropped_bytes()) rather than queued
// without bound. reopen() (SIGHUP) reopens the path so rename-style rotation
// works; lines logged before it go to the old file, lines after to the new.
// Threading: open() on the owner's thread before any write; write(), reopen()
// and dropped_bytes() on any thread; the rejection rate limiter is
// loop-thread only.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "core/file_writer.hpp"
#include "core/log.hpp"
#include "core/result.hpp"

namespace uw::notifier {

enum class LogFormat { Human, Json };
// The notifier's levels are core's (core/log.hpp), under the names the
// notifier's code and tests use.
using LogLevel = uw::log::Level;
inline const char* log_level_name(LogLevel l) { return uw::log::level_name(l); }
inline bool parse_log_level(std::string_view s, LogLevel* out) { return uw::log::parse_level(s, out); }

// One key=value field. Integers stay numbers in JSON.
struct Field {
  std::string_view key;
  std::variant<std::string_view, int64_t, uint64_t, double> value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, uint64_t v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
};

class EventLog {
 public:
  EventLog();   // writes to stderr until open()
  ~EventLog();  // writes what is queued, then returns
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // path "" = stderr. An Error ("log file: ...") when the file cannot be opened.
  Result<Unit> open(const std::string& path, LogFormat format, LogLevel level);
  // Reopens the same path (after rotation); on an Error the old file is kept.
  Result<Unit> reopen();
  bool enabled(LogLevel l) const { return l >= level_; }
  void write(LogLevel l, std::string_view kind, std::initializer_list<Field> fields);
  // Bytes of lines dropped because the disk fell behind.
  uint64_t dropped_bytes() const { return out_->dropped_bytes(); }
  // Failures of the file itself (core/file_writer.hpp): bytes that may not have
  // reached it, failures seen, and whether writes currently work.
  uint64_t lost_bytes() const { return out_->lost_bytes(); }
  uint64_t errors() const { return out_->errors(); }
  bool ok() const { return out_->ok(); }
  // Bytes of lines logged and not yet in the file (0: every line logged so far is).
  size_t pending_bytes() const { return out_->pending_bytes(); }

  // Rate limit for lines a flood could cause (rejections): a token bucket of
  // `per_second` with a burst of 4x. Returns true if this line may be written;
  // `*suppressed` is how many were swallowed since the last allowed one.
  // Loop thread only.
  bool allow_flood_line(uint64_t now_ms, uint64_t* suppressed);
  void set_flood_rate(double per_second) { flood_rate_ = per_second; }

  // Formats one line (no trailing newline); exposed for tests and `tail`.
  static std::string format_line(LogFormat f, std::string_view ts, LogLevel l, std::string_view kind,
                                 std::initializer_list<Field> fields);
  static std::string timestamp_now();

 private:
  std::unique_ptr<FileWriter> out_;  // never null
  LogFormat format_ = LogFormat::Human;
  LogLevel level_ = LogLevel::Info;
  double flood_rate_ = 20;
  double tokens_ = 80;
  uint64_t last_refill_ms_ = 0;
  uint64_t suppressed_ = 0;
};

// Quotes a human-format value when it has spaces, quotes, '=' or controls.
std::string human_value(std::string_view v);

}  // namespace uw::notifier
