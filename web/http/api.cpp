#include "web/http/api.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ascii.hpp"
#include "core/rules.hpp"
#include "core/store/notifications.hpp"
#include "web/http/csrf.hpp"
#include "web/http/notifiers.hpp"
#include "web/http/pages.hpp"

namespace uw::web {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

http::Response send_json(int status, const json& j) { return http::Response::json(status, dump(j)); }

// An Error as the API's JSON; one that says when to retry (429) also carries
// retry_after_s in the body and Retry-After.
http::Response from_error(const Error& e) {
  if (e.retry_after_s <= 0) return api_error(e.status, e.code, e.message);
  auto out = send_json(
      e.status,
      json{{"error", {{"code", e.code}, {"message", e.message}, {"retry_after_s", e.retry_after_s}}}});
  out.set("Retry-After", std::to_string(e.retry_after_s));
  return out;
}

json user_json(const User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"created_at", u.created_at},
          {"display_name", u.display_name},
          {"bio", u.bio}};
}

json uweet_json(const Uweet& u) {
  return {{"id", u.id},
          {"author", u.author},
          {"author_id", u.author_id},
          {"author_display_name", u.author_display},
          {"text", u.text},
          {"created_at", u.created_at}};
}

template <class T, class F>
json page_json(const Page<T>& p, F&& item) {
  json items = json::array();
  for (const auto& x : p.items) items.push_back(item(x));
  return {{"items", std::move(items)}, {"next", p.next_before ? json(*p.next_before) : json(nullptr)}};
}

std::optional<int64_t> parse_positive(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

constexpr int64_t kMaxLimit = 100;  // the largest page a list answers

struct ListParams {
  std::optional<int64_t> before;
  int limit = 20;
};

// Parses ?limit= into *limit (left alone when absent); an error response on bad values.
std::optional<http::Response> limit_param(const http::Request& req, int* limit) {
  if (auto l = http::form_value(req.query, "limit"); l && !l->empty()) {
    // One rule for every out-of-range limit: refused, never silently cut.
    auto v = parse_positive(*l);
    if (!v || *v > kMaxLimit)
      return api_error(400, "bad_param",
                       "'limit' must be a whole number from 1 to " + std::to_string(kMaxLimit) + "; got '" +
                           std::string(l->substr(0, 40)) + "'.");
    *limit = static_cast<int>(*v);
  }
  return std::nullopt;
}

// Parses ?before=&limit=; returns an error response on bad values.
std::optional<http::Response> list_params(const http::Request& req, ListParams* out) {
  if (auto b = http::form_value(req.query, "before"); b && !b->empty()) {
    out->before = parse_positive(*b);
    if (!out->before) return api_error(400, "bad_param", "'before' must be a positive uweet or list id.");
  }
  return limit_param(req, &out->limit);
}

bool is_json(const http::Request& req) {
  auto ct = req.header("content-type");
  if (!ct) return false;
  std::string_view v = *ct;
  auto semi = v.find(';');
  v = v.substr(0, semi);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return ascii::iequals(v, "application/json");
}

// Parses a JSON object body; on failure fills *err.
std::optional<json> json_body(const http::Request& req, std::optional<http::Response>* err) {
  if (!is_json(req)) {
    *err = api_error(415, "unsupported_media_type",
                     "Send the body as JSON with Content-Type: application/json.");
    return std::nullopt;
  }
  if (!rules::valid_utf8(req.body)) {
    *err = api_error(400, "invalid_utf8", "The body is not valid UTF-8.");
    return std::nullopt;
  }
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    *err = api_error(400, "bad_json", "The body is not valid JSON.");
    return std::nullopt;
  }
  if (!j.is_object()) {
    *err = api_error(400, "bad_json", "The body must be a JSON object.");
    return std::nullopt;
  }
  return j;
}

// A required string field; on failure fills *err.
std::optional<std::string> str_field(const json& j, const char* name, std::optional<http::Response>* err) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    *err = api_error(400, "missing_field", std::string("Field '") + name + "' (a string) is required.");
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::string bearer(const http::Request& req) {
  auto h = req.header("authorization");
  if (!h || h->size() < 7) return {};
  std::string_view v = *h;
  if (!ascii::iequals(v.substr(0, 7), "bearer ")) return {};
  v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return std::string(v);
}

http::Response unauthorized(bool had_token) {
  auto r = had_token
               ? api_error(401, "bad_token", "This token is unknown, expired or logged out; log in again.")
               : api_error(401, "unauthorized", "Log in first and send Authorization: Bearer <token>.");
  r.set("WWW-Authenticate", "Bearer");
  return r;
}

http::Response method_not_allowed(const std::string& allow) {
  auto r = api_error(405, "method_not_allowed", "Allowed methods here: " + allow + ".");
  r.set("Allow", allow);
  return r;
}

// The caller named by the bearer token, if any.
std::optional<Viewer> viewer(const ApiEnv& env, const http::Request& req) {
  std::string t = bearer(req);
  if (t.empty()) return std::nullopt;
  return env.svc.authenticate(t);
}

// The caller, or nullopt after answering 401.
std::optional<Viewer> need_viewer(const ApiEnv& env, const http::Request& req, const http::Responder& res) {
  auto v = viewer(env, req);
  if (!v) {
    // Out of touch with the other instances' logouts: 503, the token kept.
    if (auto down = env.svc.sessions_unavailable(); down && !bearer(req).empty()) {
      res.send(from_error(*down));
    } else {
      res.send(unauthorized(!bearer(req).empty()));
    }
  }
  return v;
}

Done<Page<Uweet>> send_uweets(http::Responder res) {
  return [res](Result<Page<Uweet>> r) {
    res.send(r ? send_json(200, page_json(r.value(), uweet_json)) : from_error(r.error()));
  };
}

Done<Page<User>> send_users(http::Responder res) {
  return [res](Result<Page<User>> r) {
    res.send(r ? send_json(200, page_json(r.value(), user_json)) : from_error(r.error()));
  };
}

// The body's "username" and "password" (accounts and sessions), or nullopt after answering.
std::optional<std::pair<std::string, std::string>> credentials(const http::Request& req,
                                                               const http::Responder& res) {
  std::optional<http::Response> err;
  auto j = json_body(req, &err);
  auto user = j ? str_field(*j, "username", &err) : std::nullopt;
  auto pass = user ? str_field(*j, "password", &err) : std::nullopt;
  if (!pass) {
    res.send(std::move(*err));
    return std::nullopt;
  }
  return std::make_pair(std::move(*user), std::move(*pass));
}

// ?before=&limit=, or nullopt after answering 400.
std::optional<ListParams> need_list_params(const http::Request& req, const http::Responder& res) {
  ListParams lp;
  if (auto e = list_params(req, &lp)) {
    res.send(std::move(*e));
    return std::nullopt;
  }
  return lp;
}

bool valid_idempotency_key(std::string_view k) {
  if (k.empty() || k.size() > 128) return false;
  for (unsigned char c : k)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

}  // namespace

http::Response api_error(int status, const std::string& code, const std::string& message) {
  return send_json(status, json{{"error", {{"code", code}, {"message", message}}}});
}

Api::Api(Service& svc, ApiConfig cfg) : env_{svc, std::move(cfg.notifier_urls)} {
  for (auto& url : env_.notifier_urls)
    while (!url.empty() && url.back() == '/') url.pop_back();
}

void Api::handle(http::Request&& req, http::Responder res) {
  Match m = match(req.method, req.path);
  answer(std::move(req), std::move(res), m);
}

void Api::answer(http::Request&& req, http::Responder res, const Match& m) {
  if (m.api && m.route)
    return std::get<ApiFn>(m.route->handler)(env_, std::move(req), std::move(res), m.params);
  if (m.api && m.allowed) return res.send(method_not_allowed(allow_header(m.allowed)));
  res.send(api_error(404, "not_found",
                     "No such API route: " + req.method + " " + std::string(req.path.substr(0, 200)) + "."));
}

namespace api {

void create_account(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto c = credentials(req, res);
  if (!c) return;
  env.svc.register_account(std::move(c->first), std::move(c->second), req.peer_ip, [res](Result<User> r) {
    res.send(r ? send_json(201, user_json(r.value())) : from_error(r.error()));
  });
}

void log_in(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto c = credentials(req, res);
  if (!c) return;
  env.svc.login(std::move(c->first), std::move(c->second), req.peer_ip, [res](Result<LoginResult> r) {
    if (!r) return res.send(from_error(r.error()));
    const auto& lr = r.value();
    res.send(send_json(
        201, json{{"token", lr.token}, {"user", user_json(lr.user)}, {"expires_at", lr.expires_at_s}}));
  });
}

void log_out(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  if (!need_viewer(env, req, res)) return;
  env.svc.logout(bearer(req), [res](const Result<Unit>& r) {
    res.send(r ? send_json(200, json{{"logged_out", true}}) : from_error(r.error()));
  });
}

void post_uweet(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  std::optional<std::string> key;
  if (auto k = req.header("idempotency-key")) {
    if (!valid_idempotency_key(*k))
      return res.send(
          api_error(400, "bad_idempotency_key", "Idempotency-Key must be 1-128 visible ASCII characters."));
    key = std::string(*k);
  }
  std::optional<http::Response> err;
  auto j = json_body(req, &err);
  auto text = j ? str_field(*j, "text", &err) : std::nullopt;
  if (!text) return res.send(std::move(*err));
  env.svc.post(*v, std::move(*text), std::move(key), [res](Result<Posted> r) {
    if (!r) return res.send(from_error(r.error()));
    auto out = send_json(201, uweet_json(r->uweet));
    // The same answer as the first time, marked so a client can tell.
    if (r->replayed) out.set("Idempotent-Replayed", "true");
    res.send(std::move(out));
  });
}

void get_uweet(const ApiEnv& env, http::Request&&, http::Responder res, const Params& p) {
  auto id = parse_positive(p.at(0));
  if (!id)
    return res.send(api_error(
        400, "bad_param",
        "A uweet id is a positive whole number; '" + std::string(p.at(0).substr(0, 40)) + "' is not one."));
  env.svc.uweet(*id, [res](Result<Uweet> r) {
    res.send(r ? send_json(200, uweet_json(r.value())) : from_error(r.error()));
  });
}

void delete_uweet(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  auto id = parse_positive(p.at(0));
  if (!id)
    return res.send(api_error(
        400, "bad_param",
        "A uweet id is a positive whole number; '" + std::string(p.at(0).substr(0, 40)) + "' is not one."));
  env.svc.delete_uweet(*v, *id, [res, id = *id](const Result<Unit>& r) {
    res.send(r ? send_json(200, json{{"deleted", true}, {"id", id}}) : from_error(r.error()));
  });
}

void me(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  auto u = env.svc.me(*v);
  res.send(u ? send_json(200, user_json(u.value())) : from_error(u.error()));
}

void update_me(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  std::optional<http::Response> err;
  auto j = json_body(req, &err);
  if (!j) return res.send(std::move(*err));
  std::optional<std::string> fields[2];
  const char* names[2] = {"display_name", "bio"};
  for (int i = 0; i < 2; ++i) {
    auto it = j->find(names[i]);
    if (it == j->end()) continue;
    if (!it->is_string())
      return res.send(api_error(400, "bad_field", std::string("Field '") + names[i] + "' must be a string."));
    fields[i] = it->get<std::string>();
  }
  if (!fields[0] && !fields[1])
    return res.send(
        api_error(400, "missing_field", "Send 'display_name' and/or 'bio' (strings; \"\" clears)."));
  env.svc.update_profile(*v, std::move(fields[0]), std::move(fields[1]), [res](Result<User> r) {
    res.send(r ? send_json(200, user_json(r.value())) : from_error(r.error()));
  });
}

void change_password(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  // The token alone never changes the password: the current one is required.
  std::optional<http::Response> err;
  auto j = json_body(req, &err);
  auto current = j ? str_field(*j, "current_password", &err) : std::nullopt;
  auto next = current ? str_field(*j, "new_password", &err) : std::nullopt;
  if (!next) return res.send(std::move(*err));
  env.svc.change_password(*v, bearer(req), std::move(*current), std::move(*next), req.peer_ip,
                          [res](const Result<Unit>& r) {
                            res.send(r ? send_json(200, json{{"changed", true}}) : from_error(r.error()));
                          });
}

void delete_me(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  // The token alone never deletes the account: the password is required.
  std::optional<http::Response> err;
  auto j = json_body(req, &err);
  auto password = j ? str_field(*j, "password", &err) : std::nullopt;
  if (!password) return res.send(std::move(*err));
  env.svc.delete_account(*v, std::move(*password), req.peer_ip, [res](const Result<Unit>& r) {
    res.send(r ? send_json(200, json{{"deleted", true}}) : from_error(r.error()));
  });
}

void home_timeline(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto lp = need_list_params(req, res);
  if (!lp) return;
  auto v = need_viewer(env, req, res);
  if (!v) return;
  env.svc.home_timeline(*v, lp->before, lp->limit, send_uweets(res));
}

void public_timeline(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  if (auto lp = need_list_params(req, res)) env.svc.public_timeline(lp->before, lp->limit, send_uweets(res));
}

void profile(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p) {
  env.svc.profile(p.at(0), viewer(env, req), [res](Result<Profile> r) {
    if (!r) return res.send(from_error(r.error()));
    const auto& pr = r.value();
    json j = user_json(pr.user);
    j["counts"] = {
        {"uweets", pr.counts.uweets}, {"followers", pr.counts.followers}, {"following", pr.counts.following}};
    j["viewer_follows"] = pr.viewer_follows;
    j["is_self"] = pr.is_self;
    res.send(send_json(200, j));
  });
}

void user_uweets(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p) {
  if (auto lp = need_list_params(req, res))
    env.svc.user_uweets(p.at(0), lp->before, lp->limit, send_uweets(res));
}

void followers(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p) {
  if (auto lp = need_list_params(req, res))
    env.svc.followers(p.at(0), lp->before, lp->limit, send_users(res));
}

void following(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p) {
  if (auto lp = need_list_params(req, res))
    env.svc.following(p.at(0), lp->before, lp->limit, send_users(res));
}

namespace {
void set_follow(const ApiEnv& env, const http::Request& req, const http::Responder& res, const Params& p,
                bool on) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  auto done = [res, on](Result<bool> r) {
    res.send(r ? send_json(200, json{{"following", on}, {"changed", r.value()}}) : from_error(r.error()));
  };
  if (on)
    env.svc.follow(*v, p.at(0), done);
  else
    env.svc.unfollow(*v, p.at(0), done);
}
}  // namespace

void follow(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p) {
  set_follow(env, req, res, p, true);
}

void unfollow(const ApiEnv& env, http::Request&& req, http::Responder res, const Params& p) {
  set_follow(env, req, res, p, false);
}

void search(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto lp = need_list_params(req, res);
  if (!lp) return;
  auto q = http::form_value(req.query, "q");
  if (auto ok = rules::check_search_query(q.value_or("")); !ok) return res.send(from_error(ok.error()));
  env.svc.search(std::move(*q), lp->before, lp->limit, send_uweets(res));
}

void ticket(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  // Pages' scripts cannot read the HttpOnly session cookie, so this read-only
  // route also accepts it. Safe from cross-site use: SameSite=Lax keeps the
  // cookie off cross-site fetches and the JSON is not readable cross-origin.
  std::optional<Viewer> v = viewer(env, req);
  if (!v && bearer(req).empty()) {
    if (auto cookies = req.header("cookie")) {
      for (const char* name : {kSessionCookie, kSecureSessionCookie})
        if (auto token = cookie_value(*cookies, name); token && !v)
          v = env.svc.authenticate(std::string(*token));
    }
  }
  if (!v) return res.send(unauthorized(!bearer(req).empty()));
  if (env.notifier_urls.empty())
    return res.send(
        api_error(503, "notifications_off", "Live notifications are not enabled on this server."));
  auto t = env.svc.ticket(*v);
  if (!t) return res.send(from_error(t.error()));
  // The user's notifier by rendezvous hashing over the list (web/http/notifiers.hpp),
  // and the whole list in the same order: where the page goes when one is down.
  std::vector<std::string> order = notifier_order(env.notifier_urls, v->user_id);
  json body{{"ticket", t.value()}, {"url", order.front() + "/events?ticket=" + t.value()}};
  body["notifier"] = order.front();
  body["notifiers"] = std::move(order);
  res.send(send_json(200, body));
}

namespace {

const char* kind_name(NotificationKind k) {
  switch (k) {
    case NotificationKind::follow:
      return "follow";
    case NotificationKind::mention:
      return "mention";
    case NotificationKind::uweet:
      return "uweet";
  }
  return "uweet";
}

json notification_json(const Notification& n) {
  json j{{"key", notes::key_text(n.key)},
         {"kind", kind_name(n.kind)},
         {"actor", n.actor},
         {"actor_id", n.actor_id},
         {"created_at", n.created_at}};
  j["uweet"] = n.uweet ? uweet_json(*n.uweet) : json(nullptr);
  return j;
}

}  // namespace

void notifications(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  std::optional<NotificationKey> before;
  if (auto b = http::form_value(req.query, "before"); b && !b->empty()) {
    before = notes::parse_key(*b);
    if (!before)
      return res.send(api_error(400, "bad_param",
                                "'before' must be a notification cursor as given in 'next' (like 123.0)."));
  }
  int limit = 20;
  if (auto e = limit_param(req, &limit)) return res.send(std::move(*e));
  env.svc.notifications(*v, before, limit, [res](Result<NotificationList> r) {
    if (!r) return res.send(from_error(r.error()));
    json items = json::array();
    for (const auto& n : r->page.items) {
      json j = notification_json(n);
      j["unread"] = r->read_upto < n.key;
      items.push_back(std::move(j));
    }
    auto out = send_json(
        200, json{{"items", std::move(items)},
                  {"next", r->page.next_before ? json(notes::key_text(*r->page.next_before)) : json(nullptr)},
                  {"read_upto", notes::key_text(r->read_upto)},
                  {"unread", r->unread}});
    out.set("Cache-Control", "no-store");
    res.send(std::move(out));
  });
}

void mark_notifications_read(const ApiEnv& env, http::Request&& req, http::Responder res, const Params&) {
  auto v = need_viewer(env, req, res);
  if (!v) return;
  std::optional<http::Response> err;
  auto j = json_body(req, &err);
  auto up_to = j ? str_field(*j, "up_to", &err) : std::nullopt;
  if (!up_to) return res.send(std::move(*err));
  auto key = notes::parse_key(*up_to);
  if (!key)
    return res.send(
        api_error(400, "bad_param", "'up_to' must be a notification key as listed (like 123.0)."));
  env.svc.mark_notifications_read(*v, *key, [res](Result<NotificationKey> r) {
    if (!r) return res.send(from_error(r.error()));
    auto out = send_json(200, json{{"read_upto", notes::key_text(*r)}});
    out.set("Cache-Control", "no-store");
    res.send(std::move(out));
  });
}

}  // namespace api

}  // namespace uw::web
