#pragma once
// Writing a string value in double quotes, for the two places the notifier
// does it: JSON strings in a Note (note.cpp, once per event on the ingest
// path, so no JSON library there) and quoted values in the human log format
// (event_log.cpp). Any thread.
#include <string>
#include <string_view>

namespace uw::notifier {

// How a control character other than \n, \r and \t is written.
enum class ControlEscape {
  Json,  // \u001b (JSON)
  Hex,   // \x1b (the human log format; `tail` reads it back)
};

// Appends s to out between double quotes, escaping '"', '\\', \n, \r, \t and
// the other bytes below 0x20; every other byte is copied as it is (so the
// result is a JSON string only when s is valid UTF-8: the caller checks).
void append_quoted(std::string& out, std::string_view s, ControlEscape controls);

}  // namespace uw::notifier
