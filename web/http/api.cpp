#include "web/http/api.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "core/rules.hpp"
#include "web/http/csrf.hpp"
#include "web/http/pages.hpp"

namespace uw::web {

using nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "/api/v1";

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

http::Response send_json(int status, const json& j) { return http::Response::json(status, dump(j)); }

http::Response from_error(const Error& e) { return api_error(e.status, e.code, e.message); }

json user_json(const User& u) {
  return {{"id", u.id}, {"username", u.username}, {"created_at", u.created_at}};
}

json uweet_json(const Uweet& u) {
  return {{"id", u.id},
          {"author", u.author},
          {"author_id", u.author_id},
          {"text", u.text},
          {"created_at", u.created_at}};
}

template <class T, class F>
json page_json(const Page<T>& p, F&& item) {
  json items = json::array();
  for (const auto& x : p.items) items.push_back(item(x));
  return {{"items", std::move(items)}, {"next", p.next_before ? json(*p.next_before) : json(nullptr)}};
}

std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> out;
  while (!p.empty()) {
    if (p.front() == '/') {
      p.remove_prefix(1);
      continue;
    }
    auto slash = p.find('/');
    out.push_back(p.substr(0, slash));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash);
  }
  return out;
}

std::optional<int64_t> parse_positive(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

struct ListParams {
  std::optional<int64_t> before;
  int limit = 20;
};

// Parses ?before=&limit=; returns an error response on bad values.
std::optional<http::Response> list_params(const http::Request& req, ListParams* out) {
  if (auto b = http::form_value(req.query, "before"); b && !b->empty()) {
    out->before = parse_positive(*b);
    if (!out->before) return api_error(400, "bad_param", "'before' must be a positive uweet or list id.");
  }
  if (auto l = http::form_value(req.query, "limit"); l && !l->empty()) {
    auto v = parse_positive(*l);
    if (!v) return api_error(400, "bad_param", "'limit' must be a whole number from 1 to 100.");
    out->limit = static_cast<int>(std::min<int64_t>(*v, 100));
  }
  return std::nullopt;
}

bool is_json(const http::Request& req) {
  auto ct = req.header("content-type");
  if (!ct) return false;
  std::string_view v = *ct;
  auto semi = v.find(';');
  v = v.substr(0, semi);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.size() != 16) return false;
  for (size_t i = 0; i < v.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(v[i])) != "application/json"[i]) return false;
  return true;
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
  std::string_view scheme = v.substr(0, 7);
  const char* want = "bearer ";
  for (size_t i = 0; i < 7; ++i)
    if (std::tolower(static_cast<unsigned char>(scheme[i])) != want[i]) return {};
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

http::Response method_not_allowed(const char* allow) {
  auto r = api_error(405, "method_not_allowed", std::string("Allowed methods here: ") + allow + ".");
  r.set("Allow", allow);
  return r;
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

Api::Api(Service& svc, ApiConfig cfg) : svc_(svc), cfg_(std::move(cfg)) {
  while (!cfg_.notifier_url.empty() && cfg_.notifier_url.back() == '/') cfg_.notifier_url.pop_back();
}

void Api::handle(http::Request&& req, http::Responder res) {
  std::string_view path = req.path;
  path.remove_prefix(std::min(path.size(), kPrefix.size()));
  const auto seg = split_path(path);
  const std::string& m = req.method;
  std::optional<http::Response> err;
  Service& svc = svc_;
  auto viewer = [&]() -> std::optional<Viewer> {
    std::string t = bearer(req);
    if (t.empty()) return std::nullopt;
    return svc.authenticate(t);
  };
  auto need_viewer = [&](std::optional<Viewer>* v) {
    *v = viewer();
    if (!*v) res.send(unauthorized(!bearer(req).empty()));
    return v->has_value();
  };
  auto send_page_uweets = [res](Result<Page<Uweet>> r) {
    res.send(r ? send_json(200, page_json(r.value(), uweet_json)) : from_error(r.error()));
  };
  auto send_page_users = [res](Result<Page<User>> r) {
    res.send(r ? send_json(200, page_json(r.value(), user_json)) : from_error(r.error()));
  };

  if (seg.size() == 1 && seg[0] == "accounts") {
    if (m != "POST") return res.send(method_not_allowed("POST"));
    auto j = json_body(req, &err);
    if (!j) return res.send(std::move(*err));
    auto user = str_field(*j, "username", &err);
    auto pass = user ? str_field(*j, "password", &err) : std::nullopt;
    if (!pass) return res.send(std::move(*err));
    return svc.register_account(std::move(*user), std::move(*pass), [res](Result<User> r) {
      res.send(r ? send_json(201, user_json(r.value())) : from_error(r.error()));
    });
  }
  if (seg.size() == 1 && seg[0] == "sessions") {
    if (m == "DELETE") {
      std::optional<Viewer> v;
      if (!need_viewer(&v)) return;
      return svc.logout(bearer(req), [res](Result<Unit> r) {
        res.send(r ? send_json(200, json{{"logged_out", true}}) : from_error(r.error()));
      });
    }
    if (m != "POST") return res.send(method_not_allowed("POST, DELETE"));
    auto j = json_body(req, &err);
    if (!j) return res.send(std::move(*err));
    auto user = str_field(*j, "username", &err);
    auto pass = user ? str_field(*j, "password", &err) : std::nullopt;
    if (!pass) return res.send(std::move(*err));
    std::string name = *user, ip = req.peer_ip;
    return svc.login(
        std::move(*user), std::move(*pass), req.peer_ip, [res, &svc, name, ip](Result<LoginResult> r) {
          if (!r) {
            auto out = from_error(r.error());
            if (r.error().status == 429) {
              int64_t wait = std::max<int64_t>(1, svc.retry_after_s(name, ip));
              out = send_json(
                  429,
                  json{
                      {"error",
                       {{"code", r.error().code}, {"message", r.error().message}, {"retry_after_s", wait}}}});
              out.set("Retry-After", std::to_string(wait));
            }
            return res.send(std::move(out));
          }
          const auto& lr = r.value();
          res.send(send_json(
              201, json{{"token", lr.token}, {"user", user_json(lr.user)}, {"expires_at", lr.expires_at_s}}));
        });
  }
  if (seg.size() == 1 && seg[0] == "uweets") {
    if (m != "POST") return res.send(method_not_allowed("POST"));
    std::optional<Viewer> v;
    if (!need_viewer(&v)) return;
    std::optional<std::string> key;
    if (auto k = req.header("idempotency-key")) {
      if (!valid_idempotency_key(*k))
        return res.send(
            api_error(400, "bad_idempotency_key", "Idempotency-Key must be 1-128 visible ASCII characters."));
      key = std::string(*k);
    }
    auto j = json_body(req, &err);
    if (!j) return res.send(std::move(*err));
    auto text = str_field(*j, "text", &err);
    if (!text) return res.send(std::move(*err));
    return svc.post(*v, std::move(*text), std::move(key), [res](Result<Uweet> r) {
      res.send(r ? send_json(201, uweet_json(r.value())) : from_error(r.error()));
    });
  }
  if (seg.size() == 2 && seg[0] == "uweets") {
    if (m != "GET") return res.send(method_not_allowed("GET"));
    auto id = parse_positive(seg[1]);
    if (!id) return res.send(api_error(404, "no_such_uweet", "There is no such uweet."));
    return svc.uweet(*id, [res](Result<Uweet> r) {
      res.send(r ? send_json(200, uweet_json(r.value())) : from_error(r.error()));
    });
  }
  if (seg.size() == 2 && seg[0] == "timelines" && (seg[1] == "home" || seg[1] == "public")) {
    if (m != "GET") return res.send(method_not_allowed("GET"));
    ListParams lp;
    if (auto e = list_params(req, &lp)) return res.send(std::move(*e));
    if (seg[1] == "public") return svc.public_timeline(lp.before, lp.limit, send_page_uweets);
    std::optional<Viewer> v;
    if (!need_viewer(&v)) return;
    return svc.home_timeline(*v, lp.before, lp.limit, send_page_uweets);
  }
  if (seg.size() >= 2 && seg.size() <= 3 && seg[0] == "users") {
    std::string name(seg[1]);
    if (seg.size() == 2) {
      if (m != "GET") return res.send(method_not_allowed("GET"));
      return svc.profile(std::move(name), viewer(), [res](Result<Profile> r) {
        if (!r) return res.send(from_error(r.error()));
        const auto& p = r.value();
        json j = user_json(p.user);
        j["counts"] = {{"uweets", p.counts.uweets},
                       {"followers", p.counts.followers},
                       {"following", p.counts.following}};
        j["viewer_follows"] = p.viewer_follows;
        j["is_self"] = p.is_self;
        res.send(send_json(200, j));
      });
    }
    if (seg[2] == "follow") {
      if (m != "PUT" && m != "DELETE") return res.send(method_not_allowed("PUT, DELETE"));
      std::optional<Viewer> v;
      if (!need_viewer(&v)) return;
      bool on = m == "PUT";
      auto done = [res, on](Result<bool> r) {
        res.send(r ? send_json(200, json{{"following", on}, {"changed", r.value()}}) : from_error(r.error()));
      };
      return on ? svc.follow(*v, std::move(name), done) : svc.unfollow(*v, std::move(name), done);
    }
    if (seg[2] == "uweets" || seg[2] == "followers" || seg[2] == "following") {
      if (m != "GET") return res.send(method_not_allowed("GET"));
      ListParams lp;
      if (auto e = list_params(req, &lp)) return res.send(std::move(*e));
      if (seg[2] == "uweets") return svc.user_uweets(std::move(name), lp.before, lp.limit, send_page_uweets);
      if (seg[2] == "followers") return svc.followers(std::move(name), lp.before, lp.limit, send_page_users);
      return svc.following(std::move(name), lp.before, lp.limit, send_page_users);
    }
  }
  if (seg.size() == 1 && seg[0] == "search") {
    if (m != "GET") return res.send(method_not_allowed("GET"));
    ListParams lp;
    if (auto e = list_params(req, &lp)) return res.send(std::move(*e));
    auto q = http::form_value(req.query, "q");
    if (!q || q->find_first_not_of(" \t\r\n") == std::string::npos)
      return res.send(api_error(400, "missing_query", "Say what to search for with ?q=words."));
    if (q->size() > 256 || !rules::valid_utf8(*q))
      return res.send(
          api_error(400, "bad_query", "The search query must be valid UTF-8 of at most 256 bytes."));
    return svc.search(std::move(*q), lp.before, lp.limit, send_page_uweets);
  }
  if (seg.size() == 2 && seg[0] == "notifications" && seg[1] == "ticket") {
    if (m != "GET") return res.send(method_not_allowed("GET"));
    // Pages' scripts cannot read the HttpOnly session cookie, so this read-only
    // route also accepts it. Safe from cross-site use: SameSite=Lax keeps the
    // cookie off cross-site fetches and the JSON is not readable cross-origin.
    std::optional<Viewer> v = viewer();
    if (!v && bearer(req).empty()) {
      if (auto cookies = req.header("cookie")) {
        for (const char* name : {kSessionCookie, kSecureSessionCookie})
          if (auto token = cookie_value(*cookies, name); token && !v)
            v = svc.authenticate(std::string(*token));
      }
    }
    if (!v) return res.send(unauthorized(!bearer(req).empty()));
    if (cfg_.notifier_url.empty())
      return res.send(
          api_error(503, "notifications_off", "Live notifications are not enabled on this server."));
    auto t = svc.ticket(*v);
    if (!t) return res.send(from_error(t.error()));
    return res.send(send_json(
        200, json{{"ticket", t.value()}, {"url", cfg_.notifier_url + "/events?ticket=" + t.value()}}));
  }
  res.send(api_error(404, "not_found",
                     "No such API route: " + req.method + " " + std::string(req.path.substr(0, 200)) + "."));
}

}  // namespace uw::web
