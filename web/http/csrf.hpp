#pragma once
// uw::web CSRF defence for the HTML forms: a double-submit token bound to a
// pre-session cookie, plus an Origin/Referer check.
//
// Design (docs/UI.md): every page with a form makes sure the browser holds a
// random `uw_csrf` cookie (HttpOnly, SameSite=Lax); each form carries a hidden
// field `csrf` = base64url(BLAKE2b-256 keyed with a per-process random secret,
// over a domain-separation string and the cookie value). A POST is accepted only
// if the field equals the MAC of the cookie it came with (constant-time
// comparison, sodium_memcmp). An attacker can neither read the cookie nor
// compute the MAC without the secret. A restart changes the secret: open forms
// then fail once with a 403 page that says to reload.
//
// Threading: a Csrf is immutable after construction; any thread.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uw::web {

class Csrf {
 public:
  static constexpr size_t kSecretBytes = 32;
  // A fresh random secret (libsodium must be initialised: sodium_init()).
  Csrf();
  // A given secret (tests).
  explicit Csrf(const std::array<unsigned char, kSecretBytes>& secret);
  ~Csrf();  // wipes the secret

  // A new random cookie value: 32 random bytes, base64url (43 characters).
  std::string new_cookie_value() const;
  // The form token for a cookie value ("" if the cookie value is malformed).
  std::string token_for(std::string_view cookie_value) const;
  // True only if the cookie is well formed and token == token_for(cookie),
  // compared in constant time.
  bool verify(std::string_view cookie_value, std::string_view token) const;

 private:
  std::array<unsigned char, kSecretBytes> secret_{};
};

enum class OriginVerdict {
  Ok,
  Missing,   // neither Origin nor Referer: rejected on POST
  Mismatch,  // present but not our Host nor an allowed origin (also "null")
};

// Checks Origin (or, when Origin is absent, the origin part of Referer) against
// `host` (the request's Host header, e.g. "127.0.0.1:8080", compared with
// http:// or https://) and against `allowed` full origins ("https://example.com").
// Comparison is case-insensitive on scheme and host; a trailing '/' is ignored.
OriginVerdict check_origin(std::optional<std::string_view> origin, std::optional<std::string_view> referer,
                           std::string_view host, const std::vector<std::string>& allowed);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt.
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace uw::web
