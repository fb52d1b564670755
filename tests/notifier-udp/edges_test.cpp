// uwitter-notifier as a real process at the edges of issue 14 (spans
// http_api.cpp, inbox.cpp, delivery.cpp, repeats.cpp, ingest.cpp, config.cpp
// and sign/window.cpp): reconnects resume from a position, one notification
// per uweet and per follow, trailing loss becomes visible, /metrics is not
// public, errors have the web API's shape, the future limit is a flag.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<SseEvent> events_of(SseStream& s, const std::string& kind) {
  std::vector<SseEvent> out;
  for (const auto& e : s.events())
    if (e.event == kind) out.push_back(e);
  return out;
}

// A follow of bob by someone new: a marker that arrives after everything sent
// before it to bob (one datagram later, one recipient).
void marker(NotifierHarness& h, int64_t who, const std::string& name) {
  h.send({sign::FollowEvent{who, name, h.users.bob, now_ms()}});
}

// At the default log level a one-recipient note is delivered in the same loop
// turn (no database visit) while a post waits for the follow graph: the follow
// made after the post reaches bob first. The SSE ids must still follow what
// bob received, so a reconnect from the last id gets nothing again.
TEST(Edges, SseIdsFollowDeliveryOrderSoAReconnectRepeatsNothing) {
  NotifierHarness h({"--log-level", "info"});
  auto bob = h.stream(h.users.bob);
  h.send({h.post(301, "hi followers"), sign::FollowEvent{h.users.carol, "carol", h.users.bob, now_ms()}});
  ASSERT_TRUE(eventually([&] { return bob->count() >= 2; }, 10s)) << bob->raw();
  auto got = bob->events();
  ASSERT_EQ(got.size(), 2u) << bob->raw();
  // Ids increase in arrival order, and the JSON id is the SSE id.
  EXPECT_LT(std::stoull(got[0].id), std::stoull(got[1].id)) << bob->raw();
  for (const auto& e : got) EXPECT_EQ(e.id, std::to_string(json::parse(e.data)["id"].get<uint64_t>()));

  // Reconnect from the last id received: nothing comes back (a marker after it does).
  auto again = h.stream(h.users.bob, {"Last-Event-ID: " + got[1].id});
  marker(h, h.users.alice, "alice");
  ASSERT_TRUE(
      again->wait_event([](const SseEvent& e) { return e.data.find("\"alice\"") != std::string::npos; }, 10s))
      << again->raw();
  ASSERT_EQ(again->events().size(), 1u) << again->raw();

  // From the first id: exactly the second, once.
  auto from_first = h.stream(h.users.bob, {"Last-Event-ID: " + got[0].id});
  ASSERT_TRUE(from_first->wait_event([&](const SseEvent& e) { return e.id == got[1].id; }, 10s))
      << from_first->raw();
  EXPECT_EQ(from_first->events()[0].id, got[1].id);
  EXPECT_EQ(from_first->events()[0].event, got[1].event);
}

TEST(Edges, LastEventIdZeroReturnsEveryStoredEntryAndGarbageIsRefused) {
  NotifierHarness h;
  h.send({h.post(1, "one")});
  h.send({h.post(2, "two")});
  ASSERT_TRUE(eventually(
      [&] { return h.http->get("/inbox?ticket=" + h.ticket_for(h.users.bob)).json()["items"].size() == 2; }));
  auto all = h.stream(h.users.bob, {"Last-Event-ID: 0"});
  ASSERT_TRUE(eventually([&] { return all->count() >= 2; }, 10s)) << all->raw();
  auto ev = all->events();
  EXPECT_EQ(json::parse(ev[0].data)["uweet_id"], 1);  // oldest first
  EXPECT_EQ(json::parse(ev[1].data)["uweet_id"], 2);

  for (const char* bad : {"abc", "-1", "12x", "1.5", "99999999999999999999999"}) {
    auto r =
        h.http->get("/events?ticket=" + h.ticket_for(h.users.bob), {std::string("Last-Event-ID: ") + bad});
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "bad_last_event_id") << r.body;
  }
  auto q = h.http->get("/events?ticket=" + h.ticket_for(h.users.bob) + "&last_event_id=nope");
  EXPECT_EQ(q.status, 400) << q.body;
}

// bob follows alice and is mentioned: the post and the mention come in one
// datagram (as the web app sends them): one notification, the mention.
TEST(Edges, AMentionedFollowerGetsOneNotificationTheMention) {
  NotifierHarness h;
  auto bob = h.stream(h.users.bob);
  h.send({h.post(401, "hi @bob"),
          sign::MentionEvent{401, h.users.alice, "alice", h.users.bob, now_ms(), "hi @bob"}});
  // The mention (one recipient) is delivered at once; the uweet waits for the
  // follow graph, so a marker would not prove its fan-out done (see
  // SseIdsFollowDeliveryOrder… above). Its fan-out is done when it counted
  // bob as suppressed; from then on what bob got for uweet 401 is final.
  EXPECT_TRUE(eventually(
      [&] { return h.metric_value("uwitter_notifier_suppressed_total{reason=\"mentioned\"}") >= 1; }, 10s))
      << h.metrics();
  ASSERT_TRUE(eventually([&] { return !events_of(*bob, "mention").empty(); }, 10s)) << bob->raw();
  EXPECT_EQ(events_of(*bob, "mention").size(), 1u) << bob->raw();
  EXPECT_EQ(events_of(*bob, "uweet").size(), 0u) << bob->raw();

  // Apart: a mention that comes after its uweet already reached bob is not a second toast.
  h.send({h.post(402, "later @bob")});
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) { return json::parse(e.data).value("uweet_id", 0) == 402; }, 10s));
  h.send({sign::MentionEvent{402, h.users.alice, "alice", h.users.bob, now_ms(), "later @bob"}});
  marker(h, h.users.alice, "alice");
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) { return e.data.find("\"alice\"") != std::string::npos && e.event == "follow"; },
      10s));
  size_t for_402 = 0;
  for (const auto& e : bob->events()) for_402 += json::parse(e.data).value("uweet_id", 0) == 402;
  EXPECT_EQ(for_402, 1u) << bob->raw();

  // A mention sent twice (a resend from another session would not be a duplicate datagram) is one toast.
  h.send({sign::MentionEvent{403, h.users.carol, "carol", h.users.bob, now_ms(), "@bob twice"}});
  h.send({sign::MentionEvent{403, h.users.carol, "carol", h.users.bob, now_ms(), "@bob twice"}});
  marker(h, h.users.bob, "bob");
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) { return e.data.find("\"follower\":\"bob\"") != std::string::npos; }, 10s));
  size_t for_403 = 0;
  for (const auto& e : bob->events()) for_403 += json::parse(e.data).value("uweet_id", 0) == 403;
  EXPECT_EQ(for_403, 1u) << bob->raw();
}

TEST(Edges, FollowedYouAtMostOncePerPairWithinTheWindow) {
  NotifierHarness h;
  auto bob = h.stream(h.users.bob);
  for (int i = 0; i < 3; ++i) h.send({sign::FollowEvent{h.users.carol, "carol", h.users.bob, now_ms()}});
  marker(h, h.users.alice, "alice");
  ASSERT_TRUE(
      bob->wait_event([](const SseEvent& e) { return e.data.find("\"alice\"") != std::string::npos; }, 10s));
  EXPECT_EQ(events_of(*bob, "follow").size(), 2u) << bob->raw();  // carol once, alice
  EXPECT_EQ(h.metric_value("uwitter_notifier_suppressed_total{reason=\"repeat_follow\"}"), 2);

  NotifierHarness every({"--follow-repeat-s", "0"});
  auto b2 = every.stream(every.users.bob);
  for (int i = 0; i < 2; ++i)
    every.send({sign::FollowEvent{every.users.carol, "carol", every.users.bob, now_ms()}});
  ASSERT_TRUE(eventually([&] { return events_of(*b2, "follow").size() == 2; }, 10s)) << b2->raw();
}

// 3 and 4 are lost, then the sender goes quiet but for its heartbeat (5): the
// gap shows at once as open, is counted lost after --gap-timeout-ms, and a
// straggler that turns up later is still delivered, once.
TEST(Edges, TrailingLossIsCountedWithinTheGapTimeout) {
  NotifierHarness h({"--gap-timeout-ms", "1500"});
  auto bob = h.stream(h.users.bob);
  h.send({h.post(1, "one")});
  h.send({h.post(2, "two")});
  auto lost3 = h.seal({h.post(3, "three")});
  auto lost4 = h.seal({h.post(4, "four")});
  sign::Datagram hb;
  h.enc.seal_heartbeat(now_ms(), &hb);
  h.sender.send(h.udp_port, hb);
  ASSERT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_heartbeats_total") == 1; }));
  // Open but not lost yet (the timeout is 1.5 s: a scrape right away sees it open).
  auto m = h.metrics();
  EXPECT_EQ(metric(m, "uwitter_notifier_open_gaps") + metric(m, "uwitter_notifier_lost_total"), 2) << m;
  ASSERT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_lost_total") == 2; }, 10s))
      << h.metrics();
  EXPECT_EQ(h.metric_value("uwitter_notifier_open_gaps"), 0);
  EXPECT_NE(h.log_text().find("gap "), std::string::npos);

  h.sender.send(h.udp_port, lost3);
  h.sender.send(h.udp_port, lost3);  // a copy is still a duplicate
  ASSERT_TRUE(
      bob->wait_event([](const SseEvent& e) { return e.data.find("three") != std::string::npos; }, 10s));
  ASSERT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_late_total") == 1; }));
  EXPECT_EQ(h.metric_value("uwitter_notifier_lost_total"), 2);
  EXPECT_GE(h.metric_value("uwitter_notifier_duplicates_total"), 1);
  (void)lost4;
}

TEST(Edges, TheFutureLimitIsAFlag) {
  const int64_t ahead = 10'000;
  NotifierHarness strict;
  strict.sender.send(strict.udp_port, strict.seal({strict.post(1, "from the future")}, now_ms() + ahead));
  ASSERT_TRUE(eventually(
      [&] { return strict.metric_value("uwitter_notifier_rejected_total{reason=\"future\"}") == 1; }));
  NotifierHarness lax({"--max-future-ms", "20000"});
  auto bob = lax.stream(lax.users.bob);
  lax.sender.send(lax.udp_port, lax.seal({lax.post(1, "from the future")}, now_ms() + ahead));
  EXPECT_TRUE(bob->wait_event([](const SseEvent& e) { return e.event == "uweet"; }, 10s)) << bob->raw();
  auto bad = run({UWITTER_NOTIFIER_BIN, "--max-future-ms", "soon"});
  EXPECT_EQ(bad.status, 2);
}

TEST(Edges, MetricsAreServedOnlyToAllowedAddresses) {
  NotifierHarness open_to_loopback;  // the default: 127.0.0.0/8 and ::1
  EXPECT_EQ(open_to_loopback.http->get("/metrics").status, 200);
  NotifierHarness closed({"--metrics-allow", "10.0.0.0/8"});
  auto r = closed.http->get("/metrics");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "forbidden");
  EXPECT_EQ(closed.http->get("/healthz").status, 200);
}

TEST(Edges, ErrorsHaveTheWebApiShapeAndCorsAnswersVaryByOrigin) {
  NotifierHarness h;
  auto nf = h.http->get("/nowhere");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.json()["error"]["code"], "not_found") << nf.body;
  EXPECT_FALSE(nf.json()["error"]["message"].get<std::string>().empty());
  auto no_ticket = h.http->get("/inbox", {"Origin: http://127.0.0.1:8080"});
  EXPECT_EQ(no_ticket.status, 401);
  EXPECT_EQ(no_ticket.json()["error"]["code"], "no_ticket") << no_ticket.body;
  EXPECT_EQ(no_ticket.header("vary"), "Origin");
  // Not an allowed origin, or none at all: still Vary, so a cache keeps them apart.
  auto other = h.http->get("/inbox?ticket=" + h.ticket_for(h.users.bob), {"Origin: http://evil.example"});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.header("access-control-allow-origin"), "");
  EXPECT_EQ(other.header("vary"), "Origin");
  auto none = h.http->get("/inbox?ticket=" + h.ticket_for(h.users.bob));
  EXPECT_EQ(none.header("vary"), "Origin");
  auto s = std::make_unique<SseStream>(h.http_port, "/events?ticket=" + h.ticket_for(h.users.bob));
  ASSERT_EQ(s->wait_status(), 200);
  EXPECT_NE(s->head().find("Vary: Origin"), std::string::npos) << s->head();
}

}  // namespace
}  // namespace uw::test

#endif
