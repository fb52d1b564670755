#include "notifier-udp/event_log.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "notifier-udp/quote.hpp"

namespace uw::notifier {

EventLog::EventLog() : out_(std::move(FileWriter::open("").value())) {}  // stderr: cannot fail

EventLog::~EventLog() = default;

Result<Unit> EventLog::open(const std::string& path, LogFormat format, LogLevel level) {
  format_ = format;
  level_ = level;
  if (path.empty()) return Unit{};
  auto out = FileWriter::open(path);
  if (!out) return Error{500, "log_file", "log file: " + out.error().message};
  out_ = std::move(out.value());
  return Unit{};
}

Result<Unit> EventLog::reopen() { return out_->reopen(); }

std::string EventLog::timestamp_now() { return uw::log::timestamp_now(); }

std::string human_value(std::string_view v) {
  bool plain = !v.empty();
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) plain = false;
  if (plain) return std::string(v);
  std::string out;
  append_quoted(out, v, ControlEscape::Hex);
  return out;
}

std::string EventLog::format_line(LogFormat f, std::string_view ts, LogLevel l, std::string_view kind,
                                  std::initializer_list<Field> fields) {
  if (f == LogFormat::Json) {
    nlohmann::ordered_json j;
    j["ts"] = ts;
    j["level"] = log_level_name(l);
    j["kind"] = kind;
    for (const auto& fd : fields) {
      std::string key(fd.key);
      std::visit(
          [&](const auto& v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string_view>)
              j[key] = std::string(v);
            else
              j[key] = v;
          },
          fd.value);
    }
    // Never throw on odd bytes in a username or text: replace invalid UTF-8.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out = fmt::format("{} {} {}", ts, log_level_name(l), kind);
  for (const auto& fd : fields) {
    out += ' ';
    out += fd.key;
    out += '=';
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>)
            out += human_value(v);
          else if constexpr (std::is_same_v<T, double>)
            out += fmt::format("{:.3f}", v);
          else
            out += std::to_string(v);
        },
        fd.value);
  }
  return out;
}

void EventLog::write(LogLevel l, std::string_view kind, std::initializer_list<Field> fields) {
  if (!enabled(l)) return;
  std::string line = format_line(format_, timestamp_now(), l, kind, fields);
  line += '\n';
  out_->write(std::move(line));  // false: dropped and counted (dropped_bytes)
}

bool EventLog::allow_flood_line(uint64_t now_ms, uint64_t* suppressed) {
  if (last_refill_ms_ == 0) last_refill_ms_ = now_ms;
  // Callers pass times taken at different moments (a batch's start, or now),
  // so now_ms may be a little behind the last refill: no refill then (the
  // unsigned difference would wrap and fill the bucket: no limit at all).
  if (now_ms > last_refill_ms_) {
    tokens_ += static_cast<double>(now_ms - last_refill_ms_) * flood_rate_ / 1000.0;
    last_refill_ms_ = now_ms;
  }
  const double burst = flood_rate_ * 4;
  if (tokens_ > burst) tokens_ = burst;
  if (tokens_ >= 1) {
    tokens_ -= 1;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace uw::notifier
