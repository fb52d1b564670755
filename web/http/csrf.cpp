#include "web/http/csrf.hpp"

#include <sodium.h>

#include <cctype>

namespace uw::web {
namespace {

constexpr std::string_view kDomain = "uwitter csrf v1";
constexpr size_t kCookieRawBytes = 32;
constexpr size_t kMacBytes = 32;

std::string b64url(const unsigned char* p, size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // drop the NUL terminator
  return out;
}

bool well_formed_cookie(std::string_view v) {
  if (v.size() != 43) return false;
  for (unsigned char c : v) {
    if (!(std::isalnum(c) || c == '-' || c == '_')) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

// "scheme://authority" of a URL, or "" when it has no such prefix.
std::string origin_of_url(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return "";
  auto end = url.find_first_of("/?#", sep + 3);
  return std::string(url.substr(0, end));
}

}  // namespace

Csrf::Csrf() { randombytes_buf(secret_.data(), secret_.size()); }

Csrf::Csrf(const std::array<unsigned char, kSecretBytes>& secret) : secret_(secret) {}

Csrf::~Csrf() { sodium_memzero(secret_.data(), secret_.size()); }

std::string Csrf::new_cookie_value() const {
  unsigned char raw[kCookieRawBytes];
  randombytes_buf(raw, sizeof raw);
  return b64url(raw, sizeof raw);
}

std::string Csrf::token_for(std::string_view cookie_value) const {
  if (!well_formed_cookie(cookie_value)) return "";
  unsigned char mac[kMacBytes];
  crypto_generichash_state st;
  crypto_generichash_init(&st, secret_.data(), secret_.size(), sizeof mac);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kDomain.data()), kDomain.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(cookie_value.data()),
                            cookie_value.size());
  crypto_generichash_final(&st, mac, sizeof mac);
  return b64url(mac, sizeof mac);
}

bool Csrf::verify(std::string_view cookie_value, std::string_view token) const {
  std::string expected = token_for(cookie_value);
  if (expected.empty() || token.size() != expected.size()) return false;
  return sodium_memcmp(expected.data(), token.data(), expected.size()) == 0;
}

OriginVerdict check_origin(std::optional<std::string_view> origin, std::optional<std::string_view> referer,
                           std::string_view host, const std::vector<std::string>& allowed) {
  std::string seen;
  if (origin) {
    seen = lower(*origin);
  } else if (referer) {
    seen = lower(origin_of_url(*referer));
    if (seen.empty()) return OriginVerdict::Mismatch;
  } else {
    return OriginVerdict::Missing;
  }
  if (seen.empty() || seen == "null") return OriginVerdict::Mismatch;
  if (!host.empty()) {
    std::string h = lower(host);
    if (seen == "http://" + h || seen == "https://" + h) return OriginVerdict::Ok;
  }
  for (const auto& a : allowed) {
    if (seen == lower(a)) return OriginVerdict::Ok;
  }
  return OriginVerdict::Mismatch;
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (part.substr(0, eq) != name) continue;
    std::string_view v = part.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return std::nullopt;
}

}  // namespace uw::web
