// libFuzzer driver for the JSON API's request handling (web/http/api.cpp): the input
// is split into a route selector, a few header bytes and a body, and handed to
// Api::handle with a Service that answers every call with an error or a fixed
// value. Invariants: no crash, no sanitizer report, and the Service is reached
// only with valid UTF-8 strings (the API must reject everything else first).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/rules.hpp"
#include "web/http/api.hpp"

namespace {

using namespace uw;
using namespace uw::web;

void must_be_utf8(const std::string& s) {
  if (!rules::valid_utf8(s)) std::abort();
}

class FakeService final : public Service {
 public:
  Error err{404, "no", "no"};
  void set_event_sink(EventSink) override {}
  void set_ticket_key(const sign::SecretKey*) override {}
  void register_account(std::string u, std::string p, std::string, Done<User> d) override {
    must_be_utf8(u);
    must_be_utf8(p);
    d(User{1, u, 0});
  }
  void login(std::string u, std::string p, std::string, Done<LoginResult> d) override {
    must_be_utf8(u);
    must_be_utf8(p);
    d(err);
  }
  void logout(std::string, Done<Unit> d) override { d(Unit{}); }
  bool user_exists(std::string_view) const override { return false; }
  uint64_t users_version() const override { return 0; }
  std::optional<Viewer> authenticate(const std::string& t) override {
    if (t == "good") return Viewer{1, "alice"};
    return std::nullopt;
  }
  int64_t retry_after_s(const std::string&, const std::string&) override { return 3; }
  void post(const Viewer&, std::string text, std::optional<std::string>, Done<Posted> d) override {
    must_be_utf8(text);
    d(Posted{Uweet{1, 1, "alice", text, 0}, false});
  }
  void uweet(int64_t, Done<Uweet> d) override { d(err); }
  void delete_uweet(const Viewer&, int64_t, Done<Unit> d) override { d(err); }
  void update_profile(const Viewer&, std::optional<std::string>, std::optional<std::string>,
                      Done<User> d) override {
    d(err);
  }
  Result<User> me(const Viewer&) override { return err; }
  void delete_account(const Viewer&, std::string, std::string, Done<Unit> d) override { d(err); }
  int64_t name_reserved_s() const override { return 86400; }
  void change_password(const Viewer&, std::string, std::string, std::string, std::string,
                       Done<Unit> d) override {
    d(err);
  }
  void follow(const Viewer&, std::string, Done<bool> d) override { d(true); }
  void unfollow(const Viewer&, std::string, Done<bool> d) override { d(false); }
  void home_timeline(const Viewer&, std::optional<int64_t>, int limit, Done<Page<Uweet>> d) override {
    if (limit < 1 || limit > 100) std::abort();
    d(Page<Uweet>{});
  }
  void public_timeline(std::optional<int64_t>, int, Done<Page<Uweet>> d) override { d(Page<Uweet>{}); }
  int64_t public_timeline_version() const override { return 0; }
  void profile(std::string, const std::optional<Viewer>&, Done<Profile> d) override { d(err); }
  void user_uweets(std::string, std::optional<int64_t>, int, Done<Page<Uweet>> d) override { d(err); }
  void followers(std::string, std::optional<int64_t>, int, Done<Page<User>> d) override { d(Page<User>{}); }
  void following(std::string, std::optional<int64_t>, int, Done<Page<User>> d) override { d(Page<User>{}); }
  void search(std::string q, std::optional<int64_t>, int, Done<Page<Uweet>> d) override {
    must_be_utf8(q);
    d(Page<Uweet>{});
  }
  Result<std::string> ticket(const Viewer&) override { return std::string("t"); }
  void notifications(const Viewer&, std::optional<NotificationKey>, int, Done<NotificationList> d) override {
    d(NotificationList{});
  }
  void mark_notifications_read(const Viewer&, NotificationKey k, Done<NotificationKey> d) override { d(k); }
  void seed_demo(Done<Unit> d) override { d(Unit{}); }
  void shutdown(std::function<void()> d) override { d(); }
};

const char* const kRoutes[] = {
    "POST /api/v1/accounts",      "POST /api/v1/sessions", "POST /api/v1/uweets",
    "GET /api/v1/timelines/home", "GET /api/v1/search",    "PUT /api/v1/users/bob/follow",
    "DELETE /api/v1/sessions",    "GET /api/v1/uweets/",   "GET /api/v1/users/"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FakeService svc;
  static Api api(svc, ApiConfig{{"http://127.0.0.1:7701"}});
  if (size < 2) return 0;
  std::string route = kRoutes[data[0] % (sizeof(kRoutes) / sizeof(kRoutes[0]))];
  uint8_t flags = data[1];
  std::string rest(reinterpret_cast<const char*>(data + 2), size - 2);
  http::Request req;
  auto sp = route.find(' ');
  req.method = route.substr(0, sp);
  req.path = route.substr(sp + 1);
  // Bit 0: the rest is the query (and path tail) instead of the body.
  if (flags & 1) {
    auto q = rest.find('?');
    req.path += rest.substr(0, q);
    if (q != std::string::npos) req.query = rest.substr(q + 1);
  } else {
    req.body = rest;
  }
  if (flags & 2) req.headers.emplace_back("content-type", "application/json");
  if (flags & 4) req.headers.emplace_back("authorization", "Bearer good");
  if (flags & 8) req.headers.emplace_back("idempotency-key", rest.substr(0, 16));
  req.peer_ip = "127.0.0.1";
  api.handle(std::move(req), http::Responder{});
  return 0;
}
