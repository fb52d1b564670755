#include "web/http/assets.hpp"

#include <sodium.h>

#include <vector>

namespace uw::web {
namespace {

std::string hash_hex(std::string_view body) {
  unsigned char h[8];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(body.data()), body.size(), nullptr,
                     0);
  char hex[sizeof h * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

std::vector<Asset> build() {
  std::vector<Asset> t = {
      {"app.css", "text/css; charset=utf-8", kAppCss, false, {}, {}},
      {"favicon.svg", "image/svg+xml", kFaviconSvg, false, {}, {}},
      {"app.js", "text/javascript; charset=utf-8", kAppJs, true, {}, {}},
      {"notify.js", "text/javascript; charset=utf-8", kNotifyJs, true, {}, {}},
  };
  for (auto& a : t) {
    std::string h = hash_hex(a.body);
    a.etag = "\"" + h + "\"";
    a.url = "/static/" + std::string(a.name) + "?v=" + h;
  }
  return t;
}

}  // namespace

std::span<const Asset> assets() {
  static const std::vector<Asset> table = build();
  return table;
}

const Asset* find_asset(std::string_view path) {
  constexpr std::string_view kPrefix = "/static/";
  if (!path.starts_with(kPrefix)) return nullptr;
  path.remove_prefix(kPrefix.size());
  for (const auto& a : assets()) {
    if (a.name == path) return &a;
  }
  return nullptr;
}

}  // namespace uw::web
