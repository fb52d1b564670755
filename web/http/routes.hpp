#pragma once
// uw::web routes: the one table of every URL uwitter-web answers. Each entry
// is the methods, the path pattern, the metric label and the handler; the
// front door (web/http/app.hpp), the JSON API (web/http/api.hpp) and the HTML
// pages (web/http/pages.hpp) all dispatch through it, answer 404 for a path no
// entry matches and 405 (with `Allow` built from the entries) for a path some
// entry matches with other methods, and label /metrics by it. Adding an
// endpoint is one entry in web/http/routes.cpp and one handler.
//
// Patterns are segments; ":x" matches any one segment (given to the handler
// undecoded, in Params). Empty segments are skipped ("//u/bob/" is "/u/bob").
// Patterns under /api/v1/ match only paths under /api/v1/ (JSON errors there),
// the others only paths outside it.
//
// Threading: the table is immutable (built on first use, thread-safe static);
// any thread. Handlers run on the loop thread.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/http/server.hpp"

namespace uw::web {

// Methods as bits, so one entry can take several (a page: GET and HEAD).
enum Method : unsigned { kGet = 1, kHead = 2, kPost = 4, kPut = 8, kDelete = 16, kPatch = 32 };
// The bit of a request method; 0 for any other method (it matches no entry).
unsigned method_bit(std::string_view method);
// "GET, HEAD, POST": the Allow header for a set of methods, in a fixed order.
std::string allow_header(unsigned methods);

// The segments a pattern's ":x" parts matched, in order, not percent-decoded.
using Params = std::vector<std::string>;

struct ApiEnv;    // web/http/api.hpp
struct FrontEnv;  // web/http/app.hpp
struct PageSite;  // web/http/page_site.hpp
struct PageCtx;

// A handler of each kind. Front handlers are answered by App (plain text),
// API handlers by Api (JSON), page handlers by Pages (HTML, after the session
// and the CSRF checks).
using FrontFn = void (*)(FrontEnv& env, http::Request&& req, http::Responder res);
using ApiFn = void (*)(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& params);
using PageFn = void (*)(const std::shared_ptr<PageSite>& site, const std::shared_ptr<PageCtx>& c);

struct Route {
  unsigned methods = 0;
  std::string_view pattern;  // "/api/v1/users/:name/follow"
  std::string_view label;    // route="..." on /metrics: a fixed set (a URL scan cannot grow it)
  std::variant<FrontFn, ApiFn, PageFn> handler;
};

// Every entry, in match order.
std::span<const Route> routes();

// Every metric label once, table order, then the labels of unmatched paths:
// "/api/v1/other" and "/other".
std::span<const std::string_view> route_labels();

struct Match {
  bool api = false;              // the path is /api/v1 or under /api/v1/
  const Route* route = nullptr;  // the entry for this method and path; nullptr: 404 or 405
  const Route* first = nullptr;  // the first entry whose pattern matches the path, any method
  unsigned allowed = 0;          // methods of all entries matching the path (0: 404)
  size_t label = 0;              // index into route_labels()
  Params params;                 // the captures of `route`
};

// Looks the request up in the table.
Match match(std::string_view method, std::string_view path);

}  // namespace uw::web
