#pragma once
// uw::web::html — escaping and small formatting helpers for server-rendered HTML.
// Pure functions, any thread. Every piece of user text that reaches a page goes
// through escape() (or a helper built on it) exactly once.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace uw::web::html {

// Appends `s` to `out` with & < > " ' replaced by entities. Invalid UTF-8
// sequences become U+FFFD, so a page is always valid UTF-8 whatever was sent.
// Safe for element content and for double- or single-quoted attribute values.
void append_escaped(std::string& out, std::string_view s);
std::string escape(std::string_view s);

// Percent-encodes everything but [A-Za-z0-9-._~], for a URL path segment or a
// query value (so "a b/c" -> "a%20b%2Fc").
std::string url_component(std::string_view s);

// Whether "@name" names a user (then it becomes a link).
using UserExists = std::function<bool(std::string_view name)>;

// Uweet text as HTML: escaped, '\n' -> <br>, and every @mention (the rule of
// rules::extract_mentions: 1-15 of [A-Za-z0-9_] after start or a character
// that is not [A-Za-z0-9_@]) of an existing user turned into a link to
// /u/<name>; a name nobody has stays text (no link to a 404 page). With no
// `exists`, every mention is a link. *unlinked (if given) says whether some
// mention was left as text, i.e. whether the result may change once that
// user signs up.
std::string uweet_text(std::string_view text, const UserExists& exists = nullptr, bool* unlinked = nullptr);

// Short relative age for a timestamp in unix ms, as people read timelines:
// "now" (<1 min), "3m", "5h", "2d" (<7 days), then "28 Nov" in the same year
// as `now_ms`, else "28 Nov 2025" (UTC).
std::string relative_time(int64_t then_ms, int64_t now_ms);
// ISO 8601 UTC, e.g. "2026-11-28T10:15:00Z", for <time datetime="...">.
std::string iso_time(int64_t then_ms);
// "November 2026" (UTC), for "Joined ...".
std::string month_year(int64_t then_ms);

}  // namespace uw::web::html
