#pragma once
// The parts of the stored notification history (Store::notifications) that do
// not depend on a backend: the text form of a NotificationKey (the API's
// cursor), the uweet-id bound a key gives, and the merge of the two sources a
// page is made of ("followed you" rows and uweets) into one keyset page.
// docs/STORAGE.md "Notifications". Pure functions: any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store/store.hpp"

namespace uw::notes {

// "POS.SUB" (both decimal, SUB 0 for a uweet): the cursor of
// GET /api/v1/notifications?before= and the up_to of .../read.
std::string key_text(NotificationKey k);
// Parses key_text's form; nullopt for anything else (signs, spaces, a
// missing part, overflow, negative numbers).
std::optional<NotificationKey> parse_key(std::string_view text);

// Uweet entries below `before` are the uweets with id < this (a follow's key
// (P, S >= 1) sits after uweet P, so uweet P is below it). INT64_MAX without a bound.
int64_t uweet_upper_bound(const std::optional<NotificationKey>& before);

// One page from each source's newest-first list (each fetched with limit + 1
// rows and keys < before): the newest `limit` of both, and next_before when
// either source holds more. limit >= 1.
NotificationPage merge_page(std::vector<Notification> follows, std::vector<Notification> uweets, int limit);

}  // namespace uw::notes
