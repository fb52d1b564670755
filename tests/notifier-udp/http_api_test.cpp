// notifier-udp/http_api.cpp in-process: a real http::Server on its own loop
// thread hands requests to HttpApi, with real Inboxes, Streams and tickets
// signed by a fresh key. Routes and errors, every ticket failure, the inbox
// newest first, CORS for allowed origins only, the event stream's catch-up
// from Last-Event-ID and its subscriber limit, and who may read /metrics.
#include "notifier-udp/http_api.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/sse_stream.hpp"
#include "notifier-udp/event_log.hpp"
#include "notifier-udp/inbox.hpp"
#include "notifier-udp/streams.hpp"
#include "sign/keys.hpp"
#include "sign/ticket.hpp"
#include "tests/core/http/server_fixture.hpp"

namespace uw::notifier {
namespace {

using http::test::ServerThread;
using kit::HttpClient;
using nlohmann::json;

class HttpApiTest : public ::testing::Test {
 protected:
  // Builds the API on the loop thread (Streams and the API belong to it).
  void start(HttpApi::Deps extra = {}) {
    st_ = std::make_unique<ServerThread>(http::Limits{}, [this](http::Request&& req, http::Responder res) {
      api_->handle(std::move(req), std::move(res));
    });
    st_->on_loop([&] {
      streams_ = std::make_unique<Streams>(st_->loop(), st_->server(), 60'000, 1 << 20);
      HttpApi::Deps d = std::move(extra);
      d.keys = &keys_;
      d.inboxes = &inboxes_;
      d.streams = streams_.get();
      d.log = &log_;
      if (!d.render_metrics) d.render_metrics = [] { return std::string("uwitter_notifier_up 1\n"); };
      api_ = std::make_unique<HttpApi>(std::move(d));
      return 0;
    });
    client_ = std::make_unique<HttpClient>(st_->url());
  }
  void TearDown() override {
    if (!st_) return;
    st_->on_loop([&] {
      streams_->close([] {});
      return 0;
    });
    st_->stop(0);
    api_.reset();
    streams_.reset();
  }
  std::string ticket(int64_t user, int64_t ttl_s = 600, const sign::SecretKey* by = nullptr) {
    return sign::mint_ticket(by ? *by : key_,
                             sign::Ticket{user, static_cast<int64_t>(std::time(nullptr)) + ttl_s});
  }
  void push_notes(int64_t user, int n) {
    st_->on_loop([&] {
      for (int i = 1; i <= n; ++i)
        inboxes_.push(user,
                      make_note(static_cast<uint64_t>(i), sign::FollowView{100 + i, "f", user, 1000}, 0));
      return 0;
    });
  }
  HttpApiStats stats() {
    return st_->on_loop([&] { return api_->stats(); });
  }
  static std::string code(const kit::HttpResponse& r) { return r.json()["error"]["code"].get<std::string>(); }

  sign::SecretKey key_ = (sign::init(), sign::SecretKey::generate());
  sign::KeyRing keys_ = [this] {
    sign::KeyRing k;
    k.add(key_.public_key());
    return k;
  }();
  Inboxes inboxes_{50};
  EventLog log_;
  std::unique_ptr<ServerThread> st_;
  std::unique_ptr<Streams> streams_;
  std::unique_ptr<HttpApi> api_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpApiTest, HealthUnknownPathsAndMethods) {
  start();
  auto h = client_->get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");
  auto nf = client_->get("/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(code(nf), "not_found");
  EXPECT_FALSE(nf.json()["error"]["message"].get<std::string>().empty());
  auto post = client_->request("POST", "/inbox", "x");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET, OPTIONS");
}

TEST_F(HttpApiTest, EveryBadTicketIsRefusedAndCounted) {
  start();
  const auto other = sign::SecretKey::generate();
  auto none = client_->get("/inbox");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(code(none), "no_ticket");
  auto junk = client_->get("/inbox?ticket=junk");
  EXPECT_EQ(junk.status, 400);
  EXPECT_EQ(code(junk), "ticket_malformed");
  auto unknown = client_->get("/inbox?ticket=" + ticket(7, 600, &other));
  EXPECT_EQ(unknown.status, 403);
  EXPECT_EQ(code(unknown), "ticket_unknown_key");
  auto expired = client_->get("/events?ticket=" + ticket(7, -10));
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(code(expired), "ticket_expired");
  EXPECT_EQ(stats().tickets_rejected, 4u);
}

TEST_F(HttpApiTest, TheInboxIsNewestFirstAndOnlyTheTicketHolders) {
  start();
  push_notes(7, 3);
  auto r = client_->get("/inbox?ticket=" + ticket(7));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  auto items = r.json()["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["id"], 3);
  EXPECT_EQ(items[2]["id"], 1);
  EXPECT_EQ(items[0]["kind"], "follow");
  EXPECT_EQ(client_->get("/inbox?ticket=" + ticket(7) + "&limit=2").json()["items"].size(), 2u);
  EXPECT_EQ(client_->get("/inbox?ticket=" + ticket(7) + "&limit=0").json()["items"].size(), 3u);  // ignored
  EXPECT_TRUE(client_->get("/inbox?ticket=" + ticket(8)).json()["items"].empty());
  EXPECT_EQ(stats().tickets_rejected, 0u);
}

TEST_F(HttpApiTest, CorsIsGivenToConfiguredOriginsOnly) {
  HttpApi::Deps d{};
  d.cors_origins = {"https://uwitter.example"};
  start(std::move(d));
  auto pre = client_->request("OPTIONS", "/events", "", {"Origin: https://uwitter.example"});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("access-control-allow-origin"), "https://uwitter.example");
  EXPECT_EQ(pre.header("vary"), "Origin");
  EXPECT_NE(pre.header("access-control-allow-headers").find("Last-Event-ID"), std::string::npos);
  auto other = client_->request("OPTIONS", "/events", "", {"Origin: https://evil.example"});
  EXPECT_EQ(other.header("access-control-allow-origin"), "");
  EXPECT_EQ(other.header("vary"), "Origin");  // the answer depends on Origin all the same
  // An error carries the header too, so the page can read why.
  auto err = client_->get("/inbox", {"Origin: https://uwitter.example"});
  EXPECT_EQ(err.status, 401);
  EXPECT_EQ(err.header("access-control-allow-origin"), "https://uwitter.example");
}

TEST_F(HttpApiTest, AStreamCatchesUpFromLastEventIdThenIsLive) {
  start();
  push_notes(7, 3);
  kit::SseStream s(st_->port(), "/events?ticket=" + ticket(7), {"Last-Event-ID: 1"});
  ASSERT_EQ(s.wait_status(std::chrono::seconds(10)), 200) << s.raw();
  EXPECT_NE(s.head().find("text/event-stream"), std::string::npos);
  ASSERT_TRUE(s.wait_event([](const kit::SseEvent& e) { return e.id == "3"; }, std::chrono::seconds(10)))
      << s.raw();
  auto ev = s.events();
  ASSERT_EQ(ev.size(), 2u);  // 2 and 3: after the one the browser saw
  EXPECT_EQ(ev[0].id, "2");
  EXPECT_EQ(ev[0].event, "follow");
  EXPECT_NE(s.raw().find("retry: 2000\n: connected\n\n"), std::string::npos);
  ASSERT_TRUE(kit::eventually([&] { return st_->on_loop([&] { return streams_->online(7); }); }));
  // The query form resumes too; anything but a number is refused.
  kit::SseStream q(st_->port(), "/events?ticket=" + ticket(7) + "&last_event_id=2");
  ASSERT_TRUE(q.wait_event([](const kit::SseEvent& e) { return e.id == "3"; }, std::chrono::seconds(10)));
  EXPECT_EQ(q.count(), 1u);
  auto bad = client_->get("/events?ticket=" + ticket(7), {"Last-Event-ID: 2x"});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(code(bad), "bad_last_event_id");
}

TEST_F(HttpApiTest, StreamsBeyondTheLimitAre503WithRetryAfter) {
  HttpApi::Deps d{};
  d.max_subscribers = 1;
  start(std::move(d));
  kit::SseStream first(st_->port(), "/events?ticket=" + ticket(7));
  ASSERT_EQ(first.wait_status(std::chrono::seconds(10)), 200);
  ASSERT_TRUE(kit::eventually([&] { return st_->on_loop([&] { return streams_->count(); }) == 1; }));
  auto second = client_->get("/events?ticket=" + ticket(8));
  EXPECT_EQ(second.status, 503);
  EXPECT_EQ(code(second), "too_many_streams");
  EXPECT_EQ(second.header("retry-after"), "5");
  EXPECT_EQ(stats().streams_refused_full, 1u);
}

TEST_F(HttpApiTest, MetricsOnlyForAllowedAddresses) {
  start();
  auto m = client_->get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.body, "uwitter_notifier_up 1\n");
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  TearDown();
  st_.reset();
  HttpApi::Deps d{};
  d.metrics_allow = AllowList::parse("10.0.0.0/8").value();
  start(std::move(d));
  auto refused = client_->get("/metrics");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(stats().metrics_refused, 1u);
}

}  // namespace
}  // namespace uw::notifier
