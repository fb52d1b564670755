#include "web/http/routes.hpp"

#include <array>
#include <optional>

#include "web/http/api.hpp"
#include "web/http/app.hpp"
#include "web/http/page_handlers.hpp"

namespace uw::web {
namespace {

constexpr unsigned kPage = kGet | kHead;  // the server drops HEAD bodies

// clang-format off
const Route kTable[] = {
    // Front door: plain text.
    {kGet | kHead, "/healthz",      "/healthz", front::healthz},
    {kGet | kHead, "/metrics",      "/metrics", front::metrics},
    {kGet | kHead, "/static/:file", "/static",  front::static_file},

    // JSON API (DESIGN.md "Interfaces").
    {kPost,   "/api/v1/accounts",               "/api/v1/accounts",               api::create_account},
    {kPost,   "/api/v1/sessions",               "/api/v1/sessions",               api::log_in},
    {kDelete, "/api/v1/sessions",               "/api/v1/sessions",               api::log_out},
    {kPost,   "/api/v1/uweets",                 "/api/v1/uweets",                 api::post_uweet},
    {kGet,    "/api/v1/uweets/:id",             "/api/v1/uweets/:id",             api::get_uweet},
    {kDelete, "/api/v1/uweets/:id",             "/api/v1/uweets/:id",             api::delete_uweet},
    {kGet,    "/api/v1/timelines/home",         "/api/v1/timelines/home",         api::home_timeline},
    {kGet,    "/api/v1/timelines/public",       "/api/v1/timelines/public",       api::public_timeline},
    {kGet,    "/api/v1/users/:name",            "/api/v1/users/:name",            api::profile},
    {kGet,    "/api/v1/users/:name/uweets",     "/api/v1/users/:name/uweets",     api::user_uweets},
    {kGet,    "/api/v1/users/:name/followers",  "/api/v1/users/:name/followers",  api::followers},
    {kGet,    "/api/v1/users/:name/following",  "/api/v1/users/:name/following",  api::following},
    {kPut,    "/api/v1/users/:name/follow",     "/api/v1/users/:name/follow",     api::follow},
    {kDelete, "/api/v1/users/:name/follow",     "/api/v1/users/:name/follow",     api::unfollow},
    {kGet,    "/api/v1/search",                 "/api/v1/search",                 api::search},
    {kGet,    "/api/v1/notifications/ticket",   "/api/v1/notifications/ticket",   api::ticket},
    {kGet,    "/api/v1/notifications",          "/api/v1/notifications",          api::notifications},
    {kPost,   "/api/v1/notifications/read",     "/api/v1/notifications/read",     api::mark_notifications_read},
    {kGet,    "/api/v1/me",                     "/api/v1/me",                     api::me},
    {kPatch,  "/api/v1/me",                     "/api/v1/me",                     api::update_me},
    {kPost,   "/api/v1/me/password",            "/api/v1/me/password",            api::change_password},
    {kDelete, "/api/v1/me",                     "/api/v1/me",                     api::delete_me},

    // HTML pages.
    {kPage, "/",                  "/",              pages::home},
    {kPost, "/post",              "/post",          pages::post},
    {kPage, "/search",            "/search",        pages::search},
    {kPage, "/notifications",     "/notifications", pages::notifications},
    {kPost, "/notifications/read", "/notifications", pages::mark_notifications_read},
    {kPage, "/accounts/login",    "/accounts",      pages::login_form},
    {kPost, "/accounts/login",    "/accounts",      pages::log_in},
    {kPage, "/accounts/register", "/accounts",      pages::register_form},
    {kPost, "/accounts/register", "/accounts",      pages::sign_up},
    {kPost, "/accounts/logout",   "/accounts",      pages::log_out},
    {kPage, "/u/:name",           "/u/:name",       pages::profile},
    {kPage, "/u/:name/followers", "/u/:name",       pages::followers},
    {kPage, "/u/:name/following", "/u/:name",       pages::following},
    {kPage, "/u/:name/:id",       "/u/:name/:id",   pages::permalink},
    {kPage, "/delete/:id",        "/delete",        pages::delete_form},
    {kPost, "/delete/:id",        "/delete",        pages::delete_uweet},
    {kPost, "/follow/:name",      "/follow",        pages::follow},
    {kPost, "/unfollow/:name",    "/unfollow",      pages::unfollow},
    {kPage, "/settings",          "/settings",      pages::settings},
    {kPost, "/settings/profile",  "/settings",      pages::save_profile},
    {kPost, "/settings/password", "/settings",      pages::change_password},
    {kPage, "/settings/delete",   "/settings",      pages::delete_account_form},
    {kPost, "/settings/delete",   "/settings",      pages::delete_account},
};
// clang-format on
constexpr size_t kRouteCount = sizeof(kTable) / sizeof(kTable[0]);

constexpr size_t kMaxSegments = 8;  // deeper paths match nothing
using Segments = std::array<std::string_view, kMaxSegments>;

// Splits into non-empty segments; nullopt when there are more than kMaxSegments.
std::optional<size_t> split(std::string_view path, Segments* out) {
  size_t n = 0;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    if (n == kMaxSegments) return std::nullopt;
    auto s = path.substr(0, path.find('/'));
    (*out)[n++] = s;
    path.remove_prefix(s.size());
  }
  return n;
}

bool is_api_path(std::string_view path) { return path.starts_with("/api/v1/") || path == "/api/v1"; }

// The table with its patterns split once, and each entry's label index.
struct Compiled {
  struct Entry {
    Segments segs{};
    size_t n = 0;
    bool api = false;
    size_t label = 0;
  };
  std::array<Entry, kRouteCount> entries;
  std::vector<std::string_view> labels;
  size_t api_other = 0, other = 0;

  Compiled() {
    for (size_t i = 0; i < kRouteCount; ++i) {
      const Route& r = kTable[i];
      Entry& e = entries[i];
      e.n = split(r.pattern, &e.segs).value_or(0);
      e.api = is_api_path(r.pattern);
      size_t at = 0;
      while (at < labels.size() && labels[at] != r.label) ++at;
      if (at == labels.size()) labels.push_back(r.label);
      e.label = at;
    }
    api_other = labels.size();
    labels.push_back("/api/v1/other");
    other = labels.size();
    labels.push_back("/other");
  }

  static bool matches(const Entry& e, const Segments& segs, size_t n) {
    if (e.n != n) return false;
    for (size_t i = 0; i < n; ++i)
      if (e.segs[i].front() != ':' && e.segs[i] != segs[i]) return false;
    return true;
  }
};

const Compiled& compiled() {
  static const Compiled c;
  return c;
}

}  // namespace

unsigned method_bit(std::string_view m) {
  if (m == "GET") return kGet;
  if (m == "HEAD") return kHead;
  if (m == "POST") return kPost;
  if (m == "PUT") return kPut;
  if (m == "DELETE") return kDelete;
  if (m == "PATCH") return kPatch;
  return 0;
}

std::string allow_header(unsigned methods) {
  static constexpr std::pair<unsigned, const char*> kNames[] = {
      {kGet, "GET"}, {kHead, "HEAD"}, {kPost, "POST"}, {kPut, "PUT"}, {kDelete, "DELETE"}, {kPatch, "PATCH"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(methods & bit)) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::span<const Route> routes() { return kTable; }

std::span<const std::string_view> route_labels() { return compiled().labels; }

Match match(std::string_view method, std::string_view path) {
  const Compiled& c = compiled();
  Match m;
  m.api = is_api_path(path);
  m.label = m.api ? c.api_other : c.other;
  Segments segs;
  auto n = split(path, &segs);
  if (!n) return m;
  const unsigned bit = method_bit(method);
  for (size_t i = 0; i < kRouteCount; ++i) {
    const auto& e = c.entries[i];
    if (e.api != m.api || !Compiled::matches(e, segs, *n)) continue;
    const Route& r = kTable[i];
    if (!m.first) {
      m.first = &r;
      m.label = e.label;
    }
    m.allowed |= r.methods;
    if (!m.route && (r.methods & bit)) {
      m.route = &r;
      for (size_t k = 0; k < *n; ++k)
        if (e.segs[k].front() == ':') m.params.emplace_back(segs[k]);
    }
  }
  return m;
}

}  // namespace uw::web
