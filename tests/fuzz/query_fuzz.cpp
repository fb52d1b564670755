// libFuzzer driver for the query-parameter parsers the pages and the API share:
// any text as a query string through http::form_value, parse_before (a
// keyset cursor: a positive id), notes::parse_key (the notification history's
// "POS.SUB" cursor, which must round-trip through key_text), and safe_next
// (the after-login redirect, which must stay a local path).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/http/server.hpp"
#include "core/store/notifications.hpp"
#include "web/http/page_site.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  std::optional<int64_t> before;
  if (uw::web::parse_before(query, &before) && before && *before <= 0) __builtin_trap();
  for (std::string_view key : {"before", "limit", "next", "up_to"}) {
    auto v = uw::http::form_value(query, key);
    if (!v) continue;
    if (auto k = uw::notes::parse_key(*v)) {
      if (k->pos < 0 || k->sub < 0) __builtin_trap();
      auto again = uw::notes::parse_key(uw::notes::key_text(*k));
      if (!again || *again != *k) __builtin_trap();
    }
    std::string next = uw::web::safe_next(*v);
    if (next.empty() || next[0] != '/' || next.starts_with("//") || next.find('\\') != std::string::npos)
      __builtin_trap();
  }
  return 0;
}
