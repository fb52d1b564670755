// Timeline pages: the home page (the viewer's timeline, or the public one for
// an anonymous visitor), posting from its form, and /notifications.
#include "core/clock.hpp"
#include "web/http/page_handlers.hpp"

namespace uw::web::pages {
namespace {

// The home page; compose and status re-render it after a refused post.
void render_home(const SitePtr& s, const CtxPtr& c, views::ComposeView compose, int status) {
  std::optional<int64_t> before;
  if (!parse_before(c->req.query, &before))
    return s->bad_request(*c, "The “before” value must be a uweet number.");
  // The anonymous front page is the same for every visitor (no form with a
  // token on it): reuse its rendering while the public timeline is unchanged,
  // for at most a second (so "2m" ages stay right to within a second).
  const bool shared = !c->viewer && !before && status == 200 && compose.text.empty() && compose.error.empty();
  const int64_t version = s->svc.public_timeline_version();
  if (shared && s->anon_home.fresh(version, clock::now_ms())) return s->page(*c, 200, s->anon_home.body);
  auto done = [s, c, compose = std::move(compose), status, shared, version](Result<Page<Uweet>> r) {
    if (!r) return s->service_error(*c, r.error());
    views::HomeView v;
    v.compose = compose;
    v.timeline.items = std::move(r->items);
    v.timeline.next_before = r->next_before;
    v.timeline.older_base = "/?";
    v.timeline.empty_text = c->viewer
                                ? "Your timeline is empty. Post something, or search for people to follow."
                                : "Nobody has uweeted yet. Be the first!";
    views::Frame f = s->frame(*c, c->viewer ? "Home" : "Welcome");
    std::string body = views::home(f, v);
    // The version is the one read before the query: a commit that raced the
    // query makes the entry stale at once rather than serving a mixed page.
    if (shared) s->anon_home = SharedPage{version, f.now_ms, body};
    s->page(*c, status, std::move(body));
  };
  if (c->viewer)
    s->svc.home_timeline(*c->viewer, before, kPageSize, std::move(done));
  else
    s->svc.public_timeline(before, kPageSize, std::move(done));
}

}  // namespace

void home(const SitePtr& s, const CtxPtr& c) { render_home(s, c, {}, 200); }

void post(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/");
  std::string text = c->form("text");
  s->svc.post(*c->viewer, text, std::nullopt, [s, c, text](const Result<Posted>& r) {
    if (r) return s->redirect(*c, "/");
    if (r.error().status >= 500) return s->service_error(*c, r.error());
    c->req.query.clear();  // re-render the first page of the timeline
    render_home(s, c, views::ComposeView{text, r.error().message}, r.error().status);
  });
}

void notifications(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/notifications");
  views::Frame f = s->frame(*c, "Notifications");
  s->page(*c, 200, views::notifications(f, views::NotificationsView{s->cfg.notifier_url, f.ticket}));
}

}  // namespace uw::web::pages
