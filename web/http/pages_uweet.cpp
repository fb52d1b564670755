// One uweet's pages: its permalink (/u/<name>/<id>) and, for its author, the
// delete confirmation (GET /delete/<id>) and the delete itself (POST).
#include <charconv>

#include "core/rules.hpp"
#include "web/http/page_handlers.hpp"

namespace uw::web::pages {
namespace {

std::optional<int64_t> uweet_id(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// What a title shows of a uweet's text: its first 60 code points.
std::string title_text(const std::string& text) {
  size_t cut = 0, n = 0;
  while (cut < text.size() && n < 60) {
    const auto c = static_cast<unsigned char>(text[cut]);
    cut += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++n;
  }
  if (cut >= text.size()) return text;
  return text.substr(0, cut) + "…";
}

// The viewer's own uweet `id`, or an answered request (login, 404, 403).
void own_uweet(const SitePtr& s, const CtxPtr& c, std::function<void(Uweet)> then) {
  auto id = uweet_id(c->params.at(0));
  if (!id) return s->not_found(*c);
  if (!c->viewer) return s->need_login(*c, "/delete/" + std::to_string(*id));
  s->svc.uweet(*id, [s, c, then = std::move(then)](Result<Uweet> r) {
    if (!r) return s->service_error(*c, r.error());
    if (r->author_id != c->viewer->user_id)
      return s->error(*c, 403, "Not your uweet", "You can delete only your own uweets.");
    then(std::move(r.value()));
  });
}

}  // namespace

void permalink(const SitePtr& s, const CtxPtr& c) {
  auto name = http::url_decode(c->params.at(0), false);
  auto id = uweet_id(c->params.at(1));
  if (!name || !id || !rules::check_username(*name).ok()) return s->not_found(*c);
  s->svc.uweet(*id, [s, c, name = *name](Result<Uweet> r) {
    // A wrong name for the id is as unknown as a wrong id.
    if (!r || rules::username_key(r->author) != rules::username_key(name)) {
      if (r || r.error().status == 404)
        return s->error(*c, 404, "No such uweet", "There is no such uweet by @" + name + ".");
      return s->service_error(*c, r.error());
    }
    views::Frame f = s->frame(*c, "@" + r->author + ": “" + title_text(r->text) + "”");
    f.description = r->text;
    s->page(*c, 200, views::uweet_page(f, views::UweetPageView{std::move(r.value())}));
  });
}

void delete_form(const SitePtr& s, const CtxPtr& c) {
  own_uweet(s, c, [s, c](Uweet u) {
    views::Frame f = s->frame(*c, "Delete this uweet?");
    s->page(*c, 200, views::delete_confirm(f, views::DeleteView{std::move(u), ""}));
  });
}

void delete_uweet(const SitePtr& s, const CtxPtr& c) {
  auto id = uweet_id(c->params.at(0));
  if (!id) return s->not_found(*c);
  if (!c->viewer) return s->need_login(*c, "/delete/" + std::to_string(*id));
  s->svc.delete_uweet(*c->viewer, *id, [s, c](const Result<Unit>& r) {
    if (r) return s->redirect(*c, "/u/" + c->viewer->username);
    if (r.error().status == 403)
      return s->error(*c, 403, "Not your uweet", "You can delete only your own uweets.");
    s->service_error(*c, r.error());
  });
}

}  // namespace uw::web::pages
