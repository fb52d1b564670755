// Account pages: the log-in and sign-up forms, what they post to, and log-out.
#include "web/http/page_handlers.hpp"

namespace uw::web::pages {
namespace {

// The log-in (reg false) or sign-up form: on GET, or again after a refused POST
// with v holding what was typed and why it failed.
void auth_form(const SitePtr& s, const CtxPtr& c, bool reg, views::AuthFormView v = {}, int status = 200,
               std::optional<int64_t> retry_after = std::nullopt) {
  const bool is_get = c->req.method != "POST";
  if (c->viewer && is_get) return s->redirect(*c, "/");
  v.register_form = reg;
  if (is_get) v.next = c->query("next");
  v.next = v.next.empty() ? "" : safe_next(v.next);
  if (v.next == "/") v.next.clear();
  http::Response r =
      http::Response::html(status, views::auth_form(s->frame(*c, reg ? "Sign up" : "Log in", "", true), v));
  if (retry_after) r.set("Retry-After", std::to_string(*retry_after));
  s->finish(*c, std::move(r));
}

}  // namespace

void login_form(const SitePtr& s, const CtxPtr& c) { auth_form(s, c, false); }
void register_form(const SitePtr& s, const CtxPtr& c) { auth_form(s, c, true); }

void log_in(const SitePtr& s, const CtxPtr& c) {
  std::string username = c->form("username");
  std::string next = c->form("next");
  s->svc.login(username, c->form("password"), c->req.peer_ip, [s, c, username, next](Result<LoginResult> r) {
    if (r) {
      s->start_session(*c, *r);
      return s->redirect(*c, safe_next(next));
    }
    const Error& e = r.error();
    views::AuthFormView v;
    v.username = username;
    v.next = next;
    if (e.status >= 500) {  // the form again, the name kept (never the password)
      v.error = PageSite::form_error(e);
      return auth_form(s, c, false, std::move(v), e.status, PageSite::retry_after(e));
    }
    if (e.status == 429) {
      int64_t wait = std::max<int64_t>(1, s->svc.retry_after_s(username, c->req.peer_ip));
      v.error = "Too many failed attempts. Please wait " + std::to_string(wait) + " seconds and try again.";
      return auth_form(s, c, false, std::move(v), 429, wait);
    }
    // Same words whether or not the user exists.
    v.error = "Wrong username or password.";
    auth_form(s, c, false, std::move(v), 401);
  });
}

void sign_up(const SitePtr& s, const CtxPtr& c) {
  std::string username = c->form("username");
  std::string password = c->form("password");
  s->svc.register_account(
      username, password, c->req.peer_ip, [s, c, username, password](const Result<User>& r) {
        if (!r) {
          const Error& e = r.error();
          views::AuthFormView v;
          v.username = username;
          if (e.status >= 500) {
            v.error = PageSite::form_error(e);
            return auth_form(s, c, true, std::move(v), e.status, PageSite::retry_after(e));
          }
          // A reserved name (a deleted account's) says until when.
          v.error =
              e.code == "username_taken" ? "That username is taken. Please pick another one." : e.message;
          std::optional<int64_t> retry;
          if (e.retry_after_s > 0) retry = e.retry_after_s;
          return auth_form(s, c, true, std::move(v), e.status, retry);
        }
        // Signed up: log straight in.
        s->svc.login(username, password, c->req.peer_ip, [s, c](Result<LoginResult> lr) {
          if (!lr) return s->redirect(*c, "/accounts/login");
          s->start_session(*c, *lr);
          s->redirect(*c, "/");
        });
      });
}

void log_out(const SitePtr& s, const CtxPtr& c) {
  if (c->session.empty()) return s->redirect(*c, "/");
  s->svc.logout(c->session, [s, c](const Result<Unit>&) {
    c->clear_session = true;
    s->redirect(*c, "/");
  });
}

}  // namespace uw::web::pages
