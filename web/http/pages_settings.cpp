// The settings page (/settings): the profile form (display name and bio).
// Every POST here has passed the Origin and CSRF checks (Pages).
#include "web/http/page_handlers.hpp"

namespace uw::web::pages {
namespace {

void render(const SitePtr& s, const CtxPtr& c, views::SettingsView v, int status) {
  views::Frame f = s->frame(*c, "Settings");
  s->page(*c, status, views::settings(f, v));
}

}  // namespace

void settings(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/settings");
  auto me = s->svc.me(*c->viewer);
  if (!me) return s->service_error(*c, me.error());
  render(s, c, views::SettingsView{me->display_name, me->bio, "", c->query("saved") == "1"}, 200);
}

void save_profile(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/settings");
  std::string name = c->form("display_name"), bio = c->form("bio");
  s->svc.update_profile(*c->viewer, name, bio, [s, c, name, bio](const Result<User>& r) {
    if (r) return s->redirect(*c, "/settings?saved=1");
    if (r.error().status >= 500) return s->service_error(*c, r.error());
    // Re-shown as typed, with what to fix.
    render(s, c, views::SettingsView{name, bio, r.error().message, false}, r.error().status);
  });
}

}  // namespace uw::web::pages
