#pragma once
// uw::web static assets: the stylesheet, the icon and the scripts, files in
// web/static/ embedded into the binary at build time (cmake/embed_file.cmake),
// served at /static/<name> with Cache-Control and a strong ETag.
//
// Adding a file: put it in web/static/, add `name=kSymbol` to
// UWITTER_WEB_STATIC in web/CMakeLists.txt, declare kSymbol below and add one
// row to the table in web/http/assets.cpp. Rows with `in_every_page` are
// loaded (defer) by every HTML page, in table order: app.js first, because
// notify.js uses the helpers it defines (window.uwitter).
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

// File contents, defined in the sources generated from web/static/.
extern const std::string_view kAppCss;      // app.css
extern const std::string_view kAppJs;       // app.js
extern const std::string_view kFaviconSvg;  // favicon.svg
extern const std::string_view kNotifyJs;    // notify.js

}  // namespace uw::web
