#pragma once
// `uwitter-notifier tail FILE [--user NAME] [--kind KIND] [--json] [--no-follow]`:
// prints the notifier's log readably, filtered, and follows it across
// rotation like `tail -F` (when FILE is renamed away and recreated, the rest
// of the old file is read, then the new one from its start). Lines that are
// not log lines are counted and reported on stderr at the end; with
// --no-follow any such line makes the exit status 1.
// parse_log_line/LogRecord are exposed for tests.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uw::notifier {

// One parsed log line (either format). Field values are strings.
struct LogRecord {
  std::string ts, level, kind;
  std::vector<std::pair<std::string, std::string>> fields;  // in order, without ts/level/kind
  // Parallel to fields: the value is a JSON literal (a number, or in a JSON
  // line any non-string value), so --json prints it as such, not as a string.
  std::vector<bool> literal;
  const std::string* get(std::string_view key) const;
};

// True for a canonical decimal number ("0", "-3", "4399", "1.500"). A bare
// value of a human log line that looks numeric is read as a number, unless
// string_field(key): names and ids the log always writes as strings.
bool looks_numeric(std::string_view v);
bool string_field(std::string_view key);

std::optional<LogRecord> parse_log_line(std::string_view line);

struct TailFilter {
  // Matches to / user / author / from / follower (case-insensitive); `to` may
  // be a comma-separated list (the recipients of a small fan-out).
  std::string user;
  std::string kind;  // rejected | gap | fanout | delivery | session | ... ("" = all)
  bool matches(const LogRecord& r) const;
};

// Readable rendering: "00:34:31.123 delivery   to=bob from=alice ..." (or one JSON object).
std::string render_record(const LogRecord& r, bool json);

// The subcommand; argv[1] is "tail". Returns the exit status.
int tail_main(int argc, char** argv);

}  // namespace uw::notifier
