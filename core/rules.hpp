#pragma once
// Domain rules of Uwitter. Pure functions, any thread.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace uw::rules {

inline constexpr size_t kMaxUsername = 15;
inline constexpr size_t kMinPassword = 8;  // characters (code points)
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr size_t kMaxUweetCodePoints = 141;
inline constexpr size_t kMaxDisplayNameCodePoints = 50;
inline constexpr size_t kMaxBioCodePoints = 160;

// 1-15 of [A-Za-z0-9_]. Errors have status 422, code "invalid_username".
Result<Unit> check_username(std::string_view name);
// At least 8 code points, at most 1024 bytes, valid UTF-8. Never truncated.
// Errors: 422 "weak_password" / "password_too_long" / "invalid_utf8".
Result<Unit> check_password(std::string_view password);
// Case-folded key for uniqueness ("Bob" and "bob" are the same user).
std::string username_key(std::string_view name);

// Validates and normalises uweet text: valid UTF-8, surrounding white space
// trimmed, 1-141 code points, at least one visible character (a text of only
// white space and invisible format characters such as U+200B, U+200C/D,
// U+2060, U+FEFF is "empty_uweet"), no control characters other than '\n' ('\r\n' is
// normalised to '\n'). Errors: 422 "empty_uweet", "uweet_too_long",
// "invalid_utf8", "control_character"; messages say what to fix.
Result<std::string> normalize_uweet(std::string_view text);
// The same rules for a display name (at most 50 code points, no line breaks)
// and a bio (at most 160, line breaks kept), except that "" (or only white
// space) is allowed and means none. Errors: 422 "display_name_too_long" /
// "bio_too_long", "blank_display_name" / "blank_bio" (only invisible
// characters), "control_character", "invalid_utf8".
Result<std::string> normalize_display_name(std::string_view text);
Result<std::string> normalize_bio(std::string_view text);

// A search query, the same rule for the JSON API and the HTML page: valid
// UTF-8 of at most kMaxSearchQueryBytes bytes with some non-blank character.
// Errors: 400 "missing_query" (nothing to search for), "bad_query".
inline constexpr size_t kMaxSearchQueryBytes = 256;
Result<Unit> check_search_query(std::string_view q);

// Number of code points in valid UTF-8 (nullopt if invalid).
std::optional<size_t> utf8_length(std::string_view s);
bool valid_utf8(std::string_view s);

// "@name" mentions (name as in check_username, preceded by start or a character
// that is not [A-Za-z0-9_@]), deduplicated case-insensitively, in order of appearance.
std::vector<std::string> extract_mentions(std::string_view text);

}  // namespace uw::rules
