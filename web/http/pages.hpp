#pragma once
// uw::web::Pages — the server-rendered HTML UI (forms work without JavaScript).
// Owns: every route of the table that is not the front door's or /api/v1/*;
// the session cookie; CSRF tokens and the Origin check; HTML error pages
// (400/403/404/405/429). The handlers are web/http/pages_*.cpp.
// Threading: loop thread only, like Service.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/http/server.hpp"
#include "web/http/fragments.hpp"
#include "web/http/routes.hpp"
#include "web/service/service.hpp"

namespace uw::web {

inline constexpr const char* kSessionCookie = "uw_session";               // plain HTTP
inline constexpr const char* kSecureSessionCookie = "__Host-uw_session";  // with --https-cookies

struct PagesConfig {
  std::vector<std::string> notifier_urls;  // where browsers reach the notifiers (none = notifications off)
  bool secure_cookies = false;             // Secure + __Host- prefix (behind HTTPS)
  // Origins accepted on state-changing requests besides the request's own Host.
  std::vector<std::string> allowed_origins;
  // The CSRF MAC secret (--csrf-secret-file: one for every instance behind a
  // load balancer, so a form served by one is accepted by another); none =
  // a random one per process.
  std::optional<std::array<unsigned char, 32>> csrf_secret = std::nullopt;
  // --html-cache: rendered uweets kept for reuse (views::UweetFragments; at
  // most a few hundred bytes each).
  size_t html_cache_entries = views::UweetFragments::kDefaultCapacity;
};

class Pages {
 public:
  Pages(Service& svc, PagesConfig cfg);
  ~Pages();
  // Answers a request outside /api/v1/ that is not a front-door route, with
  // the route already looked up: the page, or the 404/405 page. A POST passes
  // the Origin and CSRF checks first, whatever its path.
  void answer(http::Request&& req, http::Responder res, const Match& m);
  // The 404 page (for /static/<unknown>).
  void not_found(http::Request&& req, http::Responder res);

 private:
  std::shared_ptr<PageSite> site_;
};

}  // namespace uw::web
