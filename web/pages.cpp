// uw::web::Pages — routes of the HTML UI. Rendering is in views.cpp, escaping in
// html.cpp, CSRF in csrf.cpp, static files in assets*.cpp.
//
// Lifetime: Service callbacks run later on the loop thread; they hold a
// shared_ptr to the Core (config, CSRF secret, Service reference) and to the
// request's Ctx, never a raw pointer to Pages, so a late callback is harmless.
#include "web/pages.hpp"

#include <charconv>
#include <chrono>
#include <string_view>

#include "core/clock.hpp"
#include "core/rules.hpp"
#include "web/assets.hpp"
#include "web/csrf.hpp"
#include "web/views.hpp"

namespace uw::web {
namespace {

constexpr int kPageSize = 50;  // uweets per timeline page
constexpr int kPeoplePageSize = 50;
constexpr const char* kCsrfCookie = "uw_csrf";
constexpr const char* kSecureCsrfCookie = "__Host-uw_csrf";

std::optional<std::string_view> find_cookie(const http::Request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    if (auto c = cookie_value(v, name)) return c;
  }
  return std::nullopt;
}

// A positive id from ?before=, nullopt when absent; false when malformed.
bool parse_before(std::string_view query, std::optional<int64_t>* out) {
  auto v = http::form_value(query, "before");
  if (!v || v->empty()) return true;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n <= 0) return false;
  *out = n;
  return true;
}

// Only local paths are allowed after login (no open redirect).
std::string safe_next(std::string_view next) {
  if (next.empty() || next[0] != '/' || next.starts_with("//") || next.find('\\') != std::string_view::npos ||
      next.find_first_of("\r\n") != std::string_view::npos) {
    return "/";
  }
  return std::string(next);
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segs;
  while (!path.empty()) {
    if (path[0] == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    segs.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return segs;
}

// One request in flight.
struct Ctx {
  http::Request req;
  http::Responder res;
  std::optional<Viewer> viewer;
  std::string session;      // token from the cookie
  std::string csrf_cookie;  // value in force for this browser ("" until a page needs one)
  bool csrf_cookie_from_request = false;
  bool clear_session = false;  // an unknown/expired session cookie came in
  std::vector<std::string> set_cookies;
  std::string form(std::string_view key) const { return http::form_value(req.body, key).value_or(""); }
  std::string query(std::string_view key) const { return http::form_value(req.query, key).value_or(""); }
};
using CtxPtr = std::shared_ptr<Ctx>;

// A rendered page every anonymous visitor can be given, valid while the data it
// shows is unchanged and for at most kMaxAgeMs (relative times on it age).
struct SharedPage {
  static constexpr int64_t kMaxAgeMs = 1000;
  int64_t version = -1;
  int64_t rendered_ms = 0;
  std::string body;
  bool fresh(int64_t current_version, int64_t now) const {
    return version == current_version && now >= rendered_ms && now - rendered_ms < kMaxAgeMs;
  }
};

struct Core : std::enable_shared_from_this<Core> {
  Service& svc;
  PagesConfig cfg;
  Csrf csrf;
  SharedPage anon_home_;  // GET / for anonymous visitors, first page
  // Rendered uweets (they never change). mutable: a cache behind const frame().
  mutable views::UweetFragments fragments_;

  Core(Service& s, PagesConfig c) : svc(s), cfg(std::move(c)) {}

  const char* session_cookie_name() const {
    return cfg.secure_cookies ? kSecureSessionCookie : kSessionCookie;
  }
  const char* csrf_cookie_name() const { return cfg.secure_cookies ? kSecureCsrfCookie : kCsrfCookie; }
  std::string cookie_attrs() const {
    return std::string("; Path=/; HttpOnly; SameSite=Lax") + (cfg.secure_cookies ? "; Secure" : "");
  }

  // The CSRF form token for this browser. A browser without a valid csrf cookie
  // gets a new one here, sent with the response; pages without a form never
  // call this, so they set no cookie (and can be shared, see anon_home_).
  std::string csrf_token(Ctx& c) const {
    if (c.csrf_cookie.empty()) c.csrf_cookie = csrf.new_cookie_value();
    return csrf.token_for(c.csrf_cookie);
  }

  // forms: the page carries a POST form even for an anonymous visitor (log in,
  // sign up). A logged-in page always does (the log-out button).
  views::Frame frame(Ctx& c, std::string title, std::string search_q = "", bool forms = false) const {
    views::Frame f;
    f.title = std::move(title);
    f.viewer = c.viewer;
    if (c.viewer || forms) f.csrf = csrf_token(c);
    f.search_q = std::move(search_q);
    f.now_ms = clock::now_ms();
    f.fragments = &fragments_;
    if (c.viewer && !cfg.notifier_url.empty()) {
      f.notifier_url = cfg.notifier_url;
      if (auto t = svc.ticket(*c.viewer)) f.ticket = std::move(*t);
    }
    return f;
  }

  void finish(Ctx& c, http::Response r) const {
    if (!c.csrf_cookie_from_request && !c.csrf_cookie.empty()) {
      r.set("Set-Cookie", std::string(csrf_cookie_name()) + "=" + c.csrf_cookie + cookie_attrs());
    }
    if (c.clear_session) {
      r.set("Set-Cookie", std::string(session_cookie_name()) + "=" + cookie_attrs() + "; Max-Age=0");
    }
    for (auto& sc : c.set_cookies) r.set("Set-Cookie", sc);
    r.set("Cache-Control", "no-store");
    c.res.send(std::move(r));
  }
  void page(Ctx& c, int status, std::string body) const {
    finish(c, http::Response::html(status, std::move(body)));
  }
  void redirect(Ctx& c, std::string location) const {
    http::Response r;
    r.status = 303;
    r.set("Location", std::move(location));
    r.set("Content-Type", "text/plain; charset=utf-8");
    r.body = "See Other\n";
    finish(c, std::move(r));
  }
  void error(Ctx& c, int status, std::string heading, std::string message,
             std::optional<int64_t> retry_after = std::nullopt) const {
    views::ErrorView v{status, heading, std::move(message), retry_after};
    http::Response r = http::Response::html(status, views::error_page(frame(c, heading), v));
    if (retry_after) r.set("Retry-After", std::to_string(*retry_after));
    finish(c, std::move(r));
  }
  void not_found(Ctx& c) const {
    error(c, 404, "Page not found",
          "There is nothing at this address. Check the spelling, or start from the home page.");
  }
  void no_such_user(Ctx& c, std::string_view name) const {
    error(c, 404, "No such user",
          "Nobody here is called @" + std::string(name) + ". Try searching for their uweets instead.");
  }
  void bad_request(Ctx& c, std::string message) const { error(c, 400, "Bad request", std::move(message)); }
  void method_not_allowed(Ctx& c, const char* allow) const {
    views::ErrorView v{405, "Method not allowed", "This address does not accept that kind of request.",
                       std::nullopt};
    http::Response r = http::Response::html(405, views::error_page(frame(c, v.heading), v));
    r.set("Allow", allow);
    finish(c, std::move(r));
  }
  // A Service failure that has no form to go back to.
  void service_error(Ctx& c, const Error& e) const {
    if (e.status == 404)
      return error(c, 404, "Not found", e.message.empty() ? "That does not exist." : e.message);
    if (e.status >= 500) {
      return error(c, e.status, "Something went wrong",
                   "The server could not do that just now. Please try again in a moment.");
    }
    error(c, e.status, "That did not work", e.message);
  }
  void need_login(Ctx& c, std::string_view back) const {
    redirect(c, "/accounts/login?next=" + http::url_encode(back));
  }

  // ---- request entry ----
  void handle(http::Request&& req, http::Responder res) {
    if (req.method == "GET" || req.method == "HEAD") {  // the server drops HEAD bodies
      if (const Asset* a = find_asset(req.path)) return serve_asset(req, res, *a);
    }
    auto c = std::make_shared<Ctx>();
    c->req = std::move(req);
    c->res = res;
    if (auto s = find_cookie(c->req, session_cookie_name())) {
      c->session = std::string(*s);
      c->viewer = svc.authenticate(c->session);
      if (!c->viewer) c->clear_session = true;
    }
    auto cc = find_cookie(c->req, csrf_cookie_name());
    if (cc && !csrf.token_for(*cc).empty()) {
      c->csrf_cookie = std::string(*cc);
      c->csrf_cookie_from_request = true;
    }
    route(c);
  }

  void serve_asset(const http::Request& req, const http::Responder& res, const Asset& a) const {
    const bool versioned = req.query.find("v=") != std::string::npos;
    http::Response r;
    auto inm = req.header("if-none-match");
    if (inm && inm->find(a.etag) != std::string_view::npos) {
      r.status = 304;
    } else {
      r.status = 200;
      r.body = std::string(a.body);
      r.set("Content-Type", std::string(a.content_type));
    }
    r.set("ETag", a.etag);
    r.set("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "public, max-age=300");
    res.send(std::move(r));
  }

  void route(const CtxPtr& c) {
    const auto& m = c->req.method;
    auto segs = split_path(c->req.path);
    const bool get = m == "GET" || m == "HEAD", post = m == "POST";
    if (post && !post_allowed(*c)) return;
    if (segs.empty()) return get ? home(c) : method_not_allowed(*c, "GET, HEAD");
    const std::string_view s0 = segs[0];
    if (segs.size() == 1) {
      if (s0 == "post") return post ? do_post(c) : method_not_allowed(*c, "POST");
      if (s0 == "search") return get ? search(c) : method_not_allowed(*c, "GET, HEAD");
      if (s0 == "notifications") return get ? notifications(c) : method_not_allowed(*c, "GET, HEAD");
    }
    if (s0 == "accounts" && segs.size() == 2) {
      if (segs[1] == "login")
        return get ? auth_form(c, false) : post ? do_login(c) : method_not_allowed(*c, "GET, HEAD, POST");
      if (segs[1] == "register") {
        return get ? auth_form(c, true) : post ? do_register(c) : method_not_allowed(*c, "GET, HEAD, POST");
      }
      if (segs[1] == "logout") return post ? do_logout(c) : method_not_allowed(*c, "POST");
    }
    if ((s0 == "u" || s0 == "follow" || s0 == "unfollow") && segs.size() >= 2) {
      auto name = http::url_decode(segs[1], false);
      if (!name || !rules::check_username(*name).ok()) {
        if (s0 == "u" && segs.size() <= 3) return no_such_user(*c, name ? *name : std::string(segs[1]));
        return not_found(*c);
      }
      if (s0 == "u" && segs.size() == 2) return get ? profile(c, *name) : method_not_allowed(*c, "GET, HEAD");
      if (s0 == "u" && segs.size() == 3 && (segs[2] == "followers" || segs[2] == "following")) {
        return get ? people(c, *name, segs[2] == "followers") : method_not_allowed(*c, "GET, HEAD");
      }
      if (s0 != "u" && segs.size() == 2)
        return post ? do_follow(c, *name, s0 == "follow") : method_not_allowed(*c, "POST");
    }
    not_found(*c);
  }

  // Origin (or Referer) must be ours, the form must be urlencoded and its csrf
  // field must be the MAC of the browser's csrf cookie. Answers 403/400 itself.
  bool post_allowed(Ctx& c) const {
    auto host = c.req.header("host");
    auto verdict =
        check_origin(c.req.header("origin"), c.req.header("referer"), host ? *host : "", cfg.allowed_origins);
    if (verdict != OriginVerdict::Ok) {
      error(c, 403, "Request blocked",
            verdict == OriginVerdict::Missing ? "This form was sent without an Origin or Referer header, so "
                                                "we cannot tell it came from this site."
                                              : "This form was sent from another site. If you meant to do "
                                                "this, go back, reload the page and try again.");
      return false;
    }
    auto ct = c.req.header("content-type");
    if (!ct || !ct->starts_with("application/x-www-form-urlencoded")) {
      bad_request(c, "This address expects a form (application/x-www-form-urlencoded).");
      return false;
    }
    if (!c.csrf_cookie_from_request || !csrf.verify(c.csrf_cookie, c.form("csrf"))) {
      error(
          c, 403, "Form expired",
          "This form is out of date or did not come from this site. Go back, reload the page and try again.");
      return false;
    }
    return true;
  }

  // ---- pages ----
  void home(const CtxPtr& c, views::ComposeView compose = {}, int status = 200) {
    std::optional<int64_t> before;
    if (!parse_before(c->req.query, &before))
      return bad_request(*c, "The “before” value must be a uweet number.");
    // The anonymous front page is the same for every visitor (no form with a
    // token on it): reuse its rendering while the public timeline is unchanged,
    // for at most a second (so "2m" ages stay right to within a second).
    const bool shared =
        !c->viewer && !before && status == 200 && compose.text.empty() && compose.error.empty();
    const int64_t version = svc.public_timeline_version();
    if (shared && anon_home_.fresh(version, clock::now_ms())) return page(*c, 200, anon_home_.body);
    auto self = shared_from_this();
    auto done = [self, c, compose = std::move(compose), status, shared, version](Result<Page<Uweet>> r) {
      if (!r) return self->service_error(*c, r.error());
      views::HomeView v;
      v.compose = compose;
      v.timeline.items = std::move(r->items);
      v.timeline.next_before = r->next_before;
      v.timeline.older_base = "/?";
      v.timeline.empty_text = c->viewer
                                  ? "Your timeline is empty. Post something, or search for people to follow."
                                  : "Nobody has uweeted yet. Be the first!";
      views::Frame f = self->frame(*c, c->viewer ? "Home" : "Welcome");
      std::string body = views::home(f, v);
      // The version is the one read before the query: a commit that raced the
      // query makes the entry stale at once rather than serving a mixed page.
      if (shared) self->anon_home_ = SharedPage{version, f.now_ms, body};
      self->page(*c, status, std::move(body));
    };
    if (c->viewer)
      svc.home_timeline(*c->viewer, before, kPageSize, std::move(done));
    else
      svc.public_timeline(before, kPageSize, std::move(done));
  }

  void do_post(const CtxPtr& c) {
    if (!c->viewer) return need_login(*c, "/");
    std::string text = c->form("text");
    auto self = shared_from_this();
    svc.post(*c->viewer, text, std::nullopt, [self, c, text](Result<Uweet> r) {
      if (r) return self->redirect(*c, "/");
      if (r.error().status >= 500) return self->service_error(*c, r.error());
      c->req.query.clear();  // re-render the first page of the timeline
      self->home(c, views::ComposeView{text, r.error().message}, r.error().status);
    });
  }

  void profile(const CtxPtr& c, const std::string& name) {
    std::optional<int64_t> before;
    if (!parse_before(c->req.query, &before))
      return bad_request(*c, "The “before” value must be a uweet number.");
    auto self = shared_from_this();
    svc.profile(name, c->viewer, [self, c, name, before](Result<Profile> p) {
      if (!p)
        return p.error().status == 404 ? self->no_such_user(*c, name) : self->service_error(*c, p.error());
      auto prof = std::make_shared<Profile>(std::move(*p));
      self->svc.user_uweets(name, before, kPageSize, [self, c, prof](Result<Page<Uweet>> r) {
        if (!r) return self->service_error(*c, r.error());
        views::ProfileView v;
        v.profile = *prof;
        v.uweets.items = std::move(r->items);
        v.uweets.next_before = r->next_before;
        v.uweets.older_base = "/u/" + prof->user.username + "?";
        v.uweets.empty_text = "@" + prof->user.username + " has not uweeted yet.";
        self->page(*c, 200, views::profile(self->frame(*c, "@" + prof->user.username), v));
      });
    });
  }

  void people(const CtxPtr& c, const std::string& name, bool followers) {
    std::optional<int64_t> before;
    if (!parse_before(c->req.query, &before)) return bad_request(*c, "The “before” value must be a number.");
    auto self = shared_from_this();
    auto done = [self, c, name, followers](Result<Page<User>> r) {
      if (!r)
        return r.error().status == 404 ? self->no_such_user(*c, name) : self->service_error(*c, r.error());
      views::PeopleView v{name, followers, std::move(r->items), r->next_before};
      std::string title = (followers ? "Followers of @" : "Followed by @") + name;
      self->page(*c, 200, views::people(self->frame(*c, title), v));
    };
    if (followers)
      svc.followers(name, before, kPeoplePageSize, std::move(done));
    else
      svc.following(name, before, kPeoplePageSize, std::move(done));
  }

  void do_follow(const CtxPtr& c, const std::string& name, bool follow) {
    if (!c->viewer) return need_login(*c, "/u/" + name);
    auto self = shared_from_this();
    auto done = [self, c, name](Result<bool> r) {
      if (r) return self->redirect(*c, "/u/" + name);
      if (r.error().status == 404) return self->no_such_user(*c, name);
      self->service_error(*c, r.error());
    };
    if (follow)
      svc.follow(*c->viewer, name, std::move(done));
    else
      svc.unfollow(*c->viewer, name, std::move(done));
  }

  void search(const CtxPtr& c) {
    std::optional<int64_t> before;
    if (!parse_before(c->req.query, &before))
      return bad_request(*c, "The “before” value must be a uweet number.");
    std::string q = c->query("q");
    views::SearchView v;
    v.q = q;
    if (q.find_first_not_of(" \t\r\n") == std::string::npos) {
      return page(*c, 200, views::search(frame(*c, "Search", q), v));
    }
    auto self = shared_from_this();
    svc.search(q, before, kPageSize, [self, c, v](Result<Page<Uweet>> r) mutable {
      v.searched = true;
      int status = 200;
      if (!r) {
        if (r.error().status >= 500) return self->service_error(*c, r.error());
        v.error = r.error().message;
        status = r.error().status;
      } else {
        v.results.items = std::move(r->items);
        v.results.next_before = r->next_before;
        v.results.older_base = "/search?q=" + http::url_encode(v.q) + "&";
        v.results.empty_text = "No uweets match. Try fewer or different words.";
      }
      self->page(*c, status, views::search(self->frame(*c, "Search: " + v.q, v.q), v));
    });
  }

  void notifications(const CtxPtr& c) {
    if (!c->viewer) return need_login(*c, "/notifications");
    views::Frame f = frame(*c, "Notifications");
    page(*c, 200, views::notifications(f, views::NotificationsView{cfg.notifier_url, f.ticket}));
  }

  // ---- accounts ----
  void auth_form(const CtxPtr& c, bool reg, views::AuthFormView v = {}, int status = 200,
                 std::optional<int64_t> retry_after = std::nullopt) {
    const bool is_get = c->req.method != "POST";
    if (c->viewer && is_get) return redirect(*c, "/");
    v.register_form = reg;
    if (is_get) v.next = c->query("next");
    v.next = v.next.empty() ? "" : safe_next(v.next);
    if (v.next == "/") v.next.clear();
    http::Response r =
        http::Response::html(status, views::auth_form(frame(*c, reg ? "Sign up" : "Log in", "", true), v));
    if (retry_after) r.set("Retry-After", std::to_string(*retry_after));
    finish(*c, std::move(r));
  }

  void start_session(Ctx& c, const LoginResult& lr) const {
    int64_t max_age = lr.expires_at_s - clock::now_ms() / 1000;
    if (max_age < 1) max_age = 1;
    c.set_cookies.push_back(std::string(session_cookie_name()) + "=" + lr.token + cookie_attrs() +
                            "; Max-Age=" + std::to_string(max_age));
    c.clear_session = false;
  }

  void do_login(const CtxPtr& c) {
    std::string username = c->form("username");
    std::string next = c->form("next");
    auto self = shared_from_this();
    svc.login(
        username, c->form("password"), c->req.peer_ip, [self, c, username, next](Result<LoginResult> r) {
          if (r) {
            self->start_session(*c, *r);
            return self->redirect(*c, safe_next(next));
          }
          const Error& e = r.error();
          if (e.status >= 500) return self->service_error(*c, e);
          views::AuthFormView v;
          v.username = username;
          v.next = next;
          if (e.status == 429) {
            int64_t wait = std::max<int64_t>(1, self->svc.retry_after_s(username, c->req.peer_ip));
            v.error =
                "Too many failed attempts. Please wait " + std::to_string(wait) + " seconds and try again.";
            return self->auth_form(c, false, std::move(v), 429, wait);
          }
          // Same words whether or not the user exists.
          v.error = "Wrong username or password.";
          self->auth_form(c, false, std::move(v), 401);
        });
  }

  void do_register(const CtxPtr& c) {
    std::string username = c->form("username");
    std::string password = c->form("password");
    auto self = shared_from_this();
    svc.register_account(username, password, [self, c, username, password](Result<User> r) {
      if (!r) {
        const Error& e = r.error();
        if (e.status >= 500) return self->service_error(*c, e);
        views::AuthFormView v;
        v.username = username;
        v.error = e.status == 409 ? "That username is taken. Please pick another one." : e.message;
        return self->auth_form(c, true, std::move(v), e.status);
      }
      // Signed up: log straight in.
      self->svc.login(username, password, c->req.peer_ip, [self, c](Result<LoginResult> lr) {
        if (!lr) return self->redirect(*c, "/accounts/login");
        self->start_session(*c, *lr);
        self->redirect(*c, "/");
      });
    });
  }

  void do_logout(const CtxPtr& c) {
    if (c->session.empty()) return redirect(*c, "/");
    auto self = shared_from_this();
    svc.logout(c->session, [self, c](Result<Unit>) {
      c->clear_session = true;
      self->redirect(*c, "/");
    });
  }
};

}  // namespace

struct Pages::Impl {
  std::shared_ptr<Core> core;
};

Pages::Pages(Service& svc, PagesConfig cfg) : impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<Core>(svc, std::move(cfg));
}

Pages::~Pages() = default;

void Pages::handle(http::Request&& req, http::Responder res) {
  impl_->core->handle(std::move(req), std::move(res));
}

std::string Pages::session_token(const http::Request& req) const {
  auto v = find_cookie(req, impl_->core->session_cookie_name());
  return v ? std::string(*v) : std::string();
}

}  // namespace uw::web
