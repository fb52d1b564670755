// Timeline pages: the home page (the viewer's timeline, or the public one for
// an anonymous visitor), posting from its form, and /notifications.
#include "core/clock.hpp"
#include "core/store/notifications.hpp"
#include "web/http/page_handlers.hpp"

namespace uw::web::pages {
namespace {

// The home page; compose and status re-render it after a refused post.
void render_home(const SitePtr& s, const CtxPtr& c, views::ComposeView compose, int status,
                 std::optional<int64_t> retry_after = std::nullopt) {
  std::optional<int64_t> before;
  if (!parse_before(c->req.query, &before))
    return s->bad_request(*c, "The “before” value must be a uweet number.");
  // The anonymous front page is the same for every visitor (no form with a
  // token on it): reuse its rendering while the public timeline is unchanged,
  // for at most a second (so "2m" ages stay right to within a second).
  const bool shared = !c->viewer && !before && status == 200 && compose.text.empty() && compose.error.empty();
  const int64_t version = s->svc.public_timeline_version();
  if (shared && s->anon_home.fresh(version, clock::now_ms())) return s->page(*c, 200, s->anon_home.body);
  auto done = [s, c, compose = std::move(compose), status, shared, version,
               retry_after](Result<Page<Uweet>> r) {
    // A refused post keeps its text even when the timeline cannot be read
    // either (the database is away): the form, and no timeline.
    const bool refused_post = !compose.error.empty();
    if (!r && !refused_post) return s->service_error(*c, r.error());
    views::HomeView v;
    v.compose = compose;
    if (r) {
      v.timeline.items = std::move(r->items);
      v.timeline.next_before = r->next_before;
    }
    v.timeline.older_base = "/?";
    v.timeline.empty_text = !r ? "The timeline cannot be loaded just now."
                            : c->viewer
                                ? "Your timeline is empty. Post something, or search for people to follow."
                                : "Nobody has uweeted yet. Be the first!";
    views::Frame f = s->frame(*c, c->viewer ? "Home" : "Welcome");
    std::string body = views::home(f, v);
    // The version is the one read before the query: a commit that raced the
    // query makes the entry stale at once rather than serving a mixed page.
    if (shared) s->anon_home = SharedPage{version, f.now_ms, body};
    s->page(*c, status, std::move(body), retry_after);
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
    c->req.query.clear();  // re-render the first page of the timeline
    // Refused for any reason (422, 429, a 503 from the store): the form again
    // with the text as typed and why.
    render_home(s, c, views::ComposeView{text, PageSite::form_error(r.error())}, r.error().status,
                PageSite::retry_after(r.error()));
  });
}

namespace {

// The stored history page; `error` after a refused mark-as-read.
void render_notifications(const SitePtr& s, const CtxPtr& c, std::string error, int status) {
  std::optional<NotificationKey> before;
  if (auto b = c->query("before"); !b.empty()) {
    before = notes::parse_key(b);
    if (!before) return s->bad_request(*c, "The “before” value must be a notification cursor like 123.0.");
  }
  s->svc.notifications(
      *c->viewer, before, kPageSize,
      [s, c, older = before.has_value(), error = std::move(error), status](Result<NotificationList> r) {
        if (!r) return s->service_error(*c, r.error());
        views::Frame f = s->frame(*c, "Notifications");
        views::NotificationsView v{f.notifier_url, f.ticket, std::move(r.value()),
                                   older,          error,    f.notifier_urls};
        s->page(*c, status, views::notifications(f, v));
      });
}

}  // namespace

void notifications(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/notifications");
  render_notifications(s, c, "", 200);
}

void mark_notifications_read(const SitePtr& s, const CtxPtr& c) {
  if (!c->viewer) return s->need_login(*c, "/notifications");
  c->req.query.clear();  // the answer shows the first page
  auto up_to = notes::parse_key(c->form("up_to"));
  if (!up_to)
    return render_notifications(s, c, "That is not a notification to mark read up to; reload and try again.",
                                400);
  s->svc.mark_notifications_read(*c->viewer, *up_to, [s, c](const Result<NotificationKey>& r) {
    if (r) return s->redirect(*c, "/notifications");
    render_notifications(s, c, PageSite::form_error(r.error()), r.error().status);
  });
}

}  // namespace uw::web::pages
