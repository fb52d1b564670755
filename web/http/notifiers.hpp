#pragma once
// uw::web notifier choice: which of the notifiers browsers can reach
// (--notifier-url, one URL or a list) holds a user's streams and inbox.
//
// Rendezvous (highest random weight) hashing: every URL gets a score from
// (URL, user id) and the user's order is the URLs by falling score. The first
// is the user's notifier; the rest, in order, are where the page goes when it
// is down (web/static/notify.js). Stable: the same list gives the same user
// the same order on every web instance and across restarts (the hash is
// fixed, not seeded per process); removing a URL moves only the users it
// held, adding one takes about 1/N of the users. The list's own order does
// not matter.
//
// Threading: pure functions; any thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace uw::web {

// "URL[,URL...]": each http:// or https://, a trailing '/' dropped, a
// repeated URL kept once. Error (bad_flag) for an empty entry or another scheme.
Result<std::vector<std::string>> parse_notifier_urls(std::string_view text);

// The score of `url` for `user_id` (64-bit FNV-1a of the URL, mixed with
// the user id by SplitMix64's finaliser).
uint64_t rendezvous_score(std::string_view url, int64_t user_id);

// `urls` ordered for `user_id`: highest score first (ties by URL text).
std::vector<std::string> notifier_order(const std::vector<std::string>& urls, int64_t user_id);

}  // namespace uw::web
