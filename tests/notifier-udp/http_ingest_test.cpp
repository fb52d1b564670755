// uwitter-notifier's POST /ingest (notifier-udp/http_api.cpp, the http://
// transport) as a real process: an envelope as the body -> the one ingest path
// -> SSE; a repeated POST is a duplicate (204, no second notification); bodies
// that are not envelopes, too large, or from outside --allow-http are refused
// with a 4xx and counted.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;

std::string body_of(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }
const std::vector<std::string> kOctets{"Content-Type: application/octet-stream"};

TEST(HttpIngest, AnEnvelopePostedReachesFollowersOnceEvenWhenPostedTwice) {
  NotifierHarness h;
  auto bob = h.stream(h.users.bob);
  auto env = body_of(h.seal({h.post(1101, "over http")}));
  EXPECT_EQ(h.http->request("POST", "/ingest", env, kOctets).status, 204);
  EXPECT_EQ(h.http->request("POST", "/ingest", env, kOctets).status, 204);  // a retry: already seen
  EXPECT_EQ(h.http->request("POST", "/ingest", body_of(h.seal({h.post(1102, "marker")})), kOctets).status,
            204);
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) {
        return e.event == "uweet" && nlohmann::json::parse(e.data)["uweet_id"] == 1102;
      },
      10s));
  size_t n = 0;
  for (const auto& e : bob->events()) n += nlohmann::json::parse(e.data)["uweet_id"] == 1101 ? 1 : 0;
  EXPECT_EQ(n, 1u) << bob->raw();
  auto m = h.metrics();
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_received_total{transport=\"http\"}"), 3);
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_verified_total{transport=\"http\"}"), 2);
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_duplicates_total{transport=\"http\"}"), 1);
}

TEST(HttpIngest, BodiesThatAreNotEnvelopesAreRefusedAndCounted) {
  NotifierHarness h;
  auto r =
      h.http->request("POST", "/ingest", "{\"not\":\"an envelope\"}", {"Content-Type: application/json"});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("bad_envelope"), std::string::npos) << r.body;
  EXPECT_EQ(h.http->request("POST", "/ingest", "", kOctets).status, 400);
  EXPECT_EQ(h.http->request("POST", "/ingest", std::string(5000, 'x'), kOctets).status, 413);
  auto forged = h.seal({h.post(1201, "forged")});
  forged[20] ^= 1;
  EXPECT_EQ(h.http->request("POST", "/ingest", body_of(forged), kOctets).status, 400);
  EXPECT_EQ(h.http->get("/ingest").status, 405);
  auto m = h.metrics();
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_rejected_total{transport=\"http\"}"), 4);
  EXPECT_EQ(metric(m, "uwitter_notifier_rejected_total{reason=\"oversized\"}"), 1);
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_verified_total{transport=\"http\"}"), 0);
  EXPECT_EQ(h.http->get("/healthz").status, 200);
}

TEST(HttpIngest, ClientsOutsideAllowHttpAreForbidden) {
  NotifierHarness h({"--allow-http", "127.0.0.2/32"});
  auto env = body_of(h.seal({h.post(1301, "from outside")}));
  EXPECT_EQ(h.http->request("POST", "/ingest", env, kOctets).status, 403);
  HttpClient inside("http://127.0.0.1:" + std::to_string(h.http_port));
  inside.set_source_address("127.0.0.2");
  EXPECT_EQ(inside.request("POST", "/ingest", env, kOctets).status, 204);
  auto m = h.metrics();
  EXPECT_EQ(metric(m, "uwitter_notifier_rejected_total{reason=\"disallowed_source\"}"), 1);
  EXPECT_EQ(metric(m, "uwitter_notifier_transport_verified_total{transport=\"http\"}"), 1);
}

}  // namespace
}  // namespace uw::test

#endif
