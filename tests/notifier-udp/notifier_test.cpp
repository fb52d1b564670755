// uwitter-notifier as a real process: ingest, verification, fan-out, SSE, inbox, log.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;

TEST(Notifier, PostReachesFollowersAndNobodyElse) {
  NotifierHarness h;
  auto bob = h.stream(h.users.bob);
  auto carol = h.stream(h.users.carol);
  h.send({h.post(101, "hello followers")});
  SseEvent got;
  ASSERT_TRUE(bob->wait_event([](const SseEvent& e) { return e.event == "uweet"; }, 10s, &got)) << bob->raw();
  auto j = nlohmann::json::parse(got.data);
  EXPECT_EQ(j["kind"], "uweet");
  EXPECT_EQ(j["author"], "alice");
  EXPECT_EQ(j["text"], "hello followers");
  EXPECT_EQ(j["uweet_id"], 101);
  EXPECT_EQ(got.id, std::to_string(j["id"].get<uint64_t>()));
  // carol does not follow alice: a later notification for her arrives, and nothing before it.
  h.send({sign::FollowEvent{h.users.alice, "alice", h.users.carol, now_ms()}});
  ASSERT_TRUE(carol->wait_event([](const SseEvent& e) { return e.event == "follow"; }, 10s)) << carol->raw();
  for (const auto& e : carol->events()) EXPECT_NE(e.event, "uweet") << e.data;
  EXPECT_TRUE(eventually([&] { return h.log_text().find("fanout author=alice") != std::string::npos; }));
}

TEST(Notifier, FollowAndMentionReachOnlyTheirUser) {
  NotifierHarness h;
  auto bob = h.stream(h.users.bob);
  auto carol = h.stream(h.users.carol);
  h.send({sign::FollowEvent{h.users.carol, "carol", h.users.bob, now_ms()},
          sign::MentionEvent{202, h.users.alice, "alice", h.users.bob, now_ms(), "hey @bob"}});
  SseEvent f, m;
  ASSERT_TRUE(bob->wait_event([](const SseEvent& e) { return e.event == "follow"; }, 10s, &f)) << bob->raw();
  ASSERT_TRUE(bob->wait_event([](const SseEvent& e) { return e.event == "mention"; }, 10s, &m)) << bob->raw();
  EXPECT_EQ(nlohmann::json::parse(f.data)["follower"], "carol");
  EXPECT_EQ(nlohmann::json::parse(m.data)["author"], "alice");
  EXPECT_EQ(nlohmann::json::parse(m.data)["text"], "hey @bob");
  // A marker for carol proves her stream is live; she got neither of bob's.
  h.send({sign::FollowEvent{h.users.bob, "bob", h.users.carol, now_ms()}});
  ASSERT_TRUE(carol->wait_event([](const SseEvent& e) { return e.event == "follow"; }, 10s));
  for (const auto& e : carol->events()) {
    EXPECT_NE(e.event, "mention");
    EXPECT_EQ(nlohmann::json::parse(e.data)["follower"], "bob");
  }
}

TEST(Notifier, InboxListsRecentNewestFirstAndReconnectCatchesUp) {
  NotifierHarness h({"--inbox", "3"});
  h.send({h.post(1, "one")});
  h.send({h.post(2, "two")});
  std::vector<uint64_t> ids;
  ASSERT_TRUE(eventually([&] {
    auto r = h.http->get("/inbox?ticket=" + h.ticket_for(h.users.bob));
    if (r.status != 200) return false;
    auto items = r.json()["items"];
    if (items.size() != 2) return false;
    ids = {items[0]["id"].get<uint64_t>(), items[1]["id"].get<uint64_t>()};
    return items[0]["uweet_id"] == 2 && items[1]["uweet_id"] == 1;
  }));
  // Reconnect with the first id: only the second comes back (header form and query form).
  auto s1 = h.stream(h.users.bob, {"Last-Event-ID: " + std::to_string(ids[1])});
  ASSERT_TRUE(s1->wait_event([](const SseEvent& e) { return e.event == "uweet"; }, 10s));
  ASSERT_EQ(s1->events().size(), 1u);
  EXPECT_EQ(s1->events()[0].id, std::to_string(ids[0]));
  auto s2 = std::make_unique<SseStream>(h.http_port, "/events?ticket=" + h.ticket_for(h.users.bob) +
                                                         "&last_event_id=" + std::to_string(ids[1]));
  ASSERT_TRUE(s2->wait_event([](const SseEvent& e) { return e.event == "uweet"; }, 10s));
  EXPECT_EQ(s2->events().size(), 1u);
  // The inbox keeps only the newest 3.
  for (int i = 3; i <= 6; ++i) h.send({h.post(i, "n")});
  ASSERT_TRUE(eventually([&] {
    auto items = h.http->get("/inbox?ticket=" + h.ticket_for(h.users.bob)).json()["items"];
    return items.size() == 3 && items[0]["uweet_id"] == 6 && items[2]["uweet_id"] == 4;
  }));
}

TEST(Notifier, BadTicketsCannotOpenAStream) {
  NotifierHarness h;
  auto other = sign::SecretKey::generate();
  std::string good = h.ticket_for(h.users.bob);
  std::string flipped = good;
  flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
  struct Case {
    std::string target;
    int status;
  };
  const Case cases[] = {
      {"/events", 401},
      {"/events?ticket=", 401},
      {"/events?ticket=garbage", 400},
      {"/events?ticket=" + sign::mint_ticket(other, {h.users.bob, std::time(nullptr) + 300}), 403},
      {"/events?ticket=" + h.ticket_for(h.users.bob, -10), 403},
      {"/inbox?ticket=" + sign::mint_ticket(other, {h.users.bob, std::time(nullptr) + 300}), 403},
  };
  for (const auto& c : cases) {
    auto r = h.http->get(c.target);
    EXPECT_EQ(r.status, c.status) << c.target << " " << r.body;
  }
  auto r = h.http->get("/events?ticket=" + flipped);
  EXPECT_TRUE(r.status == 400 || r.status == 403) << r.status;
  EXPECT_GE(h.metric_value("uwitter_notifier_tickets_rejected_total"), 7);
}

TEST(Notifier, TicketForAnotherUserNeverSeesBobsNotifications) {
  NotifierHarness h;
  // carol's ticket, with an extra parameter naming bob: the ticket decides.
  auto carol =
      std::make_unique<SseStream>(h.http_port, "/events?ticket=" + h.ticket_for(h.users.carol) +
                                                   "&user=bob&user_id=" + std::to_string(h.users.bob));
  ASSERT_EQ(carol->wait_status(), 200);
  ASSERT_TRUE(eventually([&] { return carol->raw().find(": connected") != std::string::npos; }));
  h.send({sign::MentionEvent{9, h.users.alice, "alice", h.users.bob, now_ms(), "@bob secret"}});
  h.send({sign::FollowEvent{h.users.alice, "alice", h.users.carol, now_ms()}});
  ASSERT_TRUE(carol->wait_event([](const SseEvent& e) { return e.event == "follow"; }, 10s));
  for (const auto& e : carol->events()) EXPECT_EQ(e.event, "follow") << e.data;
  auto inbox = h.http->get("/inbox?ticket=" + h.ticket_for(h.users.carol)).json()["items"];
  for (const auto& it : inbox) EXPECT_NE(it["kind"], "mention");
}

TEST(Notifier, OneUserOrOneAddressCannotTakeEveryStreamSlot) {
  NotifierHarness h(
      {"--max-streams-per-user", "2", "--max-streams-per-address", "3", "--max-subscribers", "10"});
  auto open = [&](int64_t user) {
    return std::make_unique<SseStream>(h.http_port, "/events?ticket=" + h.ticket_for(user));
  };
  auto b1 = h.stream(h.users.bob);
  auto b2 = h.stream(h.users.bob);
  auto b3 = open(h.users.bob);  // a third tab of bob's
  ASSERT_EQ(b3->wait_status(), 429) << b3->head();
  EXPECT_NE(b3->raw().find("too_many_streams_for_user"), std::string::npos) << b3->raw();
  EXPECT_NE(b3->head().find("Retry-After:"), std::string::npos) << b3->head();
  auto c1 = h.stream(h.users.carol);  // the address's third stream: still fine
  auto a1 = open(h.users.alice);      // the fourth from 127.0.0.1
  ASSERT_EQ(a1->wait_status(), 429) << a1->head();
  EXPECT_NE(a1->raw().find("too_many_streams_for_address"), std::string::npos) << a1->raw();
  // The refused ones were never added: bob's two streams still get his notifications.
  h.send({sign::FollowEvent{h.users.carol, "carol", h.users.bob, now_ms()}});
  EXPECT_TRUE(b1->wait_event([](const SseEvent& e) { return e.event == "follow"; }, 10s)) << b1->raw();
  EXPECT_TRUE(b2->wait_event([](const SseEvent& e) { return e.event == "follow"; }, 10s)) << b2->raw();
  // A slot comes back when its stream closes.
  b1.reset();
  EXPECT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_subscribers") == 2; }));
  auto b4 = h.stream(h.users.bob);
  EXPECT_EQ(h.metric_value("uwitter_notifier_sse_streams_refused_total{reason=\"user\"}"), 1);
  EXPECT_EQ(h.metric_value("uwitter_notifier_sse_streams_refused_total{reason=\"address\"}"), 1);
  EXPECT_EQ(h.metric_value("uwitter_notifier_sse_streams_refused_total{reason=\"full\"}"), 0);
}

TEST(Notifier, CorsReflectsOnlyConfiguredOrigins) {
  NotifierHarness h;
  auto ok = h.http->get("/inbox?ticket=" + h.ticket_for(h.users.bob), {"Origin: http://127.0.0.1:8080"});
  EXPECT_EQ(ok.header("access-control-allow-origin"), "http://127.0.0.1:8080");
  auto bad = h.http->get("/inbox?ticket=" + h.ticket_for(h.users.bob), {"Origin: http://evil.example"});
  EXPECT_EQ(bad.header("access-control-allow-origin"), "");
  auto s = std::make_unique<SseStream>(h.http_port, "/events?ticket=" + h.ticket_for(h.users.bob),
                                       std::vector<std::string>{"Origin: http://127.0.0.1:8080"});
  ASSERT_EQ(s->wait_status(), 200);
  EXPECT_NE(s->head().find("Access-Control-Allow-Origin: http://127.0.0.1:8080"), std::string::npos)
      << s->head();
  EXPECT_NE(s->head().find("text/event-stream"), std::string::npos);
}

TEST(Notifier, SendsHeartbeatComments) {
  NotifierHarness h({"--heartbeat-ms", "100"});
  auto bob = h.stream(h.users.bob);
  EXPECT_TRUE(eventually([&] { return bob->raw().find(": heartbeat") != std::string::npos; }, 5s));
}

TEST(Notifier, StopsCleanlyOnSigterm) {
  NotifierHarness h;
  auto bob = h.stream(h.users.bob);
  EXPECT_EQ(h.proc->terminate(), 0) << h.proc->stderr_text();
  EXPECT_TRUE(bob->wait_closed(5s));
}

TEST(Notifier, HelpDocumentsEveryFlag) {
  auto r = run({UWITTER_NOTIFIER_BIN, "--help"});
  EXPECT_EQ(r.status, 0);
  for (const char* f : {"--listen-udp", "--listen-http", "--db", "--trust", "--allow", "--log-file",
                        "--log-format", "--log-level", "--inbox", "--rcvbuf", "--cors-origin", "tail"})
    EXPECT_NE(r.out.find(f), std::string::npos) << f;
  auto bad = run({UWITTER_NOTIFIER_BIN, "--allow", "nonsense"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--allow"), std::string::npos) << bad.err;
  auto no_keys = run({UWITTER_NOTIFIER_BIN, "--listen-udp", "127.0.0.1:0", "--listen-http", "127.0.0.1:0"});
  EXPECT_EQ(no_keys.status, 1);
}

}  // namespace
}  // namespace uw::test

#endif
