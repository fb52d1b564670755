#include "web/http/page_site.hpp"

#include <charconv>
#include <chrono>

#include "core/clock.hpp"
#include "web/http/notifiers.hpp"

namespace uw::web {
namespace {

constexpr const char* kCsrfCookie = "uw_csrf";
constexpr const char* kSecureCsrfCookie = "__Host-uw_csrf";

std::optional<std::string_view> find_cookie(const http::Request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    if (auto c = cookie_value(v, name)) return c;
  }
  return std::nullopt;
}

}  // namespace

bool parse_before(std::string_view query, std::optional<int64_t>* out) {
  auto v = http::form_value(query, "before");
  if (!v || v->empty()) return true;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n <= 0) return false;
  *out = n;
  return true;
}

std::string safe_next(std::string_view next) {
  if (next.empty() || next[0] != '/' || next.starts_with("//") || next.find('\\') != std::string_view::npos ||
      next.find_first_of("\r\n") != std::string_view::npos) {
    return "/";
  }
  return std::string(next);
}

CtxPtr PageSite::enter(http::Request&& req, http::Responder res) const {
  auto c = std::make_shared<PageCtx>();
  c->req = std::move(req);
  c->res = std::move(res);
  if (auto s = find_cookie(c->req, session_cookie_name())) {
    c->session = std::string(*s);
    c->viewer = svc.authenticate(c->session);
    // A cookie is cleared only when the session is really gone, not while
    // this instance cannot check it (Service::sessions_unavailable).
    if (!c->viewer && !svc.sessions_unavailable()) c->clear_session = true;
  }
  auto cc = find_cookie(c->req, csrf_cookie_name());
  if (cc && !csrf.token_for(*cc).empty()) {
    c->csrf_cookie = std::string(*cc);
    c->csrf_cookie_from_request = true;
  }
  return c;
}

bool PageSite::post_allowed(PageCtx& c) const {
  auto host = c.req.header("host");
  auto verdict =
      check_origin(c.req.header("origin"), c.req.header("referer"), host ? *host : "", cfg.allowed_origins);
  if (verdict != OriginVerdict::Ok) {
    error(c, 403, "Request blocked",
          verdict == OriginVerdict::Missing ? "This form was sent without an Origin or Referer header, so "
                                              "we cannot tell it came from this site."
                                            : "This form was sent from another site. If you meant to do "
                                              "this, go back, reload the page and try again.");
    return false;
  }
  auto ct = c.req.header("content-type");
  if (!ct || !ct->starts_with("application/x-www-form-urlencoded")) {
    bad_request(c, "This address expects a form (application/x-www-form-urlencoded).");
    return false;
  }
  if (!c.csrf_cookie_from_request || !csrf.verify(c.csrf_cookie, c.form("csrf"))) {
    error(c, 403, "Form expired",
          "This form is out of date or did not come from this site. Go back, reload the page and try again.");
    return false;
  }
  return true;
}

const char* PageSite::session_cookie_name() const {
  return cfg.secure_cookies ? kSecureSessionCookie : kSessionCookie;
}

const char* PageSite::csrf_cookie_name() const {
  return cfg.secure_cookies ? kSecureCsrfCookie : kCsrfCookie;
}

std::string PageSite::cookie_attrs() const {
  return std::string("; Path=/; HttpOnly; SameSite=Lax") + (cfg.secure_cookies ? "; Secure" : "");
}

std::string PageSite::csrf_token(PageCtx& c) const {
  if (c.csrf_cookie.empty()) c.csrf_cookie = csrf.new_cookie_value();
  return csrf.token_for(c.csrf_cookie);
}

views::Frame PageSite::frame(PageCtx& c, std::string title, std::string search_q, bool forms) const {
  views::Frame f;
  f.title = std::move(title);
  f.viewer = c.viewer;
  if (c.viewer || forms) f.csrf = csrf_token(c);
  f.search_q = std::move(search_q);
  f.now_ms = clock::now_ms();
  f.fragments = &fragments;
  mentions.version = svc.users_version();
  mentions.removed_version = svc.users_removed_version();
  f.mentions = &mentions;
  if (c.viewer && !cfg.notifier_urls.empty()) {
    // The viewer's notifier first, the fallbacks after (web/http/notifiers.hpp).
    f.notifier_urls = notifier_order(cfg.notifier_urls, c.viewer->user_id);
    f.notifier_url = f.notifier_urls.front();
    if (auto t = svc.ticket(*c.viewer)) f.ticket = std::move(*t);
  }
  return f;
}

void PageSite::start_session(PageCtx& c, const LoginResult& lr) const {
  int64_t max_age = lr.expires_at_s - clock::now_ms() / 1000;
  if (max_age < 1) max_age = 1;
  c.set_cookies.push_back(std::string(session_cookie_name()) + "=" + lr.token + cookie_attrs() +
                          "; Max-Age=" + std::to_string(max_age));
  c.clear_session = false;
}

void PageSite::finish(PageCtx& c, http::Response r) const {
  if (!c.csrf_cookie_from_request && !c.csrf_cookie.empty()) {
    r.set("Set-Cookie", std::string(csrf_cookie_name()) + "=" + c.csrf_cookie + cookie_attrs());
  }
  if (c.clear_session) {
    r.set("Set-Cookie", std::string(session_cookie_name()) + "=" + cookie_attrs() + "; Max-Age=0");
  }
  for (auto& sc : c.set_cookies) r.set("Set-Cookie", sc);
  r.set("Cache-Control", "no-store");
  c.res.send(std::move(r));
}

void PageSite::page(PageCtx& c, int status, std::string body, std::optional<int64_t> retry_after) const {
  http::Response r = http::Response::html(status, std::move(body));
  if (retry_after) r.set("Retry-After", std::to_string(*retry_after));
  finish(c, std::move(r));
}

std::string PageSite::form_error(const Error& e) {
  if (e.status < 500) return e.message;
  if (e.status == 503 && e.retry_after_s > 0 && !e.message.empty())
    return e.message + " Nothing was saved; what you typed is still here.";
  return "The server could not do that just now. Nothing was saved; please try again in a moment.";
}

std::optional<int64_t> PageSite::retry_after(const Error& e) {
  if (e.retry_after_s > 0) return e.retry_after_s;
  return std::nullopt;
}

void PageSite::redirect(PageCtx& c, std::string location) const {
  http::Response r;
  r.status = 303;
  r.set("Location", std::move(location));
  r.set("Content-Type", "text/plain; charset=utf-8");
  r.body = "See Other\n";
  finish(c, std::move(r));
}

void PageSite::error(PageCtx& c, int status, const std::string& heading, std::string message,
                     std::optional<int64_t> retry_after) const {
  views::ErrorView v{status, heading, std::move(message), retry_after};
  http::Response r = http::Response::html(status, views::error_page(frame(c, heading), v));
  if (retry_after) r.set("Retry-After", std::to_string(*retry_after));
  finish(c, std::move(r));
}

void PageSite::not_found(PageCtx& c) const {
  error(c, 404, "Page not found",
        "There is nothing at this address. Check the spelling, or start from the home page.");
}

void PageSite::no_such_user(PageCtx& c, std::string_view name) const {
  error(c, 404, "No such user",
        "Nobody here is called @" + std::string(name) + ". Try searching for their uweets instead.");
}

void PageSite::bad_request(PageCtx& c, std::string message) const {
  error(c, 400, "Bad request", std::move(message));
}

void PageSite::method_not_allowed(PageCtx& c, const std::string& allow) const {
  views::ErrorView v{405, "Method not allowed", "This address does not accept that kind of request.",
                     std::nullopt};
  http::Response r = http::Response::html(405, views::error_page(frame(c, v.heading), v));
  r.set("Allow", allow);
  finish(c, std::move(r));
}

void PageSite::service_error(PageCtx& c, const Error& e) const {
  if (e.status == 404)
    return error(c, 404, "Not found", e.message.empty() ? "That does not exist." : e.message);
  if (e.status == 503 && e.retry_after_s > 0) {  // the database is busy, away or full: temporary
    return error(c, 503, "Try again in a moment", e.message, e.retry_after_s);
  }
  if (e.status >= 500) {
    return error(c, e.status, "Something went wrong",
                 "The server could not do that just now. Please try again in a moment.");
  }
  error(c, e.status, "That did not work", e.message);
}

void PageSite::need_login(PageCtx& c, std::string_view back) const {
  redirect(c, "/accounts/login?next=" + http::url_encode(back));
}

}  // namespace uw::web
