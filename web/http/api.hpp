#pragma once
// uw::web::Api — the JSON API under /api/v1/ (DESIGN.md "Interfaces").
// Bodies are JSON (Content-Type application/json, UTF-8); the caller is named
// by `Authorization: Bearer <token>`. Lists are newest first with
// ?before=<id>&limit=<n> (default 20, at most 100) and answer
// {"items": [...], "next": <id or null>}. Errors answer
// {"error": {"code": "...", "message": "..."}} with a matching status.
// Its routes are entries of the one table (web/http/routes.cpp); the handlers
// are declared below.
//
// Threading: loop thread only. Completions capture the Responder (safe after
// the connection is gone) and the Service, which outlives every request.
#include <string>

#include "core/http/server.hpp"
#include "web/http/routes.hpp"
#include "web/service/service.hpp"

namespace uw::web {

struct ApiConfig {
  std::vector<std::string> notifier_urls;  // none = notifications off (ticket answers 503)
};

// What an API handler works with.
struct ApiEnv {
  Service& svc;
  std::vector<std::string> notifier_urls;  // each without a trailing '/'
};

class Api {
 public:
  Api(Service& svc, ApiConfig cfg);
  // Answers a request whose path is under /api/v1/ (including 404/405).
  void handle(http::Request&& req, http::Responder res);
  // The same, with the route already looked up (m.api must hold).
  void answer(http::Request&& req, http::Responder res, const Match& m);

 private:
  ApiEnv env_;
};

// Renders {"error":{"code","message"}}. Shared with tests and the fuzz driver.
http::Response api_error(int status, const std::string& code, const std::string& message);

// The handlers of the table's /api/v1/ entries (web/http/routes.cpp).
namespace api {
void create_account(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void log_in(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void log_out(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void post_uweet(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void get_uweet(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void delete_uweet(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void me(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void update_me(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void change_password(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void delete_me(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void home_timeline(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void public_timeline(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void profile(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void user_uweets(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void followers(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void following(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void follow(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void unfollow(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void search(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void ticket(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void notifications(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
void mark_notifications_read(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p);
}  // namespace api

}  // namespace uw::web
