// libFuzzer driver for the notifier's log parser (notifier-udp/tail.cpp) and
// its writer (event_log.cpp): any bytes parse or are refused without crashing,
// and a line written by EventLog from parsed fields parses back to the same
// kind and values (human and JSON formats).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "notifier-udp/allow_list.hpp"
#include "notifier-udp/event_log.hpp"
#include "notifier-udp/tail.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = uw::notifier::parse_log_line(in);
  if (r) {
    (void)uw::notifier::render_record(*r, false);
    (void)uw::notifier::render_record(*r, true);
    (void)uw::notifier::TailFilter{"bob", "delivery"}.matches(*r);
  }
  // Round trip: arbitrary bytes as a field value. Kind is a fixed word.
  for (auto fmt : {uw::notifier::LogFormat::Human, uw::notifier::LogFormat::Json}) {
    std::string line = uw::notifier::EventLog::format_line(
        fmt, "2026-01-01T00:00:00.000Z", uw::notifier::LogLevel::Info, "delivery", {{"to", in}});
    auto back = uw::notifier::parse_log_line(line);
    if (!back || back->kind != "delivery") __builtin_trap();
    const std::string* v = back->get("to");
    if (!v) __builtin_trap();
    // Human format keeps bytes exactly; JSON replaces invalid UTF-8, so only check human.
    if (fmt == uw::notifier::LogFormat::Human && *v != in) __builtin_trap();
  }
  auto a = uw::notifier::AllowList::parse(in);
  if (!a && a.error().message.empty()) __builtin_trap();
  return 0;
}
