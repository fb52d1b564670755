// libFuzzer driver for the HTML UI's input handling: escaping, uweet text
// rendering, cookie parsing, the Origin check and CSRF verification.
// Invariants: escaped output never contains markup characters and is valid
// UTF-8; rendered uweet text has no tags but the ones we emit; parsers never crash.
#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "web/http/csrf.hpp"
#include "web/http/html.hpp"

namespace {

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = sodium_init() >= 0;
  require(init);
  static const uw::web::Csrf csrf;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string esc = uw::web::html::escape(in);
  require(esc.find_first_of("<>\"'") == std::string::npos);
  require(valid_utf8(esc));

  std::string text = uw::web::html::uweet_text(in);
  for (std::string_view tag : {"<br>", "</a>", "<a class=\"mention\" href=\"/u/"}) {
    for (size_t p; (p = text.find(tag)) != std::string::npos;) text.erase(p, tag.size());
  }
  require(text.find('<') == std::string::npos);

  auto half = in.substr(0, size / 2);
  auto rest = in.substr(size / 2);
  (void)uw::web::cookie_value(in, "uw_csrf");
  (void)uw::web::check_origin(half, rest, "127.0.0.1:8080", {"https://uwitter.example"});
  (void)uw::web::check_origin(std::nullopt, in, "127.0.0.1:8080", {});
  require(!csrf.verify(half, rest) || csrf.token_for(half) == rest);
  std::string token = csrf.token_for(in);
  require(token.empty() || csrf.verify(in, token));
  return 0;
}
