#include "web/http/html.hpp"

#include <fmt/format.h>

#include <ctime>

namespace uw::web::html {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_seq_len(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t min;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
    cp = c & 0x07;
  } else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool is_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm utc(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

}  // namespace

void append_escaped(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\'':
        out += "&#39;";
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t n = utf8_seq_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
}

std::string escape(std::string_view s) {
  std::string out;
  append_escaped(out, s);
  return out;
}

std::string url_component(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (is_word(c) || c == '-' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string uweet_text(std::string_view text, const UserExists& exists, bool* unlinked) {
  if (unlinked) *unlinked = false;
  std::string out;
  size_t plain_start = 0;
  auto flush = [&](size_t end) {
    std::string_view chunk = text.substr(plain_start, end - plain_start);
    size_t nl;
    while ((nl = chunk.find('\n')) != std::string_view::npos) {
      append_escaped(out, chunk.substr(0, nl));
      out += "<br>";
      chunk.remove_prefix(nl + 1);
    }
    append_escaped(out, chunk);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '@') continue;
    if (i > 0 && (is_word(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '@')) continue;
    size_t j = i + 1;
    while (j < text.size() && is_word(static_cast<unsigned char>(text[j]))) ++j;
    size_t len = j - i - 1;
    if (len == 0 || len > 15) continue;
    std::string_view name = text.substr(i + 1, len);
    if (exists && !exists(name)) {  // stays plain text, escaped by the next flush
      if (unlinked) *unlinked = true;
      i = j - 1;
      continue;
    }
    flush(i);
    out += "<a class=\"mention\" href=\"/u/";
    out += url_component(name);
    out += "\">@";
    append_escaped(out, name);
    out += "</a>";
    plain_start = j;
    i = j - 1;
  }
  flush(text.size());
  return out;
}

std::string relative_time(int64_t then_ms, int64_t now_ms) {
  int64_t age_s = (now_ms - then_ms) / 1000;
  if (age_s < 60) return "now";
  if (age_s < 3600) return std::to_string(age_s / 60) + "m";
  if (age_s < 86400) return std::to_string(age_s / 3600) + "h";
  if (age_s < int64_t{7} * 86400) return std::to_string(age_s / 86400) + "d";
  std::tm then = utc(then_ms);
  std::tm now = utc(now_ms);
  std::string out = std::to_string(then.tm_mday) + " " + kMonths[then.tm_mon];
  if (then.tm_year != now.tm_year) out += fmt::format(" {}", then.tm_year + 1900);
  return out;
}

std::string iso_time(int64_t then_ms) {
  std::tm tm = utc(then_ms);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string month_year(int64_t then_ms) {
  std::tm tm = utc(then_ms);
  char buf[32];
  std::strftime(buf, sizeof buf, "%B %Y", &tm);
  return buf;
}

}  // namespace uw::web::html
