#pragma once
// `uwitter-notifier tail FILE [--user NAME] [--kind KIND] [--json] [--no-follow]`:
// prints the notifier's log readably, filtered, and follows it across
// rotation like `tail -F` (when FILE is renamed away and recreated, the rest
// of the old file is read, then the new one from its start).
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
  const std::string* get(std::string_view key) const;
};

std::optional<LogRecord> parse_log_line(std::string_view line);

struct TailFilter {
  std::string user;  // matches to / user / author / from / follower (case-insensitive)
  std::string kind;  // rejected | gap | fanout | delivery | session | ... ("" = all)
  bool matches(const LogRecord& r) const;
};

// Readable rendering: "00:34:31.123 delivery   to=bob from=alice ..." (or one JSON object).
std::string render_record(const LogRecord& r, bool json);

// The subcommand; argv[1] is "tail". Returns the exit status.
int tail_main(int argc, char** argv);

}  // namespace uw::notifier
