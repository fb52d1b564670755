// People pages: a profile with its uweets, followers and following lists, and
// the follow / unfollow buttons.
#include "core/rules.hpp"
#include "web/http/page_handlers.hpp"

namespace uw::web::pages {
namespace {

// The :name segment decoded; nullopt (with *shown set to what to show) when it
// cannot be a username.
std::optional<std::string> user_name(const PageCtx& c, std::string* shown) {
  const std::string& raw = c.params.at(0);
  auto name = http::url_decode(raw, false);
  *shown = name ? *name : raw;
  if (!name || !rules::check_username(*name).ok()) return std::nullopt;
  return name;
}

void people(const SitePtr& s, const CtxPtr& c, bool followers) {
  std::string shown;
  auto name = user_name(*c, &shown);
  if (!name) return s->no_such_user(*c, shown);
  std::optional<int64_t> before;
  if (!parse_before(c->req.query, &before)) return s->bad_request(*c, "The “before” value must be a number.");
  auto done = [s, c, name = *name, followers](Result<Page<User>> r) {
    if (!r) return r.error().status == 404 ? s->no_such_user(*c, name) : s->service_error(*c, r.error());
    views::PeopleView v{name, followers, std::move(r->items), r->next_before};
    std::string title = (followers ? "Followers of @" : "Followed by @") + name;
    s->page(*c, 200, views::people(s->frame(*c, title), v));
  };
  if (followers)
    s->svc.followers(*name, before, kPeoplePageSize, std::move(done));
  else
    s->svc.following(*name, before, kPeoplePageSize, std::move(done));
}

void set_follow(const SitePtr& s, const CtxPtr& c, bool follow) {
  std::string shown;
  auto name = user_name(*c, &shown);
  if (!name) return s->not_found(*c);
  if (!c->viewer) return s->need_login(*c, "/u/" + *name);
  auto done = [s, c, name = *name](const Result<bool>& r) {
    if (r) return s->redirect(*c, "/u/" + name);
    if (r.error().status == 404) return s->no_such_user(*c, name);
    s->service_error(*c, r.error());
  };
  if (follow)
    s->svc.follow(*c->viewer, *name, std::move(done));
  else
    s->svc.unfollow(*c->viewer, *name, std::move(done));
}

}  // namespace

void profile(const SitePtr& s, const CtxPtr& c) {
  std::string shown;
  auto name = user_name(*c, &shown);
  if (!name) return s->no_such_user(*c, shown);
  std::optional<int64_t> before;
  if (!parse_before(c->req.query, &before))
    return s->bad_request(*c, "The “before” value must be a uweet number.");
  s->svc.profile(*name, c->viewer, [s, c, name = *name, before](Result<Profile> p) {
    if (!p) return p.error().status == 404 ? s->no_such_user(*c, name) : s->service_error(*c, p.error());
    auto prof = std::make_shared<Profile>(std::move(*p));
    s->svc.user_uweets(name, before, kPageSize, [s, c, prof](Result<Page<Uweet>> r) {
      if (!r) return s->service_error(*c, r.error());
      views::ProfileView v;
      v.profile = *prof;
      v.uweets.items = std::move(r->items);
      v.uweets.next_before = r->next_before;
      v.uweets.older_base = "/u/" + prof->user.username + "?";
      v.uweets.empty_text = "@" + prof->user.username + " has not uweeted yet.";
      s->page(*c, 200, views::profile(s->frame(*c, "@" + prof->user.username), v));
    });
  });
}

void followers(const SitePtr& s, const CtxPtr& c) { people(s, c, true); }
void following(const SitePtr& s, const CtxPtr& c) { people(s, c, false); }
void follow(const SitePtr& s, const CtxPtr& c) { set_follow(s, c, true); }
void unfollow(const SitePtr& s, const CtxPtr& c) { set_follow(s, c, false); }

}  // namespace uw::web::pages
