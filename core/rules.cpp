// Domain rules: usernames, passwords, uweet text, mentions. Pure functions.
//
// UTF-8 is checked strictly (Unicode 15, table 3-7 "well-formed byte
// sequences"): no overlong forms, no surrogates (U+D800-U+DFFF), nothing above
// U+10FFFF, no truncated or stray continuation bytes.
#include "core/rules.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace uw::rules {
namespace {

// Decodes one code point at s[i]; returns its length in bytes (1-4), or 0 if
// the bytes at i do not start a well-formed sequence.
size_t decode(std::string_view s, size_t i, char32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const size_t left = s.size() - i;
  const unsigned char c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  // Lead byte -> sequence length and the allowed range of the second byte.
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c == 0xE0) {
    n = 3, lo = 0xA0;  // no overlongs
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    n = 3;
  } else if (c == 0xED) {
    n = 3, hi = 0x9F;  // no surrogates
  } else if (c == 0xF0) {
    n = 4, lo = 0x90;  // no overlongs
  } else if (c >= 0xF1 && c <= 0xF3) {
    n = 4;
  } else if (c == 0xF4) {
    n = 4, hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // C0, C1 (overlong 2-byte), F5-FF, or a stray continuation byte
  }
  if (left < n || b(1) < lo || b(1) > hi) return 0;
  char32_t v = c & (0xFF >> (n + 1));
  v = (v << 6) | (b(1) & 0x3F);
  for (size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  *cp = v;
  return n;
}

// Unicode White_Space property (PropList.txt).
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Code points that show nothing on their own (Unicode Default_Ignorable_Code_Point,
// plus the blank-looking fillers U+115F, U+1160, U+3164, U+FFA0 and the braille
// blank U+2800): zero-width space, joiners, word joiner, BOM, bidi marks,
// variation selectors, tags. A uweet made only of these and white space would
// show as empty, so they count as blank when deciding that (they are kept in
// the text otherwise: a joiner inside an emoji sequence matters).
bool is_invisible(char32_t c) {
  return c == 0xAD || c == 0x34F || c == 0x61C || c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 ||
         (c >= 0x180B && c <= 0x180F) || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x206F) || c == 0x2800 || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) ||
         c == 0xFEFF || c == 0xFFA0 || (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) ||
         (c >= 0xE0000 && c <= 0xE0FFF);
}

// General category Cc: C0, DEL and C1.
bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

Error invalid_utf8_error(size_t offset) {
  return Error{422, "invalid_utf8",
               fmt::format("The text is not valid UTF-8 (bad byte sequence at byte {}).", offset)};
}

// Offset of the first ill-formed byte, or npos.
size_t first_invalid(std::string_view s) {
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    const size_t n = decode(s, i, &cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string describe(char32_t c) {
  switch (c) {
    case 0:
      return "a NUL byte";
    case '\t':
      return "a tab";
    case '\r':
      return "a carriage return without a line feed";
    default:
      return fmt::format("the control character U+{:04X}", static_cast<uint32_t>(c));
  }
}

}  // namespace

bool valid_utf8(std::string_view s) { return first_invalid(s) == std::string_view::npos; }

std::optional<size_t> utf8_length(std::string_view s) {
  size_t count = 0;
  char32_t cp;
  for (size_t i = 0; i < s.size(); ++count) {
    const size_t n = decode(s, i, &cp);
    if (n == 0) return std::nullopt;
    i += n;
  }
  return count;
}

Result<Unit> check_username(std::string_view name) {
  if (name.empty() || name.size() > kMaxUsername) {
    return Error{
        422, "invalid_username",
        fmt::format("A username has 1 to {} characters; this one has {}.", kMaxUsername, name.size())};
  }
  for (char c : name) {
    if (!is_name_char(c)) {
      return Error{422, "invalid_username",
                   "A username may only contain the letters A-Z and a-z, the digits 0-9 and '_'."};
    }
  }
  return Unit{};
}

Result<Unit> check_password(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return Error{
        422, "password_too_long",
        fmt::format("A password may be at most {} bytes long; it is never shortened.", kMaxPasswordBytes)};
  }
  const auto len = utf8_length(password);
  if (!len) return invalid_utf8_error(first_invalid(password));
  if (*len < kMinPassword) {
    return Error{422, "weak_password", fmt::format("A password needs at least {} characters.", kMinPassword)};
  }
  return Unit{};
}

std::string username_key(std::string_view name) {
  std::string key(name);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

namespace {

// What normalize() enforces for one kind of text.
struct TextRule {
  const char* noun;        // "A uweet", "A display name", "A bio"
  const char* code;        // error code prefix: "uweet" -> "uweet_too_long"
  size_t max_code_points;  // after trimming
  bool newlines;           // '\n' allowed (else it is a control character)
  bool may_be_empty;       // "" (after trimming) is a valid answer
};

Result<std::string> normalize(std::string_view text, const TextRule& rule) {
  if (const size_t bad = first_invalid(text); bad != std::string_view::npos) return invalid_utf8_error(bad);

  // Decode once, turning CRLF into LF.
  std::u32string cps;
  cps.reserve(text.size());
  char32_t cp;
  for (size_t i = 0; i < text.size();) {
    i += decode(text, i, &cp);
    if (cp == '\n' && !cps.empty() && cps.back() == '\r') {
      cps.back() = '\n';
    } else {
      cps.push_back(cp);
    }
  }
  size_t begin = 0, end = cps.size();
  while (begin < end && is_space(cps[begin])) ++begin;
  while (end > begin && is_space(cps[end - 1])) --end;
  if (begin == end && rule.may_be_empty) return std::string();
  bool blank = true;
  for (size_t i = begin; i < end && blank; ++i) blank = is_invisible(cps[i]) || is_space(cps[i]);
  if (blank) {
    if (std::string_view(rule.code) == "uweet") {
      return Error{422, "empty_uweet",
                   "A uweet needs some text (white space and invisible characters such as U+200B alone do "
                   "not count)."};
    }
    return Error{
        422, fmt::format("blank_{}", rule.code),
        fmt::format("{} of only invisible characters (such as U+200B) is not allowed; leave it empty "
                    "or write something visible.",
                    rule.noun)};
  }
  for (size_t i = begin; i < end; ++i) {
    if ((cps[i] != '\n' || !rule.newlines) && is_control(cps[i])) {
      return Error{422, "control_character",
                   fmt::format("{} may not contain {} (character {}){}.", rule.noun, describe(cps[i]),
                               i - begin + 1, rule.newlines ? "; only line breaks are allowed" : "")};
    }
  }
  const size_t len = end - begin;
  if (len > rule.max_code_points) {
    return Error{
        422, fmt::format("{}_too_long", rule.code),
        fmt::format("{} has at most {} characters; this one has {}.", rule.noun, rule.max_code_points, len)};
  }
  // Re-encode the kept range (every code point is a valid scalar value here).
  std::string out;
  out.reserve(len * 4);
  for (size_t i = begin; i < end; ++i) {
    const char32_t c = cps[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

}  // namespace

Result<std::string> normalize_uweet(std::string_view text) {
  return normalize(text, TextRule{"A uweet", "uweet", kMaxUweetCodePoints, true, false});
}

Result<std::string> normalize_display_name(std::string_view text) {
  return normalize(text, TextRule{"A display name", "display_name", kMaxDisplayNameCodePoints, false, true});
}

Result<std::string> normalize_bio(std::string_view text) {
  return normalize(text, TextRule{"A bio", "bio", kMaxBioCodePoints, true, true});
}

Result<Unit> check_search_query(std::string_view q) {
  if (q.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return Error{400, "missing_query", "Say what to search for with ?q=words."};
  if (q.size() > kMaxSearchQueryBytes || !valid_utf8(q)) {
    return Error{400, "bad_query",
                 fmt::format("A search query is valid UTF-8 of at most {} bytes; this one has {} bytes{}.",
                             kMaxSearchQueryBytes, q.size(), valid_utf8(q) ? "" : " and is not valid UTF-8")};
  }
  return Unit{};
}

std::vector<std::string> extract_mentions(std::string_view text) {
  std::vector<std::string> out;
  std::vector<std::string> keys;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '@') continue;
    if (i > 0 && (is_name_char(text[i - 1]) || text[i - 1] == '@')) continue;
    size_t j = i + 1;
    while (j < text.size() && is_name_char(text[j])) ++j;
    const size_t n = j - i - 1;
    // A run longer than a username is not a mention of its prefix.
    if (n >= 1 && n <= kMaxUsername) {
      std::string name(text.substr(i + 1, n));
      std::string key = username_key(name);
      bool seen = false;
      for (const auto& k : keys) seen = seen || k == key;
      if (!seen) {
        keys.push_back(std::move(key));
        out.push_back(std::move(name));
      }
    }
    i = j - 1;
  }
  return out;
}

}  // namespace uw::rules
