// web/http/app.cpp in-process: the front door on a real http::Server (its
// loop on a background thread) over a real Service on a fresh SQLite file.
// Security headers on every response, the server's own errors included; the
// CSP's connect-src; request metrics under the route table's labels; who may
// read /metrics and on which port; /static/ with ETags; the access log, its
// lines and its reopening.
#include "web/http/app.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/temp_dir.hpp"
#include "core/metrics.hpp"
#include "tests/core/http/server_fixture.hpp"
#include "web/http/assets.hpp"
#include "web/service/service.hpp"

namespace uw::web {
namespace {

using http::test::ServerThread;
using kit::HttpClient;
using kit::read_file;

class AppTest : public ::testing::Test {
 protected:
  void start(AppConfig cfg = {}) {
    cfg.access_log_path = log_path_;
    st_ = std::make_unique<ServerThread>(
        http::Limits{},
        [this](http::Request&& req, http::Responder res) { app_->handle(std::move(req), std::move(res)); },
        [&](uv_loop_t* loop, http::Server& server) {
          ServiceConfig sc;
          sc.db_path = dir_.file("uwitter.db");
          auto svc = Service::create(loop, sc, &metrics_);
          ASSERT_TRUE(svc.ok()) << svc.error().message;
          svc_ = std::move(svc.value());
          app_ = std::make_unique<App>(loop, *svc_, metrics_, std::move(cfg));
          auto opened = app_->open();
          ASSERT_TRUE(opened.ok()) << opened.error().message;
          app_->attach(server);
        });
    client_ = std::make_unique<HttpClient>(st_->url());
  }
  // Shuts everything down in the site's order; the access log is complete after.
  void stop() {
    if (!st_) return;
    bool closed = false;
    st_->post([&] { svc_->shutdown([&] { app_->close([&] { closed = true; }); }); });
    st_->stop(0);
    EXPECT_TRUE(closed);
    app_.reset();
    svc_.reset();
    st_.reset();
  }
  void TearDown() override { stop(); }

  kit::TempDir dir_;
  std::string log_path_ = dir_.file("access.log");
  metrics::Registry metrics_;
  std::unique_ptr<Service> svc_;
  std::unique_ptr<App> app_;
  std::unique_ptr<ServerThread> st_;
  std::unique_ptr<HttpClient> client_;
};

void expect_security_headers(const std::string& raw, const std::string& what) {
  for (const char* h : {"Content-Security-Policy: default-src 'self'", "X-Content-Type-Options: nosniff",
                        "Referrer-Policy: same-origin", "X-Frame-Options: DENY"})
    EXPECT_NE(raw.find(h), std::string::npos) << what << " lacks " << h << "\n" << raw;
}

TEST_F(AppTest, EveryResponseCarriesTheSecurityHeaders) {
  start();
  const uint16_t port = st_->port();
  expect_security_headers(
      kit::raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "/healthz");
  expect_security_headers(
      kit::raw_exchange(port, "GET /no/such/page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      "a 404 page");
  // An error the server makes itself, before any handler ran.
  const std::string bad = kit::raw_exchange(port, "BLAH\r\n\r\n");
  EXPECT_EQ(bad.rfind("HTTP/1.1 400", 0), 0u) << bad;
  expect_security_headers(bad, "the server's 400");
  // API answers are never stored by a browser or proxy.
  auto api = client_->get("/api/v1/no-such-thing");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.header("cache-control"), "no-store");
}

TEST(AppCsp, ConnectSrcAddsTheNotifiersOriginOnly) {
  const std::string with = App::csp_for("http://127.0.0.1:9000/some/path?x=1");
  EXPECT_NE(with.find("connect-src 'self' http://127.0.0.1:9000;"), std::string::npos) << with;
  const std::string without = App::csp_for("");
  EXPECT_NE(without.find("connect-src 'self';"), std::string::npos) << without;
  EXPECT_NE(without.find("script-src 'self';"), std::string::npos);
  EXPECT_NE(without.find("frame-ancestors 'none'"), std::string::npos);
}

TEST_F(AppTest, RequestsAreCountedUnderTheirRoutesLabel) {
  start();
  EXPECT_EQ(client_->get("/healthz").status, 200);
  EXPECT_EQ(client_->get("/healthz").status, 200);
  EXPECT_EQ(client_->get("/no/such/page").status, 404);
  EXPECT_EQ(client_->request("POST", "/healthz").status, 405);
  auto m = client_->get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("http_requests_total{route=\"/healthz\",status=\"200\"} 2"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("http_requests_total{route=\"/other\",status=\"404\"} 1"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("http_requests_total{route=\"/healthz\",status=\"405\"} 1"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("http_request_duration_seconds_count{route=\"/healthz\"} 3"), std::string::npos)
      << m.body;
}

TEST_F(AppTest, MetricsAreRefusedOutsideTheAllowList) {
  AppConfig cfg;
  cfg.metrics_allow = CidrList::parse("10.0.0.0/8").value();
  start(std::move(cfg));
  EXPECT_EQ(client_->get("/metrics").status, 403);
  EXPECT_EQ(client_->get("/healthz").status, 200);
}

TEST_F(AppTest, WithAMetricsPortTheSitePortHasNoMetrics) {
  AppConfig cfg;
  cfg.metrics_on_site_port = false;
  start(std::move(cfg));
  EXPECT_EQ(client_->get("/metrics").status, 404);
}

TEST_F(AppTest, StaticFilesHaveEtagsAndRevalidate) {
  start();
  const Asset& css = *find_asset("/static/app.css");
  auto r = client_->get(css.url);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, css.body);
  EXPECT_EQ(r.header("content-type"), css.content_type);
  EXPECT_EQ(r.header("etag"), css.etag);
  EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");  // versioned URL
  EXPECT_EQ(client_->get("/static/app.css").header("cache-control"), "public, max-age=300");
  auto again = client_->get("/static/app.css", {"If-None-Match: " + css.etag});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(client_->get("/static/nope.css").status, 404);
}

TEST_F(AppTest, TheAccessLogHasALinePerResponseAndIsReopened) {
  start();
  EXPECT_EQ(client_->get("/healthz").status, 200);
  // Rotation: the file is moved away, reopen_log() starts a new one.
  std::filesystem::rename(log_path_, log_path_ + ".1");
  auto reopened = st_->on_loop([&] { return app_->reopen_log(); });
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ(client_->get("/no/such/page").status, 404);
  stop();
  const std::string old_log = read_file(log_path_ + ".1");
  const std::string new_log = read_file(log_path_);
  using ::testing::AllOf;
  using ::testing::HasSubstr;
  using ::testing::Not;
  // Before the rename: method, path, status, bytes, duration, peer.
  EXPECT_THAT(old_log, AllOf(HasSubstr("GET /healthz 200 2 "), HasSubstr("ms 127.0.0.1\n"),
                             Not(HasSubstr("/no/such/page"))));
  EXPECT_THAT(new_log, AllOf(HasSubstr("GET /no/such/page 404 "), Not(HasSubstr("/healthz"))));
}

TEST(AppOpen, AnAccessLogThatCannotBeOpenedIsAnError) {
  kit::TempDir dir;
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  metrics::Registry metrics;
  ServiceConfig sc;
  sc.db_path = dir.file("uwitter.db");
  auto svc = Service::create(&loop, sc, &metrics);
  ASSERT_TRUE(svc.ok()) << svc.error().message;
  AppConfig cfg;
  cfg.access_log_path = dir.file("no/such/dir/access.log");
  App app(&loop, **svc, metrics, cfg);
  auto r = app.open();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("access log"), std::string::npos) << r.error().message;
  bool done = false;
  (*svc)->shutdown([&] { app.close([&] { done = true; }); });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(done);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace uw::web
