// End to end over the amqp:// transport, both real daemons and a real broker
// on loopback (tests/amqp_environment.hpp): uwitter-web --notify amqp://…
// (web/emitter/amqp_sender.cpp) publishes persistent messages with confirms;
// uwitter-notifier --amqp … (notifier-udp/amqp_consumer.cpp) consumes with
// manual acks, verifies, fans out and streams over SSE. The broker stopped and
// started again: posts never fail or stall, and what was posted meanwhile
// arrives once. A message the broker hands over twice (what a redelivery
// looks like to the notifier) notifies once; a garbage body is counted and
// rejected.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/kit/clock.hpp"
#include "core/amqp/session.hpp"
#include "sign/envelope.hpp"
#include "sign/keys.hpp"
#include "tests/amqp_environment.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"

#if defined(UWITTER_NOTIFIER_BIN) && defined(UWITTER_WEB_BIN)

namespace uw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class AmqpStack {
 public:
  explicit AmqpStack(kit::RabbitMqServer& broker) : url(broker.url(fresh_amqp_queue())) { start(); }
  void start() {
    data = dir.file("data");
    // The notifier first (its trust file appears when the web app makes its key).
    notifier = std::make_unique<ChildProcess>();
    ASSERT_TRUE(notifier->start({UWITTER_NOTIFIER_BIN, "--listen-udp", "127.0.0.1:0", "--listen-http",
                                 "127.0.0.1:0", "--amqp", url, "--db", data + "/uwitter.db", "--trust",
                                 data + "/keys/uwitter.pub", "--log-file", dir.file("notifier.log"),
                                 // A broker restart takes long on a busy machine: what waited
                                 // in the sender meanwhile must not turn stale.
                                 "--max-age-ms", "180000"},
                                dir.file("notifier.stderr")));
    ASSERT_TRUE(notifier->wait_listening(2)) << notifier->stderr_text();
    http_port = notifier->port("http");
    nclient = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(http_port));
    web = std::make_unique<ChildProcess>();
    ASSERT_TRUE(web->start({UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", data, "--notify", url,
                            "--notifier-url", "http://127.0.0.1:" + std::to_string(http_port)},
                           dir.file("web.stderr")));
    ASSERT_TRUE(web->wait_listening(1)) << web->stderr_text();
    wclient = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(web->port("http")));
    EXPECT_TRUE(eventually([&] { return notifier_metric("uwitter_notifier_trusted_keys") == 1; }, 15s));
    EXPECT_TRUE(eventually([&] { return notifier_metric("uwitter_notifier_amqp_connected") == 1; }, 30s))
        << notifier->stderr_text() << kit::read_file(dir.file("notifier.log"));
    auto u = amqp::parse_url(url);
    EXPECT_TRUE(u.ok());
    if (u) parsed = *u;
  }
  double notifier_metric(const std::string& s) { return metric(nclient->get("/metrics").body, s); }
  double web_metric(const std::string& name) {
    return metric(wclient->get("/metrics").body,
                  name + "{target=\"" + parsed.text() + "\",transport=\"amqp\"}");
  }
  std::string signup(const std::string& name) {
    auto r = wclient->json("POST", "/api/v1/accounts", {{"username", name}, {"password", "correct horse"}});
    EXPECT_EQ(r.status, 201) << r.body;
    auto s = wclient->json("POST", "/api/v1/sessions", {{"username", name}, {"password", "correct horse"}});
    return s.json().value("token", "");
  }
  void follow(const std::string& token, const std::string& who) {
    auto r =
        wclient->request("PUT", "/api/v1/users/" + who + "/follow", "", {"Authorization: Bearer " + token});
    EXPECT_TRUE(r.status >= 200 && r.status < 300) << r.status << " " << r.body;
  }
  int64_t post(const std::string& token, const std::string& text) {
    int64_t t0 = now_ms();
    auto r = wclient->json("POST", "/api/v1/uweets", {{"text", text}}, token);
    EXPECT_EQ(r.status, 201) << r.body;
    return now_ms() - t0;
  }
  std::unique_ptr<SseStream> stream(const std::string& token) {
    auto r = wclient->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + token});
    EXPECT_EQ(r.status, 200) << r.body;
    std::string t = r.json()["ticket"];
    auto c = std::make_unique<SseStream>(http_port, "/events?ticket=" + t);
    EXPECT_EQ(c->wait_status(), 200) << c->head();
    EXPECT_TRUE(eventually([&] { return c->raw().find(": connected") != std::string::npos; }));
    return c;
  }

  TempDir dir;
  std::string url, data;
  amqp::Url parsed;
  std::unique_ptr<ChildProcess> notifier, web;
  std::unique_ptr<HttpClient> nclient, wclient;
  uint16_t http_port = 0;
};

size_t count_text(SseStream& s, const std::string& text) {
  size_t n = 0;
  for (const auto& e : s.events())
    if (e.event == "uweet" && json::parse(e.data)["text"] == text) ++n;
  return n;
}

TEST(AmqpE2E, APostReachesAFollowerThroughTheBrokerAndIsConfirmed) {
  auto* broker = shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  AmqpStack s(*broker);
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  s.post(alice, "over amqp");
  SseEvent e;
  ASSERT_TRUE(bob_stream->wait_event([](const SseEvent& ev) { return ev.event == "uweet"; }, 20s, &e))
      << bob_stream->raw() << s.web->stderr_text() << kit::read_file(s.dir.file("notifier.log"));
  EXPECT_EQ(json::parse(e.data)["text"], "over amqp");
  EXPECT_TRUE(eventually([&] {
    return s.web_metric("uwitter_emitter_transport_confirmed_total") >= 2 &&
           s.web_metric("uwitter_emitter_transport_pending") == 0;
  }));
  EXPECT_EQ(s.web_metric("uwitter_emitter_transport_connected"), 1);
  EXPECT_GE(s.notifier_metric("uwitter_notifier_transport_verified_total{transport=\"amqp\"}"), 2);
  EXPECT_EQ(s.notifier_metric("uwitter_notifier_transport_received_total{transport=\"udp\"}"), 0);
  EXPECT_TRUE(eventually([&] { return s.notifier_metric("uwitter_notifier_amqp_unacked") == 0; }));
  EXPECT_GE(s.notifier_metric("uwitter_notifier_amqp_acks_total"), 2);
  // The password is in neither daemon's /metrics nor logs.
  const std::string pw = broker->password();
  EXPECT_EQ(s.wclient->get("/metrics").body.find(pw), std::string::npos);
  EXPECT_EQ(s.nclient->get("/metrics").body.find(pw), std::string::npos);
  EXPECT_EQ(s.web->stderr_text().find(pw), std::string::npos);
  EXPECT_EQ(kit::read_file(s.dir.file("notifier.log")).find(pw), std::string::npos);
}

TEST(AmqpE2E, PostsNeverStallWhileTheBrokerIsDownAndArriveOnceAfter) {
  auto* broker = shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  AmqpStack s(*broker);
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  s.post(alice, "before");
  ASSERT_TRUE(eventually([&] { return bob_stream->count() >= 1; }, 20s));
  ASSERT_TRUE(broker->stop());
  int64_t worst = 0;
  for (int i = 0; i < 20; ++i) worst = std::max(worst, s.post(alice, "while down " + std::to_string(i)));
  EXPECT_LT(worst, 1000) << "a post waited " << worst << " ms for a stopped broker";
  EXPECT_TRUE(eventually([&] { return s.web_metric("uwitter_emitter_transport_connected") == 0; }));
  EXPECT_TRUE(eventually([&] { return s.notifier_metric("uwitter_notifier_amqp_connected") == 0; }));
  EXPECT_GT(s.web_metric("uwitter_emitter_transport_pending"), 0);
  ASSERT_TRUE(broker->start()) << broker->error();
  ASSERT_TRUE(eventually([&] { return bob_stream->count() >= 21; }, 60s))
      << bob_stream->count() << s.web->stderr_text() << kit::read_file(s.dir.file("notifier.log"));
  EXPECT_EQ(count_text(*bob_stream, "before"), 1u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(count_text(*bob_stream, "while down " + std::to_string(i)), 1u) << i;
  EXPECT_TRUE(eventually([&] { return s.web_metric("uwitter_emitter_transport_pending") == 0; }, 20s));
  EXPECT_GT(s.web_metric("uwitter_emitter_transport_reconnects_total"), 0);
  EXPECT_GT(s.notifier_metric("uwitter_notifier_amqp_reconnects_total"), 0);
  EXPECT_EQ(s.web_metric("uwitter_emitter_transport_dropped_total"), 0);
}

TEST(AmqpE2E, AMessageHandedOverTwiceNotifiesOnceAndGarbageIsCountedAndRejected) {
  auto* broker = shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  AmqpStack s(*broker);
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  auto who = s.wclient->get("/api/v1/users/alice");
  ASSERT_EQ(who.status, 200) << who.body;
  const int64_t alice_id = who.json().value("id", int64_t{0});
  // An envelope signed with the web app's key, published twice as a broker
  // redelivery would hand it over again, then a body that is no envelope.
  auto key = sign::load_secret_key(s.data + "/keys/uwitter.key");
  ASSERT_TRUE(key.ok()) << key.error().message;
  sign::Encoder enc(*key);
  const std::vector<sign::Event> events{sign::PostEvent{999999, alice_id, "alice", now_ms(), "twice"}};
  sign::Datagram d;
  ASSERT_TRUE(enc.seal(events, now_ms(), &d));
  amqp::Session pub;
  ASSERT_TRUE(pub.open(s.parsed, 5000).ok());
  const std::span<const uint8_t> bytes(d.data(), d.size());
  ASSERT_TRUE(pub.publish(bytes).ok());
  ASSERT_TRUE(pub.publish(bytes).ok());
  const std::string garbage = "this is not an envelope";
  ASSERT_TRUE(
      pub.publish(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(garbage.data()), garbage.size()))
          .ok());
  pub.close();
  ASSERT_TRUE(eventually(
      [&] {
        return s.notifier_metric("uwitter_notifier_transport_duplicates_total{transport=\"amqp\"}") >= 1 &&
               s.notifier_metric("uwitter_notifier_transport_rejected_total{transport=\"amqp\"}") >= 1;
      },
      20s))
      << s.nclient->get("/metrics").body;
  ASSERT_TRUE(eventually([&] { return count_text(*bob_stream, "twice") >= 1; }, 10s)) << bob_stream->raw();
  // Everything was acknowledged (nothing left to come back), and it stayed one.
  EXPECT_TRUE(eventually([&] { return s.notifier_metric("uwitter_notifier_amqp_unacked") == 0; }));
  EXPECT_EQ(count_text(*bob_stream, "twice"), 1u);
  EXPECT_EQ(s.notifier_metric("uwitter_notifier_transport_duplicates_total{transport=\"amqp\"}"), 1);
  EXPECT_EQ(s.notifier_metric("uwitter_notifier_transport_rejected_total{transport=\"amqp\"}"), 1);
  EXPECT_NE(kit::read_file(s.dir.file("notifier.log")).find("transport=amqp"), std::string::npos);
}

}  // namespace
}  // namespace uw::test

#endif
