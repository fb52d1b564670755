// uw::web::Pages — dispatch of the HTML routes. Rendering is in views.cpp,
// escaping in html.cpp, CSRF in csrf.cpp, static files in assets.cpp, the
// handlers in pages_*.cpp.
#include "web/http/pages.hpp"

#include "web/http/page_site.hpp"

namespace uw::web {

Pages::Pages(Service& svc, PagesConfig cfg) : site_(std::make_shared<PageSite>(svc, std::move(cfg))) {}

Pages::~Pages() = default;

void Pages::answer(http::Request&& req, http::Responder res, const Match& m) {
  CtxPtr c = site_->enter(std::move(req), std::move(res));
  if (c->req.method == "POST" && !site_->post_allowed(*c)) return;
  if (m.route && std::holds_alternative<PageFn>(m.route->handler)) {
    c->params = m.params;
    return std::get<PageFn>(m.route->handler)(site_, c);
  }
  if (m.allowed) return site_->method_not_allowed(*c, allow_header(m.allowed));
  site_->not_found(*c);
}

void Pages::not_found(http::Request&& req, http::Responder res) {
  CtxPtr c = site_->enter(std::move(req), std::move(res));
  site_->not_found(*c);
}

}  // namespace uw::web
