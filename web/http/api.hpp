#pragma once
// uw::web::Api — the JSON API under /api/v1/ (DESIGN.md "Interfaces").
// Bodies are JSON (Content-Type application/json, UTF-8); the caller is named
// by `Authorization: Bearer <token>`. Lists are newest first with
// ?before=<id>&limit=<n> (default 20, at most 100) and answer
// {"items": [...], "next": <id or null>}. Errors answer
// {"error": {"code": "...", "message": "..."}} with a matching status.
//
// Threading: loop thread only. Completions capture the Responder (safe after
// the connection is gone) and the Service, which outlives every request.
#include <string>

#include "core/http/server.hpp"
#include "web/service/service.hpp"

namespace uw::web {

struct ApiConfig {
  std::string notifier_url;  // "" = notifications off (ticket answers 503)
};

class Api {
 public:
  Api(Service& svc, ApiConfig cfg);
  // Answers a request whose path starts with /api/v1/ (including 404/405).
  void handle(http::Request&& req, http::Responder res);

 private:
  Service& svc_;
  ApiConfig cfg_;
};

// Helpers shared with tests and the fuzz driver.
// Renders {"error":{"code","message"}}.
http::Response api_error(int status, const std::string& code, const std::string& message);

}  // namespace uw::web
