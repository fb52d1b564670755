#pragma once
// uw::web static assets: the stylesheet and scripts, compiled in as raw strings
// and served at /static/<name> with Cache-Control and a strong ETag.
//
// Adding a script (e.g. /static/notify.js): write web/assets_notify.cpp defining
// `extern const std::string_view kNotifyJs`, declare it below, and add one row
// to the table in web/assets.cpp. Rows with `in_every_page` are loaded (defer)
// by every HTML page, after app.js.
//
// Threading: the table is built once on first use (thread-safe static) and is
// immutable afterwards; any thread.
#include <span>
#include <string>
#include <string_view>

namespace uw::web {

struct Asset {
  std::string_view name;          // "app.css" (served at /static/app.css)
  std::string_view content_type;  // "text/css; charset=utf-8"
  std::string_view body;
  bool in_every_page = false;  // scripts: <script src defer> on every page
  std::string etag;            // "\"<16 hex>\"", BLAKE2b of the body
  std::string url;             // "/static/app.css?v=<16 hex>" (cache-busting)
};

// Every asset, in load order.
std::span<const Asset> assets();
// The asset served at `path` ("/static/app.css"), or nullptr.
const Asset* find_asset(std::string_view path);

// Raw contents, defined in web/assets_*.cpp.
extern const std::string_view kAppCss;
extern const std::string_view kAppJs;
extern const std::string_view kFaviconSvg;
extern const std::string_view kNotifyJs;  // web/assets_notify.cpp (owned by the notifier engineer)

}  // namespace uw::web
