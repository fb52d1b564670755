#pragma once
// uw::web::Pages — the server-rendered HTML UI (forms work without JavaScript).
// Owns: every route that is not /api/v1/*, /healthz or /metrics; the session
// cookie; CSRF tokens and the Origin check; HTML error pages (400/403/404/429).
// Threading: loop thread only, like Service.
#include <memory>
#include <string>
#include <vector>

#include "core/http/server.hpp"
#include "web/service/service.hpp"

namespace uw::web {

inline constexpr const char* kSessionCookie = "uw_session";               // plain HTTP
inline constexpr const char* kSecureSessionCookie = "__Host-uw_session";  // with --https-cookies

struct PagesConfig {
  std::string notifier_url;     // where browsers reach the notifier ("" = notifications off)
  bool secure_cookies = false;  // Secure + __Host- prefix (behind HTTPS)
  // Origins accepted on state-changing requests besides the request's own Host.
  std::vector<std::string> allowed_origins;
};

class Pages {
 public:
  Pages(Service& svc, PagesConfig cfg);
  ~Pages();
  // Answers the request (including the 404 page for unknown paths).
  void handle(http::Request&& req, http::Responder res);
  // Reads the session token from the request's cookies ("" if none).
  std::string session_token(const http::Request& req) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uw::web
