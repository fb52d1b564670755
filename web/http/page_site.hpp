#pragma once
// uw::web::PageSite — what every HTML page handler shares: the Service, the
// page configuration, the CSRF secret, the caches of rendered HTML, and the
// helpers that finish a response (cookies, Cache-Control, error pages).
// PageCtx is one request in flight. The handlers themselves are in
// web/http/pages_*.cpp, one file per concern, reached through the route table.
//
// Lifetime: Service callbacks run later on the loop thread; they hold a
// shared_ptr to the PageSite and to the request's PageCtx, never a raw
// pointer, so a late callback is harmless.
// Threading: loop thread only.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/server.hpp"
#include "web/http/csrf.hpp"
#include "web/http/pages.hpp"
#include "web/http/routes.hpp"
#include "web/http/views.hpp"

namespace uw::web {

inline constexpr int kPageSize = 50;  // uweets per timeline page
inline constexpr int kPeoplePageSize = 50;

// One request in flight.
struct PageCtx {
  http::Request req;
  http::Responder res;
  Params params;  // the route's :name segments, undecoded
  std::optional<Viewer> viewer;
  std::string session;      // token from the cookie
  std::string csrf_cookie;  // value in force for this browser ("" until a page needs one)
  bool csrf_cookie_from_request = false;
  bool clear_session = false;  // an unknown/expired session cookie came in
  std::vector<std::string> set_cookies;
  std::string form(std::string_view key) const { return http::form_value(req.body, key).value_or(""); }
  std::string query(std::string_view key) const { return http::form_value(req.query, key).value_or(""); }
};
using CtxPtr = std::shared_ptr<PageCtx>;
using SitePtr = std::shared_ptr<PageSite>;

// A rendered page every anonymous visitor can be given, valid while the data it
// shows is unchanged and for at most kMaxAgeMs (relative times on it age).
struct SharedPage {
  static constexpr int64_t kMaxAgeMs = 1000;
  int64_t version = -1;
  int64_t rendered_ms = 0;
  std::string body;
  bool fresh(int64_t current_version, int64_t now) const {
    return version == current_version && now >= rendered_ms && now - rendered_ms < kMaxAgeMs;
  }
};

// A positive id from ?before=, nullopt when absent; false when malformed.
bool parse_before(std::string_view query, std::optional<int64_t>* out);
// Only local paths are allowed after login (no open redirect).
std::string safe_next(std::string_view next);

struct PageSite {
  Service& svc;
  PagesConfig cfg;
  Csrf csrf;
  SharedPage anon_home;  // GET / for anonymous visitors, first page
  // Rendered uweets (they never change). mutable: a cache behind const frame().
  mutable views::UweetFragments fragments;
  // Mentions link only to users that exist; its version is refreshed per page.
  mutable views::Mentions mentions;

  PageSite(Service& s, PagesConfig c)
      : svc(s),
        cfg(std::move(c)),
        csrf(cfg.csrf_secret ? Csrf(*cfg.csrf_secret) : Csrf()),
        fragments(cfg.html_cache_entries) {
    mentions.exists = [&svc = svc](std::string_view name) { return svc.user_exists(name); };
  }

  // A PageCtx for the request: its session (an unknown one is cleared) and csrf cookie.
  CtxPtr enter(http::Request&& req, http::Responder res) const;
  // Origin (or Referer) must be ours, the form must be urlencoded and its csrf
  // field must be the MAC of the browser's csrf cookie. Answers 403/400 itself.
  bool post_allowed(PageCtx& c) const;

  const char* session_cookie_name() const;
  const char* csrf_cookie_name() const;
  std::string cookie_attrs() const;

  // The CSRF form token for this browser. A browser without a valid csrf cookie
  // gets a new one here, sent with the response; pages without a form never
  // call this, so they set no cookie (and can be shared, see anon_home).
  std::string csrf_token(PageCtx& c) const;
  // forms: the page carries a POST form even for an anonymous visitor (log in,
  // sign up). A logged-in page always does (the log-out button).
  views::Frame frame(PageCtx& c, std::string title, std::string search_q = "", bool forms = false) const;
  // Sets the session cookie for a fresh login.
  void start_session(PageCtx& c, const LoginResult& lr) const;

  // Responses: each adds the cookies and Cache-Control: no-store.
  void finish(PageCtx& c, http::Response r) const;
  void page(PageCtx& c, int status, std::string body,
            std::optional<int64_t> retry_after = std::nullopt) const;
  void redirect(PageCtx& c, std::string location) const;
  void error(PageCtx& c, int status, const std::string& heading, std::string message,
             std::optional<int64_t> retry_after = std::nullopt) const;
  void not_found(PageCtx& c) const;
  void no_such_user(PageCtx& c, std::string_view name) const;
  void bad_request(PageCtx& c, std::string message) const;
  void method_not_allowed(PageCtx& c, const std::string& allow) const;
  // The message a form shows again, with what was typed, for a refused
  // submission: the Service's own words for a 4xx and for a temporary 503
  // (database busy, away or full), a plain sentence for any other 5xx; both
  // say that nothing was saved. (Issue 15 slice 7: a 503 or 429 must not lose
  // the typed text.)
  static std::string form_error(const Error& e);
  // Retry-After for a refused form (the Error's retry_after_s), if any.
  static std::optional<int64_t> retry_after(const Error& e);
  // A Service failure that has no form to go back to.
  void service_error(PageCtx& c, const Error& e) const;
  void need_login(PageCtx& c, std::string_view back) const;
};

}  // namespace uw::web
