// The settings page (/settings): the profile form (display name and bio), the
// password form, and deleting the account (/settings/delete: a confirmation
// page with the password, then the delete). Every POST here has passed the Origin and CSRF checks
// (Pages); a refused form is shown again with what was typed (never a
// password) and what to fix.
#include "web/http/page_handlers.hpp"

namespace uw::web::pages {
namespace {

void render(const SitePtr& s, const CtxPtr& c, const views::SettingsView& v, int status,
            std::optional<int64_t> retry_after = std::nullopt) {
  views::Frame f = s->frame(*c, "Settings");
  s->page(*c, status, views::settings(f, v), retry_after);
}

// The form as stored (display name and bio from the Service's memory).
std::optional<views::SettingsView> stored(const SitePtr& s, const CtxPtr& c) {
  auto me = s->svc.me(*c->viewer);
  if (!me) {
    s->service_error(*c, me.error());
    return std::nullopt;
  }
  views::SettingsView v;
  v.display_name = me->display_name;
  v.bio = me->bio;
  return v;
}

void password_refused(const SitePtr& s, const CtxPtr& c, std::string message, int status,
                      std::optional<int64_t> retry_after = std::nullopt) {
  auto v = stored(s, c);
  if (!v) return;
  v->password_error = std::move(message);
  render(s, c, *v, status, retry_after);
}

}  // namespace

void settings(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/settings");
  auto v = stored(s, c);
  if (!v) return;
  v->saved = c->query("saved") == "1";
  v->password_changed = c->query("password") == "changed";
  render(s, c, *v, 200);
}

void save_profile(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/settings");
  std::string name = c->form("display_name"), bio = c->form("bio");
  s->svc.update_profile(*c->viewer, name, bio, [s, c, name, bio](const Result<User>& r) {
    if (r) return s->redirect(*c, "/settings?saved=1");
    views::SettingsView v;  // what was typed, even after a 503
    v.display_name = name;
    v.bio = bio;
    v.error = PageSite::form_error(r.error());
    render(s, c, v, r.error().status, PageSite::retry_after(r.error()));
  });
}

void change_password(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/settings");
  std::string current = c->form("current_password"), next = c->form("new_password");
  if (next != c->form("new_password_again"))
    return password_refused(s, c, "The two new passwords are not the same.", 422);
  s->svc.change_password(*c->viewer, c->session, std::move(current), std::move(next), c->req.peer_ip,
                         [s, c](const Result<Unit>& r) {
                           if (r) return s->redirect(*c, "/settings?password=changed");
                           password_refused(s, c, PageSite::form_error(r.error()), r.error().status,
                                            PageSite::retry_after(r.error()));
                         });
}

views::DeleteAccountView delete_view(const SitePtr& s, const CtxPtr& c) {
  views::DeleteAccountView v;
  v.username = c->viewer->username;
  v.name_reserved_days = (s->svc.name_reserved_s() + 86399) / 86400;
  return v;
}

void delete_account_form(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/settings/delete");
  views::Frame f = s->frame(*c, "Delete your account?");
  s->page(*c, 200, views::delete_account_confirm(f, delete_view(s, c)));
}

void delete_account(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/settings/delete");
  const auto refused = [s, c](std::string message, int status, std::optional<int64_t> retry_after = {}) {
    views::DeleteAccountView v = delete_view(s, c);
    v.error = std::move(message);
    views::Frame f = s->frame(*c, "Delete your account?");
    s->page(*c, status, views::delete_account_confirm(f, v), retry_after);
  };
  if (c->form("confirm") != "yes")
    return refused("Tick the box to confirm that the account and everything in it should go.", 422);
  s->svc.delete_account(
      *c->viewer, c->form("password"), c->req.peer_ip, [s, c, refused](const Result<Unit>& r) {
        if (!r) {
          return refused(PageSite::form_error(r.error()), r.error().status, PageSite::retry_after(r.error()));
        }
        views::DeleteAccountView v = delete_view(s, c);
        c->viewer.reset();
        c->clear_session = true;
        views::Frame f = s->frame(*c, "Account deleted");
        s->page(*c, 200, views::account_deleted(f, v));
      });
}

}  // namespace uw::web::pages
