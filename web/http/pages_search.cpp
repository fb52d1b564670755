// The search page: the form, and the results for ?q=.
#include "core/rules.hpp"
#include "web/http/page_handlers.hpp"

namespace uw::web::pages {

void search(const SitePtr& s, const CtxPtr& c) {
  std::optional<int64_t> before;
  if (!parse_before(c->req.query, &before))
    return s->bad_request(*c, "The “before” value must be a uweet number.");
  std::string q = c->query("q");
  views::SearchView v;
  v.q = q;
  // The API's rule (rules::check_search_query); a blank box just shows the form.
  if (auto ok = rules::check_search_query(q); !ok) {
    if (ok.error().code == "missing_query")
      return s->page(*c, 200, views::search(s->frame(*c, "Search", q), v));
    v.searched = true;
    v.error = ok.error().message;
    return s->page(*c, ok.error().status, views::search(s->frame(*c, "Search", q), v));
  }
  s->svc.search(q, before, kPageSize, [s, c, v](Result<Page<Uweet>> r) mutable {
    v.searched = true;
    int status = 200;
    if (!r) {
      if (r.error().status >= 500) return s->service_error(*c, r.error());
      v.error = r.error().message;
      status = r.error().status;
    } else {
      v.results.items = std::move(r->items);
      v.results.next_before = r->next_before;
      v.results.older_base = "/search?q=" + http::url_encode(v.q) + "&";
      v.results.empty_text = "No uweets match. Try fewer or different words.";
    }
    s->page(*c, status, views::search(s->frame(*c, "Search: " + v.q, v.q), v));
  });
}

}  // namespace uw::web::pages
